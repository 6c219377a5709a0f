#include "spaces.hpp"

#include "infra/clock.hpp"
#include "infra/ids.hpp"
#include "infra/json_util.hpp"
#include "services/service_registry.hpp"
#include "session_store.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace oxios::kernel {

namespace {

constexpr const char* kCollection = "spaces";  // <workspace>/spaces/<id>.json with files

void set(rapidjson::Document& d, const char* name, rapidjson::Value v) {
    auto it = d.FindMember(name);
    if (it != d.MemberEnd())
        it->value = std::move(v);
    else
        d.AddMember(rapidjson::StringRef(name), std::move(v), d.GetAllocator());
}

int64_t activity_us(const rapidjson::Value& d) {
    auto t = clock::parse_rfc3339(json::get_string(d, "last_active_at"));
    if (!t) t = clock::parse_rfc3339(json::get_string(d, "created_at"));
    return t.value_or(0);
}

Result ok_space(const std::string& id) {
    rapidjson::Document out(rapidjson::kObjectType);
    auto& a = out.GetAllocator();
    out.AddMember("ok", true, a);
    out.AddMember("space_id", json::str(id, a), a);
    return Result{OXIOS_OK, json::to_string(out)};
}

}  // namespace

SpaceStore::SpaceStore(RecordStore& records, Publish publish, std::function<int64_t()> now_us)
    : records_(records), publish_(std::move(publish)), now_us_(std::move(now_us)) {
    for (auto& record : records_.load_all(kCollection, RecordStore::OnBad::keep_and_report))
        adopt_locked(record.key, record.json);
}

void SpaceStore::adopt_locked(const std::string& id, std::string_view text) {
    auto doc = json::parse(text);
    if (!doc || !doc->IsObject()) return;
    set(*doc, "id", json::str(id, doc->GetAllocator()));
    spaces_[id].doc = std::move(*doc);  // a space being written keeps its write order
}

void SpaceStore::changed_elsewhere(const std::string& id) {
    if (id.empty())
        stale_.mark_all();
    else if (valid_id(id))
        stale_.mark(id);
}

void SpaceStore::refresh_locked() {
    auto taken = stale_.take();
    try {
        if (taken.all) {
            for (auto& record : records_.load_all(kCollection, RecordStore::OnBad::keep_and_report))
                adopt_locked(record.key, record.json);
            return;
        }
        for (const auto& id : taken.keys)
            if (auto text = records_.get(kCollection, id)) adopt_locked(id, *text);
    } catch (const std::exception&) {
        // The store is out: read what we have; mark again for the next read.
        if (taken.all) stale_.mark_all();
        for (auto& id : taken.keys) stale_.mark(std::move(id));
    }
}

SpaceStore::SpaceStore::Space* SpaceStore::lookup_locked(const std::string& id) {
    auto it = spaces_.find(id);
    if (it != spaces_.end()) return &it->second;
    // Another host of a cluster may have stored it since we loaded.
    std::optional<std::string> text;
    try {
        text = records_.get(kCollection, id);
    } catch (const std::exception&) {
        return nullptr;
    }
    auto doc = text ? json::parse(*text) : std::nullopt;
    if (!doc || !doc->IsObject()) return nullptr;
    Space space;
    space.doc = std::move(*doc);
    set(space.doc, "id", json::str(id, space.doc.GetAllocator()));
    return &spaces_.emplace(id, std::move(space)).first->second;
}

SpaceStore::Space& SpaceStore::create_locked(const std::string& id, const char* source) {
    Space& space = spaces_[id];
    auto& d = space.doc;
    auto& a = d.GetAllocator();
    d.SetObject();
    const std::string now = clock::format_rfc3339(now_us_());
    d.AddMember("id", json::str(id, a), a);
    d.AddMember("name", json::str(id, a), a);
    d.AddMember("source", rapidjson::StringRef(source), a);
    d.AddMember("active", false, a);
    d.AddMember("archived", false, a);
    d.AddMember("tags", rapidjson::Value(rapidjson::kArrayType), a);
    d.AddMember("paths", rapidjson::Value(rapidjson::kArrayType), a);
    d.AddMember("interaction_count", 0, a);
    d.AddMember("created_at", json::str(now, a), a);
    d.AddMember("last_active_at", json::str(now, a), a);
    return space;
}

