// The files backend of the session store (session_store.hpp; docs/api.md,
// "Session file"): per-session
// serialisation, an in-memory index for listing and pruning, an LRU-bounded
// cache of parsed sessions, and appends whose cost does not grow with the
// session.
//
// Files, per session <id> in <dir>:
//   <id>.json     The session file in docs/api.md's format. Always a complete JSON
//                 document: only ever replaced whole (unique temp file, fsync,
//                 rename, fsync of the directory), never written in place.
//   <id>.journal  Only for sessions past Limits::journal_above_bytes: the
//                 exchanges acknowledged since <id>.json was last written, one
//                 JSON line each (ExchangeRecord::journal_line:
//                 {"n":<index of its user message>,"user":{..},"agent":{..},
//                  "updated_at":"..",["seed_id":".."],["space_id":".."]}),
//                 each appended with one O_APPEND write + fdatasync.
//
// Appending an exchange (durable before append() returns):
//   - session file up to journal_above_bytes (64 KiB): <id>.json is rewritten
//     (cheap at that size) and holds every exchange on return;
//   - larger: one journal line, so the cost depends on the exchange, not on
//     the history. After journal_max_exchanges (64) lines, or journal_max_bytes,
//     the session is compacted: <id>.json rewritten atomically with
//     everything, then the journal removed.
//   So a large session's <id>.json may lag its acknowledged exchanges by fewer
//   than journal_max_exchanges exchanges; the journal has the rest. Readers of
//   the files (this store at start and on load, bench/check_sessions.py) take
//   <id>.json, then each complete journal line whose "n" equals the number of
//   user messages so far. flush() and the destructor (graceful shutdown)
//   compact every journal, so after a clean stop the .json files are complete.
//
// Crash safety (kill -9 or power loss at any moment): <id>.json is an old or
// new complete version; a torn last journal line (no '\n') is ignored and cut
// off before the next append; lines already in <id>.json (crash between its
// rename and the journal's removal) have "n" below its message count and are
// skipped, so nothing is applied twice; a journal whose <id>.json is gone
// (crash while deleting) is removed at start.
//
// Index: a summary per session (built at start by reading each file and
// journal once) and a second index ordered by (updated_at desc, id): list()
// walks it, O(offset + limit); prune() walks it from the oldest end,
// O(victims). Both take the index lock shared; an append holds it exclusively
// only to swap its own entry.
#pragma once

#include "infra/spare_files.hpp"
#include "infra/unreadable_files.hpp"
#include "kernel.hpp"
#include "session_doc.hpp"
#include "session_store.hpp"

#include <atomic>
#include <filesystem>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace oxios::kernel {

class FileSessionStore final : public SessionStore {
public:
    struct Limits {
        size_t cache_bytes = 64u << 20;  // parsed sessions kept in memory
        size_t cache_entries = 512;
        size_t journal_above_bytes = 64u << 10;  // larger sessions append to a journal
        size_t journal_max_exchanges = 64;       // compact after this many journal lines
        size_t journal_max_bytes = 4u << 20;     // ... or this many journal bytes
    };
    // Creates `dir` if needed and builds the index by reading every file (and
    // journal) once; unreadable or unparsable files are skipped, left as they
    // are and reported to `unreadable` (logged when null). The first append to
    // an unparsable file's id renames it (and its journal) to
    // <name>.corrupt-<unix secs> before the fresh session is written.
    FileSessionStore(std::filesystem::path dir, std::function<int64_t()> now_us, Limits limits,
                     UnreadableFiles* unreadable = nullptr);
    FileSessionStore(std::filesystem::path dir, std::function<int64_t()> now_us, UnreadableFiles* unreadable = nullptr)
        : FileSessionStore(std::move(dir), std::move(now_us), Limits{}, unreadable) {}
    ~FileSessionStore() override;  // flush()

