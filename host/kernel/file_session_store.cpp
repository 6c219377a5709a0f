#include "file_session_store.hpp"

#include "infra/atomic_file.hpp"
#include "infra/ids.hpp"
#include "infra/json_util.hpp"
#include "infra/set_aside.hpp"
#include "services/service_registry.hpp"

#include <rapidjson/document.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <limits>
#include <system_error>
#include <vector>

namespace oxios::kernel {

namespace fs = std::filesystem;

namespace {
bool file_missing(const std::exception& e) {
    const auto* se = dynamic_cast<const std::system_error*>(&e);
    return se != nullptr && se->code() == std::errc::no_such_file_or_directory;
}

}  // namespace

FileSessionStore::FileSessionStore(fs::path dir, std::function<int64_t()> now_us, Limits limits,
                                   UnreadableFiles* unreadable)
    : dir_(std::move(dir)), now_us_(std::move(now_us)), unreadable_(unreadable), limits_(limits) {
    fs::create_directories(dir_);
    build_index();  // removes the spares a crash left behind
    spares_ = std::make_unique<SpareFiles>(dir_, kSpareFiles);
}

FileSessionStore::~FileSessionStore() {
    spares_.reset();  // flush() below makes its own temp files; none made to be removed
    try {
        flush();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "oxios: sessions: flush at shutdown failed: %s\n", e.what());
    }
}

fs::path FileSessionStore::file_of(std::string_view id) const { return dir_ / (std::string(id) + ".json"); }
fs::path FileSessionStore::journal_of(std::string_view id) const { return dir_ / (std::string(id) + ".journal"); }

void FileSessionStore::build_index() {
    std::vector<std::string> files;
    std::unordered_set<std::string> journals;
    for (const auto& entry : fs::directory_iterator(dir_)) {
        const std::string name = entry.path().filename().string();
        if (name.size() > 4 && name.front() == '.' && name.ends_with(".tmp")) {
            std::error_code ec;
            fs::remove(entry.path(), ec);  // left over by a crash before rename
            continue;
        }
        if (!entry.is_regular_file()) continue;
        const std::string id = entry.path().stem().string();
        if (!valid_id(id)) continue;
        if (entry.path().extension() == ".json") files.push_back(id);
        if (entry.path().extension() == ".journal") journals.insert(id);
    }
    for (const auto& id : files) {
        const fs::path file = file_of(id);
        try {
            auto summary = SessionDoc::summarize(id, read_file(file));
            if (!summary) {
                report_unreadable(unreadable_, file, "not a session file (malformed JSON or not an object)");
                journals.erase(id);  // kept with it; both are set aside by the first append to this id
                unparsable_.insert(id);
                continue;
            }
            if (journals.erase(id) != 0) {
                const fs::path jfile = journal_of(id);
                const std::string text = read_file(jfile);
                const JournalScan scan = scan_journal(text);
                auto slot = std::make_shared<Slot>();
                slot->journal_exchanges = replay_records(scan.records, summary->message_count, jfile.c_str(),
                                                         [&](const ExchangeRecord& r) { apply_record(*summary, r); });
                if (scan.valid_bytes < text.size()) {
                    std::fprintf(stderr, "oxios: %s: dropping %zu bytes of torn journal tail\n", jfile.c_str(),
                                 text.size() - scan.valid_bytes);
                    if (scan.valid_bytes == 0)
                        ::unlink(jfile.c_str());
                    else
                        truncate_file_durable(jfile, scan.valid_bytes);
                }
                slot->journal_bytes = scan.valid_bytes;
                if (scan.valid_bytes > 0) slots_.emplace(id, std::move(slot));
            }
            index_.emplace(id, std::move(*summary));
        } catch (const std::exception& e) {
            report_unreadable(unreadable_, file, std::string("cannot read: ") + e.what());
            unparsable_.insert(id);
        }
    }
    // Journals without a session file: left by a crash during a delete.
    for (const auto& id : journals) {
        if (fs::exists(file_of(id))) continue;
        std::fprintf(stderr, "oxios: removing journal of deleted session %s\n", id.c_str());
        ::unlink(journal_of(id).c_str());
    }
    for (const auto& [id, s] : index_) ordered_.insert(&s);
}