SpaceStore::PendingWrite SpaceStore::pending_locked(const std::string& id, Space& space) {
    ++space.version;
    return PendingWrite{id, json::to_pretty_string(space.doc), space.version, space.write_mutex, space.written};
}

Status SpaceStore::flush(const PendingWrite& w) {
    std::lock_guard lock(*w.write_mutex);
    if (*w.written >= w.version) return OXIOS_OK;  // a newer state is already stored
    try {
        records_.put(kCollection, w.id, w.text);
        *w.written = w.version;
        return OXIOS_OK;
    } catch (const StoreUnavailable&) {
        return OXIOS_E_BUSY;  // kept in memory: the next write of this space stores it
    } catch (const std::exception& e) {
        std::fprintf(stderr, "oxios: cannot write space %s: %s\n", w.id.c_str(), e.what());
        return OXIOS_E_IO;
    }
}

Result SpaceStore::stored_or_error(Status st, const std::string& id) {
    if (st == OXIOS_E_BUSY) return error_result(OXIOS_E_BUSY, kStoreUnavailable);
    if (st != OXIOS_OK) return error_result(OXIOS_E_IO, "cannot store space " + id);
    return ok_space(id);
}

void SpaceStore::publish_space(const char* type, const std::string& id, const std::string& name) {
    if (!publish_) return;
    rapidjson::Document f(rapidjson::kObjectType);
    auto& a = f.GetAllocator();
    f.AddMember("space_id", json::str(id, a), a);
    f.AddMember("name", json::str(name, a), a);
    publish_(type, f);
}

