#include "session_store.hpp"

#include "atomic_file.hpp"
#include "ids.hpp"
#include "json_util.hpp"
#include "services/service_registry.hpp"

#include <rapidjson/document.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace oxios::kernel {

namespace fs = std::filesystem;

namespace {
constexpr int64_t kHourUs = 3600LL * 1'000'000;

bool newer(const SessionSummary* a, const SessionSummary* b) {
    if (a->updated_us != b->updated_us) return a->updated_us > b->updated_us;
    return a->id < b->id;
}
}  // namespace

SessionStore::SessionStore(fs::path dir, std::function<int64_t()> now_us, Limits limits)
    : dir_(std::move(dir)), now_us_(std::move(now_us)), limits_(limits) {
    fs::create_directories(dir_);
    build_index();
}

fs::path SessionStore::file_of(std::string_view id) const { return dir_ / (std::string(id) + ".json"); }

void SessionStore::build_index() {
    for (const auto& entry : fs::directory_iterator(dir_)) {
        const std::string name = entry.path().filename().string();
        if (name.size() > 4 && name.front() == '.' && name.ends_with(".tmp")) {
            std::error_code ec;
            fs::remove(entry.path(), ec);  // left over by a crash before rename
            continue;
        }
        if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
        const std::string id = entry.path().stem().string();
        if (!valid_id(id)) continue;
        try {
            auto summary = SessionDoc::summarize(id, read_file(entry.path()));
            if (!summary) {
                std::fprintf(stderr, "oxios: skipping unparsable session file %s\n", entry.path().c_str());
                continue;
            }
            index_.emplace(id, std::move(*summary));
        } catch (const std::exception& e) {
            std::fprintf(stderr, "oxios: skipping unreadable session file %s: %s\n", entry.path().c_str(),
                         e.what());
        }
    }
}