// A session file left unread at start would be overwritten by the first append
// to its id: it and its journal are renamed aside first (set_aside.hpp). False
// when they could not be moved: the append fails instead (slot locked).
bool FileSessionStore::set_aside_unread(const std::string& id) {
    if (std::lock_guard lock(mutex_); unparsable_.count(id) == 0) return true;
    const int64_t secs = now_us_() / 1'000'000;
    std::error_code ec;
    for (const fs::path& f : {file_of(id), journal_of(id)})
        if (fs::exists(f, ec) && !kernel::set_aside(f, secs)) return false;
    ++corrupt_set_aside_;
    clear_unreadable(unreadable_, file_of(id));
    std::lock_guard lock(mutex_);
    unparsable_.erase(id);
    return true;
}

bool FileSessionStore::indexed(const std::string& id) const {
    std::shared_lock lock(index_mutex_);
    return index_.count(id) != 0;
}

void FileSessionStore::index_put(SessionSummary summary) {
    std::unique_lock lock(index_mutex_);
    auto [it, fresh] = index_.try_emplace(summary.id);
    if (!fresh) ordered_.erase(&it->second);  // before its key changes
    it->second = std::move(summary);
    ordered_.insert(&it->second);
}

void FileSessionStore::index_erase(const std::string& id) {
    std::unique_lock lock(index_mutex_);
    auto it = index_.find(id);
    if (it == index_.end()) return;
    ordered_.erase(&it->second);
    index_.erase(it);
}

FileSessionStore::Locked FileSessionStore::lock_slot(const std::string& id) {
    for (;;) {
        std::shared_ptr<Slot> slot;
        {
            std::lock_guard lock(mutex_);
            auto& s = slots_[id];
            if (!s) s = std::make_shared<Slot>();
            slot = s;
        }
        std::unique_lock lock(slot->mutex);
        if (!slot->dead) return Locked{std::move(slot), std::move(lock)};
    }
}

void FileSessionStore::cache_forget(const std::shared_ptr<Slot>& slot) {
    if (slot->in_lru) {
        lru_.erase(slot->lru);
        slot->in_lru = false;
    }
    cache_total_ -= slot->cached_bytes;
    slot->cached_bytes = 0;
}

void FileSessionStore::cache_touch(const std::string& id, const std::shared_ptr<Slot>& slot) {
    cache_total_ -= slot->cached_bytes;
    slot->cached_bytes = slot->doc ? slot->doc->bytes() : 0;
    cache_total_ += slot->cached_bytes;
    if (slot->in_lru) lru_.erase(slot->lru);
    lru_.push_front(id);
    slot->lru = lru_.begin();
    slot->in_lru = true;
    // Evict least recently used sessions that nobody is working on. Their
    // journal state stays in the slot; a reload replays the journal.
    auto it = lru_.end();
    while ((cache_total_ > limits_.cache_bytes || lru_.size() > limits_.cache_entries) && it != lru_.begin()) {
        --it;
        if (*it == id) continue;
        auto victim_it = slots_.find(*it);
        if (victim_it == slots_.end()) continue;
        auto victim = victim_it->second;
        std::unique_lock vlock(victim->mutex, std::try_to_lock);
        if (!vlock.owns_lock()) continue;
        victim->doc.reset();
        auto next = std::next(it);
        cache_forget(victim);
        it = next;
    }
}

