// Whole JSON documents of the kernel's services (spaces, and every service
// that keeps state: personas, cron jobs, budgets, ...), by collection and
// key, in the configured backend. A service keeps its working copy in memory,
// loads it at start (load_all, or get_or_set_aside for one state file) and
// writes through with put(), or with update() when several hosts may change
// the same document.
//
// Files backend: <workspace>/<collection>/<key>.json, written atomically
// (temp file, fsync, rename, directory fsync). PostgreSQL backend: the
// `records` table. Keys match ^[A-Za-z0-9_-]{1,128}$; collections are
// relative directory names chosen by the code ("spaces", ".oxios").
#pragma once

#include <functional>
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

    // One state document at start: get(), except that a stored document that
    // is not a JSON object is set aside (the state-file rule above) and reads
    // as none.
    virtual std::optional<std::string> get_or_set_aside(std::string_view collection, std::string_view key) = 0;

    // fn(stored document or nullopt) -> the new document, or nullopt to leave
    // it as it is. Throws what fn throws (nothing written).
    using Change = std::function<std::optional<std::string>(const std::optional<std::string>& stored)>;
    // Atomic read-modify-write of one document: no other update of it, from
    // this process or (PostgreSQL) any host, comes between fn's read and the
    // write. fn may run twice (after a lost connection): no side effects.
    // Returns the document stored afterwards; throws like put().
    virtual std::optional<std::string> update(std::string_view collection, std::string_view key, const Change& fn) = 0;
};

}  // namespace oxios::kernel
