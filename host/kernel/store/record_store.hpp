// Whole JSON documents of the kernel's services (spaces, and every service
// that keeps state: personas, cron jobs, budgets, ...), by collection and
// key, in the configured backend. A service keeps its working copy in memory,
// loads it with load_all() at start and writes through with put().
//
// Files backend: <workspace>/<collection>/<key>.json, written atomically
// (temp file, fsync, rename, directory fsync). PostgreSQL backend: the
// `records` table. Keys match ^[A-Za-z0-9_-]{1,128}$; collections are
// relative directory names chosen by the code ("spaces", ".oxios").
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oxios::kernel {

// The backend cannot be reached (PostgreSQL outage): nothing was written.
class StoreUnavailable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class RecordStore {
public:
    // What load_all does with a document that is not a JSON object: the
    // workspace rule (leave it, report it in /health/ready) or the state-file
    // rule (rename it to <name>.corrupt-<unix secs>, log it, start without).
    enum class OnBad { keep_and_report, set_aside };
    struct Record {
        std::string key, json;
    };

    virtual ~RecordStore() = default;
    // Every parsable record of the collection, by key order.
    virtual std::vector<Record> load_all(std::string_view collection, OnBad on_bad) = 0;
    virtual std::optional<std::string> get(std::string_view collection, std::string_view key) = 0;
    // Durable when it returns; throws StoreUnavailable or std::runtime_error.
    virtual void put(std::string_view collection, std::string_view key, std::string_view json) = 0;
    // False when there was none.
    virtual bool remove(std::string_view collection, std::string_view key) = 0;
};

}  // namespace oxios::kernel