Status FileSessionStore::load_locked(const std::string& id, Slot& slot) {
    std::string text;
    try {
        text = read_file(file_of(id));
    } catch (const std::exception& e) {
        if (file_missing(e)) return OXIOS_E_NOT_FOUND;
        throw;
    }
    auto doc = SessionDoc::parse(text);
    if (!doc) return OXIOS_E_IO;  // never overwrite a session we cannot read
    slot.journal_bytes = 0;
    slot.journal_exchanges = 0;
    const fs::path jfile = journal_of(id);
    std::string journal;
    try {
        journal = read_file(jfile);
    } catch (const std::exception& e) {
        if (!file_missing(e)) throw;
    }
    if (!journal.empty()) {
        const JournalScan scan = scan_journal(journal);
        slot.journal_exchanges = replay_records(scan.records, doc->user_count(), jfile.c_str(),
                                                [&](const ExchangeRecord& r) { doc->apply(r); });
        // A torn tail must go before the next line is appended after it.
        if (scan.valid_bytes < journal.size()) truncate_file_durable(jfile, scan.valid_bytes);
        slot.journal_bytes = scan.valid_bytes;
    }
    slot.doc = std::make_unique<SessionDoc>(std::move(*doc));
    return OXIOS_OK;
}

void FileSessionStore::compact_locked(const std::string& id, Slot& slot) {
    if (slot.journal_exchanges > 0) slot.doc->write(file_of(id), spares_.get());
    slot.journal_exchanges = 0;
    if (slot.journal_bytes > 0) {
        // Not fsynced: should the removal be lost, the lines are below the
        // file's message count and skipped. The next journal's creation
        // fsyncs the directory anyway.
        if (::unlink(journal_of(id).c_str()) != 0 && errno != ENOENT)
            std::fprintf(stderr, "oxios: session %s: cannot remove its journal: errno %d\n", id.c_str(), errno);
        else
            slot.journal_bytes = 0;
    }
}

Result FileSessionStore::get(std::string_view id) { return read(id, true); }

Result FileSessionStore::export_file(std::string_view id) { return read(id, false); }

Result FileSessionStore::read(std::string_view id_view, bool api) {
    if (!valid_id(id_view)) return error_result(OXIOS_E_INVALID, "invalid session id");
    const std::string id(id_view);
    if (!indexed(id)) return error_result(OXIOS_E_NOT_FOUND, "session not found");
    auto locked = lock_slot(id);
    auto& slot = *locked.slot;
    if (!slot.doc) {
        Status st;
        try {
            st = load_locked(id, slot);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "oxios: session %s: read failed: %s\n", id.c_str(), e.what());
            st = OXIOS_E_IO;
        }
        if (st == OXIOS_E_NOT_FOUND) return error_result(OXIOS_E_NOT_FOUND, "session not found");
        if (st != OXIOS_OK) return error_result(OXIOS_E_IO, "session file is corrupt");
    }
    Result out{OXIOS_OK, api ? slot.doc->to_api_json() : slot.doc->to_json()};
    std::lock_guard lock(mutex_);
    cache_touch(id, locked.slot);
    return out;
}

Status FileSessionStore::import_file(std::string_view id_view, std::string_view text) {
    if (!valid_id(id_view)) return OXIOS_E_INVALID;
    auto doc = SessionDoc::parse(text);
    if (!doc) return OXIOS_E_INVALID;
    const std::string id(id_view);
    auto locked = lock_slot(id);
    auto& slot = *locked.slot;
    try {
        if (indexed(id)) {
            if (!slot.doc && load_locked(id, slot) != OXIOS_OK) return OXIOS_E_IO;
            if (slot.doc->user_count() >= doc->user_count()) return OXIOS_E_CONFLICT;
        } else if (!set_aside_unread(id)) {
            return OXIOS_E_IO;
        }
        doc->write(file_of(id), spares_.get());
        ::unlink(journal_of(id).c_str());  // the new file holds everything
        slot.journal_bytes = 0;
        slot.journal_exchanges = 0;
        slot.doc = std::make_unique<SessionDoc>(std::move(*doc));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "oxios: session %s: import failed: %s\n", id.c_str(), e.what());
        slot.doc.reset();
        std::lock_guard lock(mutex_);
        cache_forget(locked.slot);
        return OXIOS_E_IO;
    }
    index_put(slot.doc->summary(id));
    std::lock_guard lock(mutex_);
    cache_touch(id, locked.slot);
    return OXIOS_OK;
}

