#include "config/config_schema.hpp"

#include "infra/address_range.hpp"
#include "marketplace/remote.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

namespace oxios::kernel::config_schema {

namespace {

enum class Kind { Bool, Int, NullableInt, Number, NullableNumber, String, NullableString, Enum, Strings, Object };

struct Key {
    const char* section;
    const char* name;
    Kind kind;
    double min = 0, max = 0;             // Int / Number ranges
    bool b = false;                      // Bool default
    double num = 0;                      // Int / Number default
    const char* s = "";                  // String default
    std::vector<const char*> list = {};  // Strings default, or Enum choices
};

constexpr double kBig = 9.0e15;

const std::vector<Key>& keys() {
    static const std::vector<Key> k = {
        {"gateway", "host", Kind::String, 0, 0, false, 0, "127.0.0.1"},
        {"gateway", "port", Kind::Int, 1, 65535, false, 4200},
        {"gateway", "reply_timeout_secs", Kind::Int, 1, 86400, false, 120},
        {"gateway", "queue_capacity", Kind::Int, 1, 1'000'000, false, 1024},
        {"gateway", "max_concurrent", Kind::Int, 1, 4096, false, 32},
        {"security", "auth_enabled", Kind::Bool, 0, 0, false},
        {"security", "api_keys", Kind::Strings},
        {"security", "rate_limit_per_minute", Kind::Int, 0, kBig, false, 600},
        {"security",
         "cors_origins",
         Kind::Strings,
         0,
         0,
         false,
         0,
         "",
         {"http://localhost:4200", "http://127.0.0.1:4200"}},
        {"security", "trusted_proxies", Kind::Strings},
        {"security", "network_access", Kind::Bool, 0, 0, false},
        {"security", "can_fork", Kind::Bool, 0, 0, false},
        {"security", "max_execution_time_secs", Kind::Int, 0, kBig, false, 300},
        {"security", "max_memory_mb", Kind::Int, 0, kBig, false, 512},
        {"session", "max_sessions", Kind::Int, 0, kBig, false, 100},
        {"session", "ttl_hours", Kind::Int, 0, kBig, false, 168},
        {"session", "auto_prune", Kind::Bool, 0, 0, true},
        {"engine", "default_model", Kind::String, 0, 0, false, 0, ""},
        {"engine", "api_key", Kind::NullableString},
        {"engine", "api_key_provider", Kind::String, 0, 0, false, 0, ""},
        {"engine", "fallback_models", Kind::Strings},
        {"engine", "providers", Kind::Object},
        {"engine", "system_prompt", Kind::String, 0, 0, false, 0, ""},
        {"engine", "history_messages", Kind::Int, 0, 100000, false, 20},
        {"engine", "max_tokens", Kind::NullableInt, 1, kBig},
        {"engine", "temperature", Kind::NullableNumber, 0, 2},
        {"engine", "connect_timeout_ms", Kind::Int, 1, 3'600'000, false, 10'000},
        {"engine", "first_token_timeout_ms", Kind::Int, 1, 3'600'000, false, 60'000},
        {"engine", "idle_timeout_ms", Kind::Int, 1, 3'600'000, false, 30'000},
        {"engine", "max_retries", Kind::Int, 0, 10, false, 2},
        {"engine", "retry_backoff_ms", Kind::Int, 1, 600'000, false, 500},
        {"kernel", "workspace", Kind::String, 0, 0, false, 0, "~/.oxios/workspace"},
        {"kernel", "max_agents", Kind::Int, 0, kBig, false, 10},
        {"kernel", "event_bus_capacity", Kind::Int, 1, 1'000'000, false, 256},
        {"scheduler", "max_concurrent", Kind::Int, 0, kBig, false, 5},
        {"scheduler", "rate_limit_per_minute", Kind::Int, 0, kBig, false, 60},
        {"scheduler", "zombie_timeout_secs", Kind::Int, 0, kBig, false, 300},
        {"exec", "default_mode", Kind::String, 0, 0, false, 0, "sandboxed"},
        {"exec", "allow_shell_mode", Kind::Bool, 0, 0, false},
        {"exec", "default_timeout_secs", Kind::Int, 0, kBig, false, 120},
        {"exec", "max_timeout_secs", Kind::Int, 0, kBig, false, 600},
        {"orchestrator", "max_evolution_iterations", Kind::Int, 0, kBig, false, 3},
        {"orchestrator", "min_evaluation_score", Kind::Number, 0, 1, false, 0.7},
        {"context", "active_limit_tokens", Kind::Int, 0, kBig, false, 100000},
        {"context", "cache_limit_entries", Kind::Int, 0, kBig, false, 50},
        {"logging", "format", Kind::Enum, 0, 0, false, 0, "text", {"text", "json"}},
        {"logging", "level", Kind::Enum, 0, 0, false, 0, "info", {"trace", "debug", "info", "warn", "error"}},
        {"channels", "enabled", Kind::Strings, 0, 0, false, 0, "", {"web"}},
        {"web", "ui_dir", Kind::String, 0, 0, false, 0, ""},
        {"web", "ws_user_id", Kind::String, 0, 0, false, 0, "web-user"},
        {"events", "retention_count", Kind::Int, 1, kBig, false, 100000},
        {"events", "retention_hours", Kind::Int, 1, kBig, false, 168},
        {"state_store", "backend", Kind::Enum, 0, 0, false, 0, "files", {"files", "postgres"}},
        {"state_store.postgres", "url", Kind::String, 0, 0, false, 0, ""},
        {"state_store.postgres", "pool_size", Kind::Int, 1, 256, false, 8},
        {"git", "enabled", Kind::Bool, 0, 0, true},
        {"git", "commit_delay_ms", Kind::Int, 0, 3'600'000, false, 2000},
        {"git", "max_commit_delay_ms", Kind::Int, 0, 86'400'000, false, 10000},
        {"git", "author_name", Kind::String, 0, 0, false, 0, "oxios"},
        {"git", "author_email", Kind::String, 0, 0, false, 0, "oxios@localhost"},
        {"knowledge", "max_file_bytes", Kind::Int, 1, 1'073'741'824, false, 1048576},
        {"knowledge", "max_notes", Kind::Int, 1, 10'000'000, false, 10000},
        {"knowledge", "copilot_context_bytes", Kind::Int, 0, 1'048'576, false, 16384},
        {"resources", "sample_interval_secs", Kind::Int, 1, 3600, false, 5},
        {"resources", "history_size", Kind::Int, 1, 100'000, false, 720},
        {"resources", "overload_cpu_percent", Kind::Number, 0, 100, false, 90},
        {"resources", "overload_memory_percent", Kind::Number, 0, 100, false, 90},
        {"resources", "overload_disk_percent", Kind::Number, 0, 100, false, 95},
        {"resources", "overload_load_avg", Kind::Number, 0, kBig, false, 0},
        {"cron", "enabled", Kind::Bool, 0, 0, true},
        {"cron", "timezone", Kind::Enum, 0, 0, false, 0, "local", {"local", "UTC"}},
        {"cron", "max_concurrent", Kind::Int, 1, 1000, false, 3},
        {"cron", "missed_grace_secs", Kind::Int, 0, kBig, false, 3600},
        {"cron", "max_jobs", Kind::Int, 0, 100'000, false, 100},
        {"cron", "user_id", Kind::String, 0, 0, false, 0, "cron"},
        {"budget", "enabled", Kind::Bool, 0, 0, true},
        {"budget", "default_tokens_limit", Kind::NullableInt, 1, kBig},
        {"budget", "default_cost_limit", Kind::NullableNumber, 0, kBig},
        {"budget", "default_window_secs", Kind::Int, 0, kBig, false, 0},
        {"budget", "prices", Kind::Object},
        {"budget", "estimate_unreported", Kind::Bool, 0, 0, true},
        {"audit", "enabled", Kind::Bool, 0, 0, true},
        {"audit", "max_file_bytes", Kind::Int, 4096, kBig, false, 67'108'864},
        {"audit", "memory_entries", Kind::Int, 1, 1'000'000, false, 10'000},
        {"audit", "auth_failure_window_secs", Kind::Int, 1, 86'400, false, 60},
        {"marketplace", "registry", Kind::String, 0, 0, false, 0, ""},
        {"marketplace", "timeout_ms", Kind::Int, 1, 600'000, false, 10'000},
        {"marketplace", "cache_secs", Kind::Int, 0, 86'400, false, 300},
        {"marketplace", "max_skill_bytes", Kind::Int, 1, 1'073'741'824, false, 1'048'576},
        {"marketplace", "max_files", Kind::Int, 1, 100'000, false, 64},
    };
    return k;
}

std::vector<std::string> split_dots(const char* dotted) {
    std::vector<std::string> parts(1);
    for (const char* c = dotted; *c != '\0'; ++c) {
        if (*c == '.')
            parts.emplace_back();
        else
            parts.back() += *c;
    }
    return parts;
}

rapidjson::Value default_value(const Key& key, rapidjson::Document::AllocatorType& a) {
    rapidjson::Value v;
    switch (key.kind) {
        case Kind::Bool:
            v.SetBool(key.b);
            break;
        case Kind::Int:
            v.SetInt64(static_cast<int64_t>(key.num));
            break;
        case Kind::Number:
            v.SetDouble(key.num);
            break;
        case Kind::String:
        case Kind::Enum:
            v.SetString(key.s, a);
            break;
        case Kind::Strings:
            v.SetArray();
            for (const char* s : key.list) v.PushBack(rapidjson::Value(s, a), a);
            break;
        case Kind::Object:
            v.SetObject();
            break;
        case Kind::NullableInt:
        case Kind::NullableNumber:
        case Kind::NullableString:
            v.SetNull();
            break;
    }
    return v;
}

std::string range_text(const Key& k) {
    auto fmt = [](double d) {
        return d == std::floor(d) ? std::to_string(static_cast<int64_t>(d)) : std::to_string(d);
    };
    if (k.max >= kBig) return "must be >= " + fmt(k.min);
    return "must be between " + fmt(k.min) + " and " + fmt(k.max);
}

// budget.prices: {"provider/model": {"input": USD/M >= 0, "output": USD/M >= 0}}.
std::optional<std::string> check_prices(const rapidjson::Value& v) {
    for (const auto& m : v.GetObject()) {
        const std::string model(m.name.GetString(), m.name.GetStringLength());
        if (!m.value.IsObject()) return "\"" + model + "\" must be an object {\"input\",\"output\"}";
        for (const char* side : {"input", "output"}) {
            const auto it = m.value.FindMember(side);
            if (it != m.value.MemberEnd() && !(it->value.IsNumber() && it->value.GetDouble() >= 0))
                return "\"" + model + "\"." + side + " must be a number >= 0 (USD per million tokens)";
        }
    }
    return std::nullopt;
}

std::optional<std::string> check(const Key& k, const rapidjson::Value& v) {
    const bool nullable =
        k.kind == Kind::NullableInt || k.kind == Kind::NullableNumber || k.kind == Kind::NullableString;
    if (nullable && v.IsNull()) return std::nullopt;
    switch (k.kind) {
        case Kind::Bool:
            if (!v.IsBool()) return "must be a boolean";
            return std::nullopt;
        case Kind::Int:
        case Kind::NullableInt:
            if (!v.IsInt64()) {
                if (v.IsUint64()) return range_text(k);
                return "must be an integer";
            }
            if (static_cast<double>(v.GetInt64()) < k.min || static_cast<double>(v.GetInt64()) > k.max)
                return range_text(k);
            return std::nullopt;
        case Kind::Number:
        case Kind::NullableNumber:
            if (!v.IsNumber()) return "must be a number";
            if (v.GetDouble() < k.min || v.GetDouble() > k.max) return range_text(k);
            return std::nullopt;
        case Kind::String:
        case Kind::NullableString:
            if (!v.IsString()) return "must be a string";
            if (std::strcmp(k.section, "marketplace") == 0 && std::strcmp(k.name, "registry") == 0 &&
                marketplace::is_remote(v.GetString()))
                return marketplace::url_refusal(v.GetString());
            return std::nullopt;
        case Kind::Enum:
            if (!v.IsString()) return "must be a string";
            for (const char* choice : k.list)
                if (std::strcmp(choice, v.GetString()) == 0) return std::nullopt;
            {
                std::string why = "must be one of";
                for (const char* choice : k.list) why += std::string(" ") + choice;
                return why;
            }
        case Kind::Strings:
            if (!v.IsArray()) return "must be an array of strings";
            for (const auto& item : v.GetArray())
                if (!item.IsString()) return "must be an array of strings";
            if (std::strcmp(k.section, "security") == 0 && std::strcmp(k.name, "trusted_proxies") == 0)
                for (const auto& item : v.GetArray())
                    if (!AddressRange::parse(item.GetString()))
                        return "\"" + std::string(item.GetString()) + "\" is not an IP address or CIDR range";
            return std::nullopt;
        case Kind::Object:
            if (!v.IsObject()) return "must be an object";
            if (std::strcmp(k.section, "budget") == 0 && std::strcmp(k.name, "prices") == 0) return check_prices(v);
            return std::nullopt;
    }
    return std::nullopt;
}

bool is_read_only(const char* section, const char* name) {
    return (std::strcmp(section, "engine") == 0 && std::strcmp(name, "api_key_set") == 0) ||
           (std::strcmp(section, "security") == 0 && std::strcmp(name, "api_keys_count") == 0) ||
           (std::strcmp(section, "state_store.postgres") == 0 && std::strcmp(name, "url_set") == 0);
}

void merge_at(rapidjson::Value& dst, const rapidjson::Value& src, rapidjson::Document::AllocatorType& a,
              const char* section) {
    for (const auto& m : src.GetObject()) {
        const char* name = m.name.GetString();
        if (section != nullptr && is_read_only(section, name)) continue;
        if (section != nullptr && std::strcmp(section, "engine") == 0 && std::strcmp(name, "api_key") == 0 &&
            m.value.IsString() && m.value.GetStringLength() == 0)
            continue;  // an empty key field means "unchanged"
        auto it = dst.FindMember(m.name);
        if (it != dst.MemberEnd() && it->value.IsObject() && m.value.IsObject()) {
            const std::string path = section == nullptr ? name : std::string(section) + "." + name;
            merge_at(it->value, m.value, a, path.c_str());
        } else if (it != dst.MemberEnd()) {
            it->value.CopyFrom(m.value, a);
        } else {
            dst.AddMember(rapidjson::Value(m.name, a), rapidjson::Value(m.value, a), a);
        }
    }
}

}  // namespace

rapidjson::Document defaults() {
    rapidjson::Document doc(rapidjson::kObjectType);
    auto& a = doc.GetAllocator();
    for (const auto& k : keys()) {
        rapidjson::Value* sec = &doc;
        for (const std::string& part : split_dots(k.section)) {  // a section may be nested: "a.b"
            auto it = sec->FindMember(part.c_str());
            if (it == sec->MemberEnd()) {
                sec->AddMember(rapidjson::Value(part.c_str(), a), rapidjson::Value(rapidjson::kObjectType), a);
                it = sec->FindMember(part.c_str());
            }
            sec = &it->value;
        }
        sec->AddMember(rapidjson::Value(k.name, a), default_value(k, a), a);
    }
    return doc;
}

std::optional<std::string> validate(const rapidjson::Value& config) {
    if (!config.IsObject()) return std::string("config: must be an object");
    for (const auto& k : keys()) {
        const rapidjson::Value* sec = &config;
        std::string path;
        for (const std::string& part : split_dots(k.section)) {
            auto it = sec->FindMember(part.c_str());
            if (it == sec->MemberEnd()) {
                sec = nullptr;
                break;
            }
            path += path.empty() ? part : "." + part;
            if (!it->value.IsObject()) return path + ": must be an object";
            sec = &it->value;
        }
        if (sec == nullptr) continue;
        auto it = sec->FindMember(k.name);
        if (it == sec->MemberEnd()) continue;
        if (auto why = check(k, it->value)) return std::string(k.section) + "." + k.name + ": " + *why;
    }
    return std::nullopt;
}

std::optional<std::string> normalize(rapidjson::Value& config, rapidjson::Document::AllocatorType& alloc) {
    if (!config.IsObject()) return std::nullopt;
    auto engine = config.FindMember("engine");
    if (engine == config.MemberEnd() || !engine->value.IsObject()) return std::nullopt;
    auto providers = engine->value.FindMember("providers");
    if (providers == engine->value.MemberEnd() || !providers->value.IsArray()) return std::nullopt;
    rapidjson::Value by_id(rapidjson::kObjectType);
    rapidjson::SizeType index = 0;
    for (auto& entry : providers->value.GetArray()) {
        const std::string where = "engine.providers[" + std::to_string(index++) + "]";
        if (!entry.IsObject()) return where + ": must be a table";
        const char* id_key = entry.HasMember("id") ? "id" : "name";
        auto id = entry.FindMember(id_key);
        if (id == entry.MemberEnd() || !id->value.IsString() || id->value.GetStringLength() == 0)
            return where + ": needs an id (or name)";
        rapidjson::Value name(id->value, alloc);
        if (by_id.HasMember(name)) return "engine.providers: " + std::string(name.GetString()) + " given twice";
        entry.RemoveMember(id_key);
        by_id.AddMember(name, entry, alloc);
    }
    providers->value = by_id;
    return std::nullopt;
}

bool is_known(const std::string& dotted_key) {
    if (dotted_key.starts_with("engine.providers.")) return true;
    for (const auto& k : keys())
        if (dotted_key == std::string(k.section) + "." + k.name) return true;
    return false;
}

bool stored_only(const std::string& dotted_key) {
    static const char* const kStoredOnly[] = {
        "security.network_access", "security.can_fork", "security.max_execution_time_secs",
        "security.max_memory_mb",  "kernel.max_agents", "channels.enabled",
        "logging.format",          "logging.level"};
    for (const char* k : kStoredOnly)
        if (dotted_key == k) return true;
    for (const char* section : {"scheduler.", "exec.", "orchestrator.", "context."})
        if (dotted_key.starts_with(section)) return true;
    return false;
}

void merge(rapidjson::Value& dst, const rapidjson::Value& src, rapidjson::Document::AllocatorType& alloc) {
    if (!dst.IsObject() || !src.IsObject()) return;
    merge_at(dst, src, alloc, nullptr);
}

}  // namespace oxios::kernel::config_schema
