// memory.create / list / get / search / semantic (abi/METHODS.md), plus
// memory.stats for system.status.
//
// Storage: records of the state store, collection memory/<category> (with
// files <workspace>/memory/<category>/<id>.json), category = memory_type
// (fact | episode | knowledge), id a UUID v4; each record is
//   {"id","content","memory_type","tags":[...],"importance","created_at"}
// Every entry is kept in an in-memory index, loaded at registration and
// updated on create, so list/get/search read no record; entries another host
// stored are fetched when its memory_stored event arrives (get also falls
// back to the store for an entry written since).
#include "infra/clock.hpp"
#include "infra/ids.hpp"
#include "infra/json_util.hpp"
#include "infra/uuid.hpp"
#include "services/git_service.hpp"
#include "services/service_error.hpp"
#include "services/service_registry.hpp"
#include "store/stale_keys.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <system_error>
#include <unordered_map>
#include <vector>

namespace oxios::kernel::services {
namespace {
namespace fs = std::filesystem;

constexpr size_t kMaxContentBytes = 32768;
constexpr int64_t kDefaultSearchLimit = 10;
constexpr int64_t kMaxSearchLimit = 1000;
constexpr const char* kCategories[] = {"fact", "episode", "knowledge"};

bool valid_category(std::string_view c) {
    return std::find(std::begin(kCategories), std::end(kCategories), c) != std::end(kCategories);
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

size_t count_occurrences(std::string_view haystack, std::string_view needle) {
    size_t n = 0;
    for (size_t pos = haystack.find(needle); pos != std::string_view::npos;
         pos = haystack.find(needle, pos + needle.size()))
        ++n;
    return n;
}

struct Entry {
    std::string id, category, content, created_at;
    std::vector<std::string> tags;
    double importance = 0.5;
    // Lowercased copies for keyword search.
    std::string content_lc;
    std::vector<std::string> tags_lc;
};

std::optional<Entry> entry_from_json(const rapidjson::Value& doc, const std::string& id, const std::string& category) {
    auto content = json::member_string(doc, "content");
    if (!content) return std::nullopt;
    Entry e;
    e.id = id;
    e.category = category;
    e.content = std::move(*content);
    e.created_at = json::member_string(doc, "created_at").value_or("");
    auto tags = doc.FindMember("tags");
    if (tags != doc.MemberEnd() && tags->value.IsArray())
        for (const auto& t : tags->value.GetArray())
            if (t.IsString()) e.tags.emplace_back(t.GetString(), t.GetStringLength());
    auto imp = doc.FindMember("importance");
    if (imp != doc.MemberEnd() && imp->value.IsNumber()) e.importance = imp->value.GetDouble();
    e.content_lc = lower(e.content);
    for (const auto& t : e.tags) e.tags_lc.push_back(lower(t));
    return e;
}

bool newer(const Entry* a, const Entry* b) {
    if (a->created_at != b->created_at) return a->created_at > b->created_at;
    return a->id < b->id;
}

std::string collection_of(std::string_view category) { return "memory/" + std::string(category); }

struct MemoryService {
    ServiceContext ctx;
    mutable std::shared_mutex mutex;
    std::unordered_map<std::string, Entry> index;  // by id
    StaleKeys stale;                               // "<category>/<id>" stored by another host

    // nullopt when absent, unreadable or not a JSON object (those two
    // reported as unreadable).
    std::optional<Entry> read_entry(const std::string& id, const std::string& category) const {
        const fs::path file = fs::path(ctx.workspace) / collection_of(category) / (id + ".json");
        std::optional<std::string> text;
        try {
            text = ctx.records->get(collection_of(category), id);
        } catch (const StoreUnavailable&) {
            throw;
        } catch (const std::exception& e) {
            report_unreadable(ctx.unreadable, file, std::string("cannot read: ") + e.what());
            return std::nullopt;
        }
        if (!text) return std::nullopt;
        auto doc = json::parse_object(*text);
        if (!doc) {
            report_unreadable(ctx.unreadable, file, "not a memory entry (malformed JSON or not an object)");
            return std::nullopt;
        }
        clear_unreadable(ctx.unreadable, file);
        return entry_from_json(*doc, id, category);
    }

    // (Re)reads every entry: at start, after a git restore, after a lagged bus.
    void load_all() {
        std::unordered_map<std::string, Entry> fresh;
        for (const char* category : kCategories)
            for (auto& r : ctx.records->load_all(collection_of(category), RecordStore::OnBad::keep_and_report))
                if (auto doc = json::parse_object(r.json))
                    if (auto e = entry_from_json(*doc, r.key, category)) fresh.emplace(r.key, std::move(*e));
        std::unique_lock lock(mutex);
        index.swap(fresh);
    }

    // Before a read: what other hosts stored since (marked from their events).
    void refresh() {
        auto taken = stale.take();
        if (taken.all) return load_all();
        for (const auto& key : taken.keys) {
            const auto slash = key.find('/');
            const std::string category = key.substr(0, slash), id = key.substr(slash + 1);
            {
                std::shared_lock lock(mutex);
                if (index.count(id)) continue;  // entries never change once stored
            }
            if (auto e = read_entry(id, category)) {
                std::unique_lock lock(mutex);
                index.insert_or_assign(id, std::move(*e));
            }
        }
    }

    void publish(std::string_view type, const json::Builder& fields) const {
        if (ctx.publish) ctx.publish(type, fields.str());
    }

    Result create(const rapidjson::Value& in) {
        std::string content = json::req_string(in, "content");
        if (content.size() > kMaxContentBytes)
            fail(OXIOS_E_TOO_LARGE, std::to_string(content.size()) + " bytes exceeds limit of " +
                                        std::to_string(kMaxContentBytes) + " bytes");
        if (content.find_first_not_of(" \t\r\n") == std::string::npos)
            fail(OXIOS_E_INVALID, "content must not be empty");
        std::string category = json::opt_string(in, "memory_type").value_or("fact");
        if (!valid_category(category)) fail(OXIOS_E_INVALID, "memory_type must be fact, episode, or knowledge");
        std::vector<std::string> tags = json::opt_string_array(in, "tags");
        double importance = json::opt_number(in, "importance").value_or(0.5);
        if (!std::isfinite(importance) || importance < 0.0 || importance > 1.0)
            fail(OXIOS_E_INVALID, "importance must be between 0 and 1");

        Entry e;
        e.id = uuid_v4();
        e.category = category;
        e.content = std::move(content);
        e.tags = std::move(tags);
        e.importance = importance;
        e.created_at = clock::format_rfc3339((ctx.now_us ? ctx.now_us() : clock::now_us()));
        e.content_lc = lower(e.content);
        for (const auto& t : e.tags) e.tags_lc.push_back(lower(t));

        json::Builder file;
        file.begin_object()
            .field("id", e.id)
            .field("content", e.content)
            .field("memory_type", e.category)
            .field("tags", e.tags)
            .field("importance", e.importance)
            .field("created_at", e.created_at)
            .end_object();
        try {
            ctx.records->put(collection_of(category), e.id, file.str());
        } catch (const StoreUnavailable&) {
            throw;
        } catch (const std::exception& err) {
            fail(OXIOS_E_IO, std::string("cannot store memory: ") + err.what());
        }
        if (ctx.git != nullptr) ctx.git->changed("memory", "write", "memory/" + category + "/" + e.id + ".json");

        json::Builder event;
        event.begin_object()
            .field("memory_id", e.id)  // the bus owns the event's own "id"
            .field("memory_type", e.category)
            .field("tags", e.tags)
            .end_object();
        std::string id = e.id;
        {
            std::unique_lock lock(mutex);
            index.insert_or_assign(id, std::move(e));
        }
        publish("memory_stored", event);

        json::Builder out;
        out.begin_object().field("id", id).field("status", "created").end_object();
        return out.result();
    }

    Result list(const rapidjson::Value& in) {
        auto page = json::read_page(in);
        refresh();
        std::shared_lock lock(mutex);
        std::vector<const Entry*> all;
        all.reserve(index.size());
        for (const auto& [id, e] : index) all.push_back(&e);
        std::sort(all.begin(), all.end(), newer);
        json::Builder out;
        out.begin_object().key("items").begin_array();
        for (uint64_t i = page.offset(); i < all.size() && i < page.offset() + page.limit; ++i)
            out.begin_object().field("name", all[i]->id).field("category", all[i]->category).end_object();
        out.end_array().field("total", all.size()).end_object();
        return out.result();
    }

    Result get(const rapidjson::Value& in) {
        std::string name = json::req_string(in, "name");
        if (!kernel::valid_id(name)) fail(OXIOS_E_INVALID, "invalid memory name");
        std::optional<Entry> found;
        refresh();
        {
            std::shared_lock lock(mutex);
            if (auto it = index.find(name); it != index.end()) found = it->second;
        }
        if (!found) {  // written by someone else since the index was loaded?
            for (const char* category : kCategories)
                if ((found = read_entry(name, category))) break;
            if (!found) fail(OXIOS_E_NOT_FOUND, "memory not found");
            std::unique_lock lock(mutex);
            index.emplace(name, *found);
        }
        const Entry& e = *found;
        json::Builder out;
        out.begin_object()
            .field("id", e.id)
            .field("name", e.id)
            .field("category", e.category)
            .field("content", e.content)
            .field("tags", e.tags)
            .field("importance", e.importance)
            .field("created_at", e.created_at)
            .end_object();
        return out.result();
    }

    Result search(const rapidjson::Value& in) {
        std::string query = json::opt_string(in, "query").value_or("");
        const std::string category = json::opt_string(in, "memory_type").value_or("");  // "" = any
        if (!category.empty() && !valid_category(category))
            fail(OXIOS_E_INVALID, "memory_type must be fact, episode, or knowledge");
        int64_t limit =
            std::clamp<int64_t>(json::opt_int(in, "limit").value_or(kDefaultSearchLimit), 1, kMaxSearchLimit);

        std::vector<std::string> words;
        {
            std::string lc = lower(query);
            size_t pos = 0;
            while (pos < lc.size()) {
                size_t start = lc.find_first_not_of(" \t\r\n", pos);
                if (start == std::string::npos) break;
                size_t end = lc.find_first_of(" \t\r\n", start);
                if (end == std::string::npos) end = lc.size();
                words.push_back(lc.substr(start, end - start));
                pos = end;
            }
        }

        struct Hit {
            const Entry* entry;
            size_t matches;
        };
        json::Builder out;
        size_t count = 0;
        refresh();
        {
            std::shared_lock lock(mutex);
            std::vector<Hit> hits;
            for (const auto& [id, e] : index) {
                if (!category.empty() && e.category != category) continue;
                size_t total = 0;
                bool all = true;
                for (const auto& w : words) {
                    size_t n = count_occurrences(e.content_lc, w);
                    for (const auto& t : e.tags_lc) n += count_occurrences(t, w);
                    if (n == 0) {
                        all = false;
                        break;
                    }
                    total += n;
                }
                if (all) hits.push_back({&e, total});
            }
            std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
                if (a.matches != b.matches) return a.matches > b.matches;
                if (a.entry->importance != b.entry->importance) return a.entry->importance > b.entry->importance;
                return newer(a.entry, b.entry);
            });
            if (hits.size() > static_cast<size_t>(limit)) hits.resize(static_cast<size_t>(limit));
            count = hits.size();
            out.begin_object().field("count", count).key("entries").begin_array();
            for (const auto& h : hits) {
                const Entry& e = *h.entry;
                out.begin_object()
                    .field("id", e.id)
                    .field("type", e.category)
                    .field("content", e.content)
                    .field("tags", e.tags)
                    .field("importance", e.importance)
                    .field("created_at", e.created_at)
                    .end_object();
            }
            out.end_array().end_object();
        }
        json::Builder event;  // never the query
        event.begin_object().field("count", count).key("memory_type");
        if (category.empty())
            event.null();
        else
            event.value(category);
        event.end_object();
        publish("memory_recalled", event);
        return out.result();
    }

