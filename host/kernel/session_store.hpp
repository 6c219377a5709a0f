// The state store's sessions: <dir>/<id>.json, atomic durable writes,
// per-session serialisation, an in-memory index for listing and pruning, and
// an LRU-bounded cache of parsed sessions so appends stay cheap.
#pragma once

#include "kernel.hpp"
#include "session_doc.hpp"

#include <atomic>
#include <filesystem>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace oxios::kernel {

class SessionStore {
public:
    struct Limits {
        size_t cache_bytes = 64u << 20;  // parsed sessions kept in memory
        size_t cache_entries = 512;
    };
    // Creates `dir` if needed and builds the index by reading every file once
    // (unparsable files are skipped and logged).
    SessionStore(std::filesystem::path dir, std::function<int64_t()> now_us, Limits limits);
    SessionStore(std::filesystem::path dir, std::function<int64_t()> now_us)
        : SessionStore(std::move(dir), std::move(now_us), Limits{}) {}

    Result get(std::string_view id);          // file JSON + top-level space_id
    Status append(const oxios_exchange& ex);  // durable on return
    Result list(uint32_t page, uint32_t limit) const;
    Status remove(std::string_view id);
    // force=false: only when the last prune is more than an hour old.
    Result prune(bool force, int64_t max_sessions, int64_t ttl_hours);

    size_t count() const;
    bool healthy(std::string& detail) const;
    const std::filesystem::path& dir() const { return dir_; }

private:
    struct Slot {
        std::mutex mutex;
        bool dead = false;                 // deleted: look the id up again
        std::unique_ptr<SessionDoc> doc;   // cached parse (under mutex)
        size_t cached_bytes = 0;           // under store mutex_
        std::list<std::string>::iterator lru;
        bool in_lru = false;               // under store mutex_
    };
    struct Locked {
        std::shared_ptr<Slot> slot;
        std::unique_lock<std::mutex> lock;
    };

    Locked lock_slot(const std::string& id);
    Status remove_locked(const std::string& id, Locked& locked, int64_t expected_updated_us);
    void cache_touch(const std::string& id, const std::shared_ptr<Slot>& slot);  // store mutex_ held
    void cache_forget(const std::shared_ptr<Slot>& slot);                        // store mutex_ held
    std::filesystem::path file_of(std::string_view id) const;
    void build_index();

    std::filesystem::path dir_;
    std::function<int64_t()> now_us_;
    Limits limits_;

    mutable std::mutex mutex_;  // slots_, index_, lru_, cache_total_
    std::unordered_map<std::string, std::shared_ptr<Slot>> slots_;
    std::unordered_map<std::string, SessionSummary> index_;
    std::list<std::string> lru_;  // front = most recent
    size_t cache_total_ = 0;
    std::atomic<int64_t> last_prune_us_{0};
    std::atomic<bool> write_failed_{false};
};

}  // namespace oxios::kernel
