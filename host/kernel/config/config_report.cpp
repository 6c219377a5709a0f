#include "config/config_report.hpp"

#include "config/config.hpp"
#include "config/config_file.hpp"
#include "config/config_schema.hpp"
#include "engines/providers.hpp"
#include "infra/json_util.hpp"

#include <cstdlib>
#include <functional>

namespace oxios::kernel {

namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v == nullptr ? std::string() : std::string(v);
}

// Every leaf of an object as (dotted key, value); objects are descended,
// arrays and scalars are leaves, an empty object is a leaf.
void leaves(const rapidjson::Value& v, const std::string& key,
            const std::function<void(const std::string&, const rapidjson::Value&)>& fn) {
    if (v.IsObject() && (v.MemberCount() > 0 || key.empty())) {
        for (const auto& m : v.GetObject())
            leaves(m.value, key.empty() ? m.name.GetString() : key + "." + m.name.GetString(), fn);
        return;
    }
    fn(key, v);
}

bool secret_key(const std::string& key) {
    return key.starts_with("engine.providers.") &&
           (key.ends_with(".api_key") || key.find(".headers") != std::string::npos);
}

std::string source_of(const std::string& key, const ConfigFile& file, const ConfigOverrides& overrides,
                      const Config& config) {
    if ((key == "gateway.port" && overrides.port) || (key == "gateway.host" && overrides.host) ||
        (key == "kernel.workspace" && overrides.workspace))
        return "command line";
    std::string src = "default";
    if (find_dotted(file.tree, key) != nullptr) {
        auto line = file.lines.find(key);
        src = line == file.lines.end() ? "file" : "file, line " + std::to_string(line->second);
    }
    if (key == "security.api_keys" && !env("OXIOS_API_KEY").empty()) src += " + env OXIOS_API_KEY";
    if (key == "web.ui_dir" && config.get_string("web.ui_dir").empty() && !env("OXIOS_WEB_UI_DIR").empty())
        src = "env OXIOS_WEB_UI_DIR";
    if (key == "engine.api_key" && config.engine_api_key().empty()) {
        const auto ref = parse_model_ref(config.get_string("engine.default_model"));
        const auto provider = ref ? find_provider(config, ref->provider) : std::nullopt;
        if (provider && resolve_key(config, *provider).source == "env") src = "env " + provider->api_key_env;
    }
    return src;
}

}  // namespace

std::vector<std::string> config_notes(const Config& config) {
    std::vector<std::string> notes;
    if (config.get_int("security.rate_limit_per_minute", 600) == 0)
        notes.push_back(
            "security.rate_limit_per_minute = 0 means no limit here (the Rust original refused "
            "every request)");
    if (config.get_bool("security.auth_enabled", false) && !config.engine_api_key().empty())
        notes.push_back(
            "engine.api_key is the model provider's key only: it is never accepted as a web token "
            "here (the Rust original accepted it); give clients a key of security.api_keys or "
            "OXIOS_API_KEY");
    return notes;
}

std::string check_config_report(const std::string& path, const ConfigOverrides& overrides) {
    const Config config(path);  // throws with the reasons
    ConfigFile file = read_config_file(path);
    config_schema::normalize(file.tree, file.tree.GetAllocator());

    std::string out =
        "config: " +
        (path.empty() ? std::string("(none: defaults only)") : path + " (" + format_name(file.format) + ")") + "\n";
    const auto effective = json::parse(config.hidden_json());
    leaves(*effective, "", [&](const std::string& shown, const rapidjson::Value& v) {
        std::string key = shown, value;
        if (shown == "engine.api_key_set") {
            key = "engine.api_key";
            value = v.IsBool() && v.GetBool() ? "(set, hidden)" : "(not set)";
        } else if (shown == "security.api_keys_count") {
            key = "security.api_keys";
            value = "(" + json::to_string(v) + " hidden)";
        } else if (secret_key(shown)) {
            value = "(hidden)";
        } else {
            value = json::to_string(v);
        }
        if (key == "gateway.port" && overrides.port) value = std::to_string(*overrides.port);
        if (key == "gateway.host" && overrides.host)
            value = json::to_string(rapidjson::Value(rapidjson::StringRef(overrides.host->c_str())));
        if (key == "kernel.workspace" && overrides.workspace)
            value = json::to_string(rapidjson::Value(rapidjson::StringRef(overrides.workspace->c_str())));
        out += key + " = " + value + "    # " + source_of(key, file, overrides, config) + "\n";
    });

    std::string unused;
    leaves(file.tree, "", [&](const std::string& key, const rapidjson::Value&) {
        if (key.empty()) return;
        auto line = file.lines.find(key);
        const std::string at = line == file.lines.end() ? "" : " (line " + std::to_string(line->second) + ")";
        if (!config_schema::is_known(key))
            unused += "  " + key + at + ": not a key of this host; kept as it is and written back\n";
        else if (config_schema::stored_only(key))
            unused += "  " + key + at + ": stored and returned for the web UI, not acted on by this host\n";
    });
    out += "not used:\n" + (unused.empty() ? std::string("  (none)\n") : unused);
    const auto notes = config_notes(config);
    if (!notes.empty()) {
        out += "notes:\n";
        for (const auto& n : notes) out += "  " + n + "\n";
    }
    return out;
}

}  // namespace oxios::kernel