    Result stats(const rapidjson::Value&) {
        refresh();
        std::shared_lock lock(mutex);
        json::Builder out;
        out.begin_object()
            .field("enabled", true)
            .field("index_size", index.size())
            .field("total_entries", index.size())
            .end_object();
        return out.result();
    }
};

}  // namespace
}  // namespace oxios::kernel::services

namespace oxios::kernel {

void register_memory_service(ServiceRegistry& registry, const ServiceContext& ctx) {
    auto svc = std::make_shared<services::MemoryService>();
    svc->ctx = ctx;
    svc->load_all();
    if (ctx.git != nullptr) ctx.git->on_restored([svc](const GitService::RestoreReport&) { svc->load_all(); });
    if (ctx.on_event)
        ctx.on_event({"memory_stored"}, [w = std::weak_ptr(svc)](const rapidjson::Value& e) {
            auto live = w.lock();
            if (!live) return;
            const std::string id = json::get_string(e, "memory_id"), category = json::get_string(e, "memory_type");
            if (json::get_string(e, "type") == "lagged")
                live->stale.mark_all();
            else if (kernel::valid_id(id) && services::valid_category(category))
                live->stale.mark(category + "/" + id);
        });
    registry.add("memory.create", [svc](const rapidjson::Value& in) { return svc->create(in); });
    registry.add("memory.list", [svc](const rapidjson::Value& in) { return svc->list(in); });
    registry.add("memory.get", [svc](const rapidjson::Value& in) { return svc->get(in); });
    registry.add("memory.search", [svc](const rapidjson::Value& in) { return svc->search(in); });
    registry.add("memory.semantic", [](const rapidjson::Value&) -> Result {
        return error_result(OXIOS_E_UNSUPPORTED, "semantic search is not available: the host has no semantic engine");
    });
    registry.add("memory.stats", [svc](const rapidjson::Value& in) { return svc->stats(in); });
}

}  // namespace oxios::kernel