SessionStore::Locked SessionStore::lock_slot(const std::string& id) {
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

void SessionStore::cache_forget(const std::shared_ptr<Slot>& slot) {
    if (slot->in_lru) {
        lru_.erase(slot->lru);
        slot->in_lru = false;
    }
    cache_total_ -= slot->cached_bytes;
    slot->cached_bytes = 0;
}

void SessionStore::cache_touch(const std::string& id, const std::shared_ptr<Slot>& slot) {
    cache_total_ -= slot->cached_bytes;
    slot->cached_bytes = slot->doc ? slot->doc->bytes() : 0;
    cache_total_ += slot->cached_bytes;
    if (slot->in_lru) lru_.erase(slot->lru);
    lru_.push_front(id);
    slot->lru = lru_.begin();
    slot->in_lru = true;
    // Evict least recently used sessions that nobody is working on.
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

Result SessionStore::get(std::string_view id_view) {
    if (!valid_id(id_view)) return error_result(OXIOS_E_INVALID, "invalid session id");
    const std::string id(id_view);
    {
        std::lock_guard lock(mutex_);
        if (!index_.count(id)) return error_result(OXIOS_E_NOT_FOUND, "session not found");
    }
    std::string text;
    try {
        text = read_file(file_of(id));
    } catch (const std::exception&) {
        return error_result(OXIOS_E_NOT_FOUND, "session not found");
    }
    rapidjson::Document doc;
    doc.Parse(text.data(), text.size());
    if (doc.HasParseError() || !doc.IsObject()) return error_result(OXIOS_E_IO, "session file is corrupt");
    rapidjson::Value space(rapidjson::kNullType);
    if (const auto* md = json::member(doc, "metadata"))
        if (const auto* sp = json::member(*md, "space_id")) space.CopyFrom(*sp, doc.GetAllocator());
    doc.RemoveMember("space_id");
    doc.AddMember("space_id", space, doc.GetAllocator());
    return Result{OXIOS_OK, json::to_string(doc)};
}

Status SessionStore::append(const oxios_exchange& ex) {
    const std::string_view id_view =
        ex.session_id.ptr == nullptr ? std::string_view{} : std::string_view(ex.session_id.ptr, ex.session_id.len);
    if (!valid_id(id_view)) return OXIOS_E_INVALID;
    const std::string id(id_view);
    const int64_t now = now_us_();
    auto locked = lock_slot(id);
    auto& slot = *locked.slot;
    try {
        if (!slot.doc) {
            bool known;
            {
                std::lock_guard lock(mutex_);
                known = index_.count(id) != 0;
            }
            std::optional<SessionDoc> loaded;
            if (known) {
                loaded = SessionDoc::parse(read_file(file_of(id)));
                if (!loaded) return OXIOS_E_IO;  // never overwrite a session we cannot read
            } else {
                const std::string_view user =
                    ex.user_id.ptr == nullptr ? std::string_view{} : std::string_view(ex.user_id.ptr, ex.user_id.len);
                loaded = SessionDoc::create(id, user, ex.user_time_us > 0 ? ex.user_time_us : now);
            }
            slot.doc = std::make_unique<SessionDoc>(std::move(*loaded));
        }
        slot.doc->append(ex, now);
        slot.doc->write(file_of(id));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "oxios: session %s: append failed: %s\n", id.c_str(), e.what());
        slot.doc.reset();  // reload from disk next time: the file is the truth
        write_failed_ = true;
        std::lock_guard lock(mutex_);
        cache_forget(locked.slot);
        return OXIOS_E_IO;
    }
    write_failed_ = false;
    std::lock_guard lock(mutex_);
    index_[id] = slot.doc->summary(id);
    cache_touch(id, locked.slot);
    return OXIOS_OK;
}

Result SessionStore::list(uint32_t page, uint32_t limit) const {
    page = std::max<uint32_t>(page, 1);
    limit = std::clamp<uint32_t>(limit, 1, 500);
    rapidjson::Document out(rapidjson::kObjectType);
    auto& a = out.GetAllocator();
    rapidjson::Value items(rapidjson::kArrayType);
    size_t total;
    {
        std::lock_guard lock(mutex_);
        total = index_.size();
        std::vector<const SessionSummary*> all;
        all.reserve(index_.size());
        for (const auto& [id, s] : index_) all.push_back(&s);
        const size_t begin = std::min<size_t>(static_cast<size_t>(page - 1) * limit, all.size());
        const size_t end = std::min<size_t>(begin + limit, all.size());
        std::partial_sort(all.begin(), all.begin() + static_cast<ptrdiff_t>(end), all.end(), newer);
        auto nullable = [&a](const std::string& s) {
            return s.empty() ? rapidjson::Value(rapidjson::kNullType) : json::str(s, a);
        };
        for (size_t i = begin; i < end; ++i) {
            const auto& s = *all[i];
            rapidjson::Value item(rapidjson::kObjectType);
            item.AddMember("id", json::str(s.id, a), a);
            item.AddMember("user_id", json::str(s.user_id, a), a);
            item.AddMember("space_id", nullable(s.space_id), a);
            item.AddMember("message_count", s.message_count, a);
            item.AddMember("active_seed_id", nullable(s.active_seed_id), a);
            item.AddMember("created_at", json::str(s.created_at, a), a);
            item.AddMember("updated_at", json::str(s.updated_at, a), a);
            items.PushBack(item, a);
        }
    }
    out.AddMember("items", items, a);
    out.AddMember("total", static_cast<uint64_t>(total), a);
    return Result{OXIOS_OK, json::to_string(out)};
}

Status SessionStore::remove_locked(const std::string& id, Locked& locked, int64_t expected_updated_us) {
    {
        std::lock_guard lock(mutex_);
        auto it = index_.find(id);
        if (it == index_.end()) return OXIOS_E_NOT_FOUND;
        if (expected_updated_us >= 0 && it->second.updated_us != expected_updated_us) return OXIOS_E_CONFLICT;
    }
    if (::unlink(file_of(id).c_str()) != 0 && errno != ENOENT) return OXIOS_E_IO;
    fsync_dir(dir_);
    std::lock_guard lock(mutex_);
    index_.erase(id);
    locked.slot->dead = true;
    locked.slot->doc.reset();
    cache_forget(locked.slot);
    slots_.erase(id);
    return OXIOS_OK;
}

Status SessionStore::remove(std::string_view id_view) {
    if (!valid_id(id_view)) return OXIOS_E_INVALID;
    const std::string id(id_view);
    {
        std::lock_guard lock(mutex_);
        if (!index_.count(id)) return OXIOS_E_NOT_FOUND;
    }
    auto locked = lock_slot(id);
    return remove_locked(id, locked, -1);
}

Result SessionStore::prune(bool force, int64_t max_sessions, int64_t ttl_hours) {
    const int64_t now = now_us_();
    uint64_t count = 0;
    bool run = force;
    int64_t last = last_prune_us_.load();
    while (!run && (last == 0 || now - last > kHourUs))
        run = last_prune_us_.compare_exchange_weak(last, now);  // one auto-prune per hour
    if (run) {
        last_prune_us_ = now;
        std::vector<std::pair<std::string, int64_t>> victims;
        {
            std::lock_guard lock(mutex_);
            std::vector<const SessionSummary*> keep;
            for (const auto& [id, s] : index_) {
                if (ttl_hours > 0 && s.updated_us < now - ttl_hours * kHourUs)
                    victims.emplace_back(id, s.updated_us);
                else
                    keep.push_back(&s);
            }
            if (max_sessions > 0 && keep.size() > static_cast<size_t>(max_sessions)) {
                std::sort(keep.begin(), keep.end(), newer);
                for (size_t i = static_cast<size_t>(max_sessions); i < keep.size(); ++i)
                    victims.emplace_back(keep[i]->id, keep[i]->updated_us);
            }
        }
        for (const auto& [id, updated] : victims) {
            auto locked = lock_slot(id);
            if (remove_locked(id, locked, updated) == OXIOS_OK) ++count;
        }
    }
    rapidjson::Document out(rapidjson::kObjectType);
    auto& a = out.GetAllocator();
    out.AddMember("count", count, a);
    rapidjson::Value config(rapidjson::kObjectType);
    config.AddMember("max_sessions", max_sessions, a);
    config.AddMember("ttl_hours", ttl_hours, a);
    out.AddMember("config", config, a);
    return Result{OXIOS_OK, json::to_string(out)};
}

size_t SessionStore::count() const {
    std::lock_guard lock(mutex_);
    return index_.size();
}

bool SessionStore::healthy(std::string& detail) const {
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