Result SpaceStore::list(uint32_t page, uint32_t limit, bool include_archived) {
    rapidjson::Document out(rapidjson::kObjectType);
    auto& a = out.GetAllocator();
    rapidjson::Value items(rapidjson::kArrayType);
    std::lock_guard lock(mutex_);
    refresh_locked();
    std::vector<std::pair<int64_t, const rapidjson::Document*>> all;
    for (const auto& [id, s] : spaces_)
        if (include_archived || !json::get_bool(s.doc, "archived", false)) all.emplace_back(activity_us(s.doc), &s.doc);
    std::stable_sort(all.begin(), all.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
    const size_t begin = std::min<size_t>(static_cast<size_t>(std::max<uint32_t>(page, 1) - 1) * limit, all.size());
    const size_t end = std::min<size_t>(begin + limit, all.size());
    for (size_t i = begin; i < end; ++i) items.PushBack(rapidjson::Value(*all[i].second, a), a);
    out.AddMember("items", items, a);
    out.AddMember("total", static_cast<uint64_t>(all.size()), a);
    return Result{OXIOS_OK, json::to_string(out)};
}

Result SpaceStore::get(std::string_view id) {
    if (!valid_id(id)) return error_result(OXIOS_E_INVALID, "invalid space id");
    std::lock_guard lock(mutex_);
    refresh_locked();
    const Space* space = lookup_locked(std::string(id));
    if (space == nullptr) return error_result(OXIOS_E_NOT_FOUND, "space not found");
    return Result{OXIOS_OK, json::to_string(space->doc)};
}

Result SpaceStore::activate(std::string_view id_view) {
    if (!valid_id(id_view)) return error_result(OXIOS_E_INVALID, "invalid space id");
    const std::string id(id_view);
    std::vector<PendingWrite> writes;
    std::string name;
    {
        std::lock_guard lock(mutex_);
        refresh_locked();
        if (lookup_locked(id) == nullptr) return error_result(OXIOS_E_NOT_FOUND, "space not found");
        auto it = spaces_.find(id);
        for (auto& [other_id, s] : spaces_) {
            if (other_id != id && json::get_bool(s.doc, "active", false)) {
                set(s.doc, "active", rapidjson::Value(false));
                writes.push_back(pending_locked(other_id, s));
            }
        }
        auto& d = it->second.doc;
        set(d, "active", rapidjson::Value(true));
        set(d, "archived", rapidjson::Value(false));
        set(d, "last_active_at", json::str(clock::format_rfc3339(now_us_()), d.GetAllocator()));
        writes.push_back(pending_locked(id, it->second));
        name = json::get_string(d, "name", id);
    }
    Status st = OXIOS_OK;
    for (const auto& w : writes)
        if (Status one = flush(w); one != OXIOS_OK) st = one;
    if (st == OXIOS_OK) publish_space("space_activated", id, name);
    return stored_or_error(st, id);
}

Result SpaceStore::archive(std::string_view id_view) {
    if (!valid_id(id_view)) return error_result(OXIOS_E_INVALID, "invalid space id");
    const std::string id(id_view);
    PendingWrite write;
    std::string name;
    {
        std::lock_guard lock(mutex_);
        refresh_locked();
        if (lookup_locked(id) == nullptr) return error_result(OXIOS_E_NOT_FOUND, "space not found");
        auto it = spaces_.find(id);
        auto& d = it->second.doc;
        set(d, "archived", rapidjson::Value(true));
        set(d, "active", rapidjson::Value(false));
        write = pending_locked(id, it->second);
        name = json::get_string(d, "name", id);
    }
    const Status st = flush(write);
    if (st == OXIOS_OK) publish_space("space_archived", id, name);
    return stored_or_error(st, id);
}

Status SpaceStore::resolve_for_chat(std::string_view requested, std::string& space_id) {
    space_id.clear();
    if (requested.empty()) {
        {
            std::lock_guard lock(mutex_);
            refresh_locked();  // another host may have activated one
        }
        if (auto active = active_id()) space_id = *active;
        return OXIOS_OK;
    }
    if (!valid_id(requested)) return OXIOS_E_INVALID;
    const std::string id(requested);
    PendingWrite write;
    {
        std::lock_guard lock(mutex_);
        if (lookup_locked(id) != nullptr) {
            space_id = id;
            return OXIOS_OK;
        }
        write = pending_locked(id, create_locked(id, "chat"));
    }
    flush(write);
    space_id = id;
    publish_space("space_created", id, id);
    return OXIOS_OK;
}

void SpaceStore::record_interaction(std::string_view id_view) {
    if (!valid_id(id_view)) return;
    const std::string id(id_view);
    PendingWrite write;
    {
        std::lock_guard lock(mutex_);
        refresh_locked();  // the whole document is written: start from the cluster's copy
        auto it = spaces_.find(id);
        if (it == spaces_.end()) return;
        auto& d = it->second.doc;
        set(d, "interaction_count", rapidjson::Value(json::get_int(d, "interaction_count", 0) + 1));
        set(d, "last_active_at", json::str(clock::format_rfc3339(now_us_()), d.GetAllocator()));
        write = pending_locked(id, it->second);
    }
    flush(write);
}

std::optional<std::string> SpaceStore::active_id() const {
    std::lock_guard lock(mutex_);
    for (const auto& [id, s] : spaces_)
        if (json::get_bool(s.doc, "active", false) && !json::get_bool(s.doc, "archived", false)) return id;
    return std::nullopt;
}

size_t SpaceStore::count_unarchived() const {
    std::lock_guard lock(mutex_);
    return static_cast<size_t>(std::count_if(spaces_.begin(), spaces_.end(), [](const auto& kv) {
        return !json::get_bool(kv.second.doc, "archived", false);
    }));
}

void register_spaces_methods(ServiceRegistry& registry, SpaceStore& spaces) {
    registry.add("spaces.list", [&spaces](const rapidjson::Value& in) {
        const auto p = json::read_page(in, /*lenient=*/true);
        bool archived = json::get_bool(in, "include_archived", false);
        const std::string text = json::get_string(in, "include_archived");  // query strings pass through
        if (text == "true" || text == "1") archived = true;
        return spaces.list(p.page, p.limit, archived);
    });
    registry.add("spaces.get",
                 [&spaces](const rapidjson::Value& in) { return spaces.get(json::get_string(in, "id")); });
    registry.add("spaces.activate",
                 [&spaces](const rapidjson::Value& in) { return spaces.activate(json::get_string(in, "id")); });
    registry.add("spaces.archive",
                 [&spaces](const rapidjson::Value& in) { return spaces.archive(json::get_string(in, "id")); });
}

}  // namespace oxios::kernel