Status FileSessionStore::append(const oxios_exchange& ex) {
    const std::string_view id_view =
        ex.session_id.ptr == nullptr ? std::string_view{} : std::string_view(ex.session_id.ptr, ex.session_id.len);
    if (!valid_id(id_view)) return OXIOS_E_INVALID;
    const std::string id(id_view);
    const int64_t now = now_us_();
    auto locked = lock_slot(id);
    auto& slot = *locked.slot;
    bool compaction_failed = false;
    try {
        bool fresh = false;
        if (!slot.doc) {
            if (indexed(id)) {
                const Status st = load_locked(id, slot);
                if (st != OXIOS_OK) return st == OXIOS_E_NOT_FOUND ? OXIOS_E_IO : st;
            } else {
                const std::string_view user =
                    ex.user_id.ptr == nullptr ? std::string_view{} : std::string_view(ex.user_id.ptr, ex.user_id.len);
                if (!set_aside_unread(id)) return OXIOS_E_IO;
                slot.doc = std::make_unique<SessionDoc>(
                    SessionDoc::create(id, user, ex.user_time_us > 0 ? ex.user_time_us : now));
                fresh = true;
            }
        }
        ExchangeRecord record = slot.doc->record(ex, now);
        const size_t after = slot.doc->bytes() + record.user_item.size() + record.agent_item.size() + 2;
        if (fresh || (slot.journal_bytes == 0 && after <= limits_.journal_above_bytes)) {
            // Small (or new): the whole file, complete on return.
            if (fresh && ::unlink(journal_of(id).c_str()) == 0)  // a stale journal must not replay into it
                std::fprintf(stderr, "oxios: session %s: removed a stale journal\n", id.c_str());
            slot.doc->apply(record);
            slot.doc->write(file_of(id), spares_.get());
            slot.journal_bytes = 0;
            slot.journal_exchanges = 0;
        } else {
            slot.journal_bytes = append_file_durable(journal_of(id), record.journal_line());
            slot.doc->apply(record);
            ++slot.journal_exchanges;
            if (slot.journal_exchanges >= limits_.journal_max_exchanges ||
                slot.journal_bytes >= limits_.journal_max_bytes) {
                try {
                    compact_locked(id, slot);
                } catch (const std::exception& e) {  // the exchange is durable in the journal
                    std::fprintf(stderr, "oxios: session %s: compaction failed: %s\n", id.c_str(), e.what());
                    compaction_failed = true;
                }
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "oxios: session %s: append failed: %s\n", id.c_str(), e.what());
        slot.doc.reset();  // reload from disk next time: the files are the truth
        write_failed_ = true;
        std::lock_guard lock(mutex_);
        cache_forget(locked.slot);
        return OXIOS_E_IO;
    }
    write_failed_ = compaction_failed;
    index_put(slot.doc->summary(id));
    std::lock_guard lock(mutex_);
    cache_touch(id, locked.slot);
    return OXIOS_OK;
}

Result FileSessionStore::list(uint32_t page, uint32_t limit) const {
    page = std::max<uint32_t>(page, 1);
    limit = std::clamp<uint32_t>(limit, 1, 500);
    std::vector<SessionSummary> items;
    size_t total;
    {
        std::shared_lock lock(index_mutex_);
        total = ordered_.size();
        const size_t offset = static_cast<size_t>(page - 1) * limit;
        if (offset < total) {
            auto it = std::next(ordered_.begin(), static_cast<ptrdiff_t>(offset));
            for (uint32_t n = 0; n < limit && it != ordered_.end(); ++n, ++it) items.push_back(**it);
        }
    }
    return Result{OXIOS_OK, summaries_page_json(items, total)};
}

Status FileSessionStore::remove_locked(const std::string& id, Locked& locked, int64_t expected_updated_us) {
    {
        std::shared_lock lock(index_mutex_);
        auto it = index_.find(id);
        if (it == index_.end()) return OXIOS_E_NOT_FOUND;
        if (expected_updated_us >= 0 && it->second.updated_us != expected_updated_us) return OXIOS_E_CONFLICT;
    }
    // The session file first: a journal left without one is removed at start.
    if (::unlink(file_of(id).c_str()) != 0 && errno != ENOENT) return OXIOS_E_IO;
    if (::unlink(journal_of(id).c_str()) != 0 && errno != ENOENT)
        std::fprintf(stderr, "oxios: session %s: cannot remove its journal: errno %d\n", id.c_str(), errno);
    fsync_dir(dir_);
    index_erase(id);
    auto& slot = *locked.slot;
    slot.dead = true;
    slot.journal_bytes = 0;
    slot.journal_exchanges = 0;
    std::lock_guard lock(mutex_);
    slot.doc.reset();
    cache_forget(locked.slot);
    auto it = slots_.find(id);
    if (it != slots_.end() && it->second == locked.slot) slots_.erase(it);
    return OXIOS_OK;
}

Status FileSessionStore::remove(std::string_view id_view) {
    if (!valid_id(id_view)) return OXIOS_E_INVALID;
    const std::string id(id_view);
    if (!indexed(id)) return OXIOS_E_NOT_FOUND;
    auto locked = lock_slot(id);
    return remove_locked(id, locked, -1);
}

Result FileSessionStore::prune(bool force, int64_t max_sessions, int64_t ttl_hours) {
    const int64_t now = now_us_();
    uint64_t count = 0;
    if (prune_due(last_prune_us_, now, force)) {
        // TTL first, then keep the newest max_sessions: both drop a tail of
        // the ordered index, so walk it from the oldest end.
        std::vector<std::pair<std::string, int64_t>> victims;
        {
            std::shared_lock lock(index_mutex_);
            const int64_t cutoff = prune_cutoff_us(now, ttl_hours);
            const size_t keep =
                max_sessions > 0 ? static_cast<size_t>(max_sessions) : std::numeric_limits<size_t>::max();
            size_t position = ordered_.size();
            for (auto it = ordered_.rbegin(); it != ordered_.rend(); ++it) {
                --position;
                const SessionSummary& s = **it;
                if (position < keep && s.updated_us >= cutoff) break;
                victims.emplace_back(s.id, s.updated_us);
            }
        }
        for (const auto& [id, updated] : victims) {
            auto locked = lock_slot(id);
            if (remove_locked(id, locked, updated) == OXIOS_OK) ++count;
        }
    }
    return Result{OXIOS_OK, prune_result_json(count, max_sessions, ttl_hours)};
}

void FileSessionStore::flush() {
    std::vector<std::pair<std::string, std::shared_ptr<Slot>>> all;
    {
        std::lock_guard lock(mutex_);
        all.assign(slots_.begin(), slots_.end());
    }
    for (auto& [id, slot] : all) {
        std::unique_lock lock(slot->mutex);
        if (slot->dead || slot->journal_bytes == 0) continue;
        try {
            const bool loaded_here = !slot->doc && slot->journal_exchanges > 0;
            if (loaded_here && load_locked(id, *slot) != OXIOS_OK) continue;
            compact_locked(id, *slot);
            if (loaded_here) slot->doc.reset();  // not in the cache's accounting
        } catch (const std::exception& e) {
            std::fprintf(stderr, "oxios: session %s: compaction failed: %s\n", id.c_str(), e.what());
        }
    }
}

size_t FileSessionStore::count() const {
    std::shared_lock lock(index_mutex_);
    return index_.size();
}

bool FileSessionStore::healthy(std::string& detail) const {
    const bool writable = ::access(dir_.c_str(), W_OK) == 0;
    const size_t n = count();
    if (!writable) {
        detail = "session directory is not writable: " + dir_.string();
        return false;
    }
    if (write_failed_) {
        detail = "the last session write failed";
        return false;
    }
    detail = std::to_string(n) + " sessions";
    return true;
}

}  // namespace oxios::kernel