    Result get(std::string_view id) override;          // file JSON (journal included) + top-level space_id
    Status append(const oxios_exchange& ex) override;  // durable on return
    Result list(uint32_t page, uint32_t limit) const override;
    Status remove(std::string_view id) override;  // <id>.json and <id>.journal
    // force=false: only when the last prune is more than an hour old.
    Result prune(bool force, int64_t max_sessions, int64_t ttl_hours) override;
    // Compacts every journal into its <id>.json (graceful shutdown).
    void flush() override;
    Result export_file(std::string_view id) override;
    Status import_file(std::string_view id, std::string_view text) override;

    size_t count() const override;
    size_t corrupt_set_aside() const override { return corrupt_set_aside_; }  // since start
    bool healthy(std::string& detail) const override;
    const std::filesystem::path& dir() const { return dir_; }

private:
    struct Slot {
        std::mutex mutex;
        // Under mutex:
        bool dead = false;                // deleted: look the id up again
        std::unique_ptr<SessionDoc> doc;  // cached parse, journal applied
        uint64_t journal_bytes = 0;       // length of <id>.journal, 0 = none
        uint64_t journal_exchanges = 0;   // its lines not yet in <id>.json
        // Under the store's mutex_:
        size_t cached_bytes = 0;
        std::list<std::string>::iterator lru;
        bool in_lru = false;
    };
    struct Locked {
        std::shared_ptr<Slot> slot;
        std::unique_lock<std::mutex> lock;
    };
    struct Newer {  // (updated_us desc, id asc)
        bool operator()(const SessionSummary* a, const SessionSummary* b) const {
            if (a->updated_us != b->updated_us) return a->updated_us > b->updated_us;
            return a->id < b->id;
        }
    };

    Locked lock_slot(const std::string& id);
    Result read(std::string_view id, bool api);  // get() / export_file()
    // Reads <id>.json and replays <id>.journal into slot.doc (slot locked).
    Status load_locked(const std::string& id, Slot& slot);
    // Writes <id>.json from slot.doc if the journal holds anything it lacks,
    // then removes the journal (slot locked). Throws on a failed write.
    void compact_locked(const std::string& id, Slot& slot);
    Status remove_locked(const std::string& id, Locked& locked, int64_t expected_updated_us);
    void cache_touch(const std::string& id, const std::shared_ptr<Slot>& slot);  // store mutex_ held
    void cache_forget(const std::shared_ptr<Slot>& slot);                        // store mutex_ held
    bool indexed(const std::string& id) const;
    void index_put(SessionSummary summary);
    void index_erase(const std::string& id);
    std::filesystem::path file_of(std::string_view id) const;
    std::filesystem::path journal_of(std::string_view id) const;
    void build_index();
    bool set_aside_unread(const std::string& id);

    std::filesystem::path dir_;
    std::function<int64_t()> now_us_;
    UnreadableFiles* unreadable_ = nullptr;
    Limits limits_;

    mutable std::mutex mutex_;  // slots_, lru_, cache_total_, Slot cache fields
    std::unordered_map<std::string, std::shared_ptr<Slot>> slots_;
    std::list<std::string> lru_;  // front = most recent
    size_t cache_total_ = 0;

    mutable std::shared_mutex index_mutex_;  // index_, ordered_
    std::unordered_map<std::string, SessionSummary> index_;
    std::set<const SessionSummary*, Newer> ordered_;  // points into index_

    std::atomic<int64_t> last_prune_us_{0};
    std::atomic<bool> write_failed_{false};
    std::atomic<size_t> corrupt_set_aside_{0};
    std::unordered_set<std::string> unparsable_;  // ids of files left unread at start (mutex_)

    // Temp files made ahead for whole-file writes (spare_files.hpp); made
    // after build_index(), which removes the ".*.tmp" a crash left. Writers
    // that find none ready create their own, as without spares.
    static constexpr size_t kSpareFiles = 4;
    std::unique_ptr<SpareFiles> spares_;
};

}  // namespace oxios::kernel
