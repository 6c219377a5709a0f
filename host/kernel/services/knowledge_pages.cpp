// knowledge.chat_*, checklist_add, journal_*, habits, config_* (abi/METHODS.md;
// docs/api-knowledge.md, "Knowledge", rules 12-20): the quick-capture pages' files.
#include "infra/json_util.hpp"
#include "services/knowledge_service.hpp"
#include "services/knowledge_text.hpp"
#include "services/service_error.hpp"

#include <rapidjson/document.h>

#include <array>

namespace oxios::kernel::services {
namespace {

constexpr const char* kChat = "Chat.md";
constexpr const char* kConfig = "config.json";
constexpr size_t kMaxEntryBytes = 65536;
constexpr const char* kDefaults =
    R"({"language":"en","timezone":"local","move_to_commands":[],"pomodoro_duration_in_minutes":50,"schedules":[],)"
    R"("quick_commands":[],"two_emojis_enabled":false,"mode":"full","quick_habits_enabled":false,"channels":[]})";

// Why a member of the vault config is unacceptable: "" when fine, nullopt when unknown.
std::optional<std::string> config_problem(std::string_view key, const rapidjson::Value& v) {
    auto array_of = [&](auto&& good, const char* what) -> std::string {
        if (!v.IsArray()) return std::string("must be an array of ") + what;
        for (const auto& e : v.GetArray())
            if (!good(e)) return std::string("must be an array of ") + what;
        return "";
    };
    if (key == "language")
        return v.IsString() && v.GetStringLength() <= 16 ? "" : "must be a string of at most 16 bytes";
    if (key == "timezone")
        return v.IsString() && knowledge::check_zone(v.GetString()) ? "" : "must be \"local\", \"UTC\" or ±HH:MM";
    if (key == "mode") {
        for (const char* mode : {"chat", "full", "tasks", "notes", "journal"})
            if (v.IsString() && std::string_view(v.GetString()) == mode) return "";
        return "must be one of chat, full, tasks, notes, journal";
    }
    if (key == "pomodoro_duration_in_minutes")
        return v.IsInt64() && v.GetInt64() >= 0 && v.GetInt64() <= 1440 ? "" : "must be an integer from 0 to 1440";
    if (key == "two_emojis_enabled" || key == "quick_habits_enabled") return v.IsBool() ? "" : "must be a boolean";
    if (key == "move_to_commands" || key == "quick_commands")
        return array_of([](const rapidjson::Value& e) { return e.IsString(); }, "strings");
    if (key == "schedules") return array_of([](const rapidjson::Value& e) { return e.IsObject(); }, "objects");
    if (key == "channels") return array_of([](const rapidjson::Value& e) { return e.IsInt64(); }, "integers");
    return std::nullopt;
}

// The defaults, overlaid by the valid members of `text` (unknown ones kept);
// an unparsable text reads as the defaults.
rapidjson::Document config_of(const std::optional<std::string>& text) {
    rapidjson::Document doc = *json::parse_object(kDefaults);
    const auto file = text ? json::parse_object(*text) : std::nullopt;
    if (!file) return doc;
    for (const auto& m : file->GetObject()) {
        const std::string_view key(m.name.GetString(), m.name.GetStringLength());
        const auto problem = config_problem(key, m.value);
        if (problem && !problem->empty()) continue;  // an invalid known member keeps its default
        rapidjson::Value value(m.value, doc.GetAllocator());
        if (doc.HasMember(m.name))
            doc[m.name] = value;
        else
            doc.AddMember(rapidjson::Value(m.name, doc.GetAllocator()), value, doc.GetAllocator());
    }
    return doc;
}

std::tm now_local(KnowledgeService& s) {
    const auto config = config_of(s.vault->read_if_exists(kConfig));
    return knowledge::local_time(s.ctx.now_us(), json::get_string(config, "timezone", "local"));
}

// A one-line entry of an argument: trimmed, breaks as spaces, not empty.
std::string entry(const rapidjson::Value& in, const char* key) {
    const std::string raw = json::req_string(in, key);
    if (raw.size() > kMaxEntryBytes) fail(OXIOS_E_TOO_LARGE, std::string(key) + " exceeds 65536 bytes");
    std::string text = knowledge::one_line(raw);
    if (text.empty()) fail(OXIOS_E_INVALID, std::string(key) + " is required");
    return text;
}

Result no_content() { return Result{OXIOS_OK, "{}"}; }

Result chat_messages(KnowledgeService& s, const rapidjson::Value&) {
    json::Builder out;
    out.value(knowledge::chat_blocks(s.vault->read_if_exists(kChat).value_or("")));
    return out.result();
}

Result chat_append(KnowledgeService& s, const rapidjson::Value& in) {
    const std::string text = entry(in, "message");
    const std::tm now = now_local(s);
    s.vault->edit(kChat, "chat", s.settings().max_file_bytes, [&](const std::optional<std::string>& old) {
        return knowledge::chat_append(old.value_or(""), text, now);
    });
    return no_content();
}

Result chat_delete(KnowledgeService& s, const rapidjson::Value& in) {
    std::string hash = knowledge::lower(json::opt_string(in, "msg_hash").value_or(""));
    if (hash.size() != 11 || hash.find_first_not_of("0123456789abcdef") != std::string::npos)
        fail(OXIOS_E_INVALID, "msg_hash must be 11 hex digits");
    bool deleted = false;
    s.vault->edit(kChat, "chat", s.settings().max_file_bytes, [&](const std::optional<std::string>& old) {
        auto next = old ? knowledge::chat_delete(*old, hash) : std::nullopt;
        deleted = next.has_value();
        return next;
    });
    json::Builder out;
    out.begin_object().field("deleted", deleted).end_object();
    return out.result();
}

Result checklist_add(KnowledgeService& s, const rapidjson::Value& in) {
    const std::string path = json::req_string(in, "path");
    if (path.size() < 4 || path.substr(path.size() - 3) != ".md") fail(OXIOS_E_INVALID, "path must end in .md");
    const std::string item = entry(in, "item");
    const bool checked = json::opt_bool(in, "checked").value_or(false);
    s.vault->edit(path, "checklist", s.settings().max_file_bytes, [&](const std::optional<std::string>& old) {
        return knowledge::checklist_add(old.value_or(""), item, checked);
    });
    return no_content();
}

Result journal_today(KnowledgeService& s, const rapidjson::Value&) {
    const std::string path = knowledge::journal_path(now_local(s));
    json::Builder out;
    out.begin_object().field("path", path).field("exists", s.vault->read_if_exists(path).has_value()).end_object();
    return out.result();
}

Result journal_add(KnowledgeService& s, const rapidjson::Value& in) {
    const std::string record = entry(in, "record");
    const std::tm now = now_local(s);
    s.vault->edit(
        knowledge::journal_path(now), "journal", s.settings().max_file_bytes,
        [&](const std::optional<std::string>& old) { return knowledge::journal_add(old.value_or(""), record, now); });
    return no_content();
}

Result habits(KnowledgeService& s, const rapidjson::Value& in) {
    const int64_t year = json::opt_int(in, "year").value_or(now_local(s).tm_year + 1900);
    if (year < 1970 || year > 9999) fail(OXIOS_E_INVALID, "year must be between 1970 and 9999");
    knowledge::Habits habits;
    try {
        for (const auto& e : workspace_paths::list_dir(s.vault->root(), s.vault->resolve("habits"), true)) {
            if (e.is_dir) continue;
            const bool md = e.name.size() > 3 && e.name.substr(e.name.size() - 3) == ".md";
            habits[md ? e.name.substr(0, e.name.size() - 3) : e.name];
        }
    } catch (const ServiceError&) {
        // No habits/ directory: no habits.
    }
    const auto insights = s.vault->read_if_exists("insights/" + std::to_string(year) + " Habits.md");
    if (insights) knowledge::fill_habits(habits, *insights, static_cast<int>(year));
    json::Builder out;
    out.begin_object();
    for (const auto& [habit, days] : habits) {
        out.key(habit).begin_object();
        for (const auto& [day, status] : days) out.field(std::to_string(day), status);
        out.end_object();
    }
    out.end_object();
    return out.result();
}

Result config_get(KnowledgeService& s, const rapidjson::Value&) {
    return Result{OXIOS_OK, json::to_string(config_of(s.vault->read_if_exists(kConfig)))};
}

Result config_put(KnowledgeService& s, const rapidjson::Value& in) {
    const rapidjson::Value* update = json::member(in, "config");
    if (update == nullptr || !update->IsObject()) fail(OXIOS_E_INVALID, "config must be an object");
    for (const auto& m : update->GetObject()) {
        if (m.value.IsNull()) continue;
        const std::string key(m.name.GetString(), m.name.GetStringLength());
        const auto problem = config_problem(key, m.value);
        if (problem && !problem->empty()) fail(OXIOS_E_INVALID, key + ": " + *problem);
    }
    s.vault->edit(kConfig, "config", s.settings().max_file_bytes, [&](const std::optional<std::string>& old) {
        rapidjson::Document doc = config_of(old);
        for (const auto& m : update->GetObject()) {
            if (m.value.IsNull() || !config_problem({m.name.GetString(), m.name.GetStringLength()}, m.value)) continue;
            doc[m.name] = rapidjson::Value(m.value, doc.GetAllocator());  // known members only
        }
        return std::optional<std::string>(json::to_pretty_string(doc));
    });
    return no_content();
}

}  // namespace

void register_knowledge_pages(ServiceRegistry& registry, const std::shared_ptr<KnowledgeService>& svc) {
    using Fn = Result (*)(KnowledgeService&, const rapidjson::Value&);
    static constexpr std::array<std::pair<const char*, Fn>, 9> kMethods{{
        {"knowledge.chat_messages", chat_messages},
        {"knowledge.chat_append", chat_append},
        {"knowledge.chat_delete", chat_delete},
        {"knowledge.checklist_add", checklist_add},
        {"knowledge.journal_today", journal_today},
        {"knowledge.journal_add", journal_add},
        {"knowledge.habits", habits},
        {"knowledge.config_get", config_get},
        {"knowledge.config_put", config_put},
    }};
    for (const auto& [name, fn] : kMethods)
        registry.add(name, [svc, fn = fn](const rapidjson::Value& in) { return fn(*svc, in); });
}

}  // namespace oxios::kernel::services
