#include "config/config.hpp"

#include "config/config_file.hpp"
#include "config/config_schema.hpp"
#include "config/config_toml.hpp"
#include "infra/atomic_file.hpp"
#include "infra/json_util.hpp"
#include "services/service_registry.hpp"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace oxios::kernel {

namespace fs = std::filesystem;

namespace {

rapidjson::Document load(ConfigFile& file, const std::string& name) {
    auto fail = [&](const std::string& why) {
        throw std::runtime_error("Invalid config: " + why + file.where(name.empty() ? "config" : name, why));
    };
    if (auto why = config_schema::normalize(file.tree, file.tree.GetAllocator())) fail(*why);
    if (auto why = config_schema::validate(file.tree)) fail(*why);
    rapidjson::Document doc = config_schema::defaults();
    config_schema::merge(doc, file.tree, doc.GetAllocator());
    if (auto why = config_schema::validate(doc)) fail(*why);
    return doc;
}

void hide_secrets(rapidjson::Document& doc, bool hide_api_keys) {
    auto& a = doc.GetAllocator();
    auto engine = doc.FindMember("engine");
    if (engine != doc.MemberEnd() && engine->value.IsObject()) {
        auto key = engine->value.FindMember("api_key");
        bool set = key != engine->value.MemberEnd() && key->value.IsString() && key->value.GetStringLength() > 0;
        if (key != engine->value.MemberEnd()) engine->value.RemoveMember(key);
        engine->value.RemoveMember("api_key_set");
        engine->value.AddMember("api_key_set", set, a);
    }
    // The PostgreSQL URL may hold a password: shown as url_set.
    auto store = doc.FindMember("state_store");
    if (store != doc.MemberEnd() && store->value.IsObject()) {
        auto pg = store->value.FindMember("postgres");
        if (pg != store->value.MemberEnd() && pg->value.IsObject()) {
            auto url = pg->value.FindMember("url");
            const bool set = url != pg->value.MemberEnd() && url->value.IsString() && url->value.GetStringLength() > 0;
            if (url != pg->value.MemberEnd()) pg->value.RemoveMember(url);
            pg->value.RemoveMember("url_set");
            pg->value.AddMember("url_set", set, a);
        }
    }
    if (!hide_api_keys) return;
    auto security = doc.FindMember("security");
    if (security != doc.MemberEnd() && security->value.IsObject()) {
        auto keys = security->value.FindMember("api_keys");
        rapidjson::SizeType count = 0;
        if (keys != security->value.MemberEnd()) {
            if (keys->value.IsArray()) count = keys->value.Size();
            security->value.RemoveMember(keys);
        }
        security->value.RemoveMember("api_keys_count");
        security->value.AddMember("api_keys_count", count, a);
    }
}

}  // namespace

const rapidjson::Value* find_dotted(const rapidjson::Value& root, std::string_view dotted_key) {
    const rapidjson::Value* cur = &root;
    while (!dotted_key.empty()) {
        const size_t dot = dotted_key.find('.');
        const std::string_view part = dotted_key.substr(0, dot);
        if (!cur->IsObject()) return nullptr;
        const rapidjson::Value name(rapidjson::StringRef(part.data(), part.size()));
        auto it = cur->FindMember(name);
        if (it == cur->MemberEnd()) return nullptr;
        cur = &it->value;
        dotted_key = dot == std::string_view::npos ? std::string_view{} : dotted_key.substr(dot + 1);
    }
    return cur;
}

std::string expand_home(const std::string& path) {
    if (path.empty() || path[0] != '~' || (path.size() > 1 && path[1] != '/')) return path;
    const char* home = std::getenv("HOME");
    std::string base = (home != nullptr && *home != '\0') ? home : "/tmp";
    return base + path.substr(1);
}

Config::Config(std::string path, rapidjson::Document doc)
    : path_(std::move(path)), doc_(std::make_shared<const rapidjson::Document>(std::move(doc))) {}

Config::Config(std::string path) : path_(std::move(path)), format_(config_format(path_)) {
    ConfigFile file = read_config_file(path_);
    doc_ = std::make_shared<const rapidjson::Document>(load(file, path_));
}

std::unique_ptr<Config> Config::from_text(std::string_view json_text) {
    ConfigFile file = parse_config_text(json_text, ConfigFormat::json, "");
    return std::unique_ptr<Config>(new Config("", load(file, "")));
}

std::shared_ptr<const rapidjson::Document> Config::snapshot() const {
    std::shared_lock lock(mutex_);
    return doc_;
}

std::optional<std::string> Config::get(std::string_view dotted_key) const {
    if (dotted_key == "engine.api_key") return std::nullopt;
    auto snap = snapshot();
    // Only the engine section has a secret to hide (api_key -> api_key_set):
    // any other key reads the snapshot itself, without copying the document.
    if (!dotted_key.empty() && dotted_key != "engine" && !dotted_key.starts_with("engine.")) {
        const auto* v = find_dotted(*snap, dotted_key);
        if (v == nullptr) return std::nullopt;
        return json::to_string(*v);
    }
    rapidjson::Document copy;
    copy.CopyFrom(*snap, copy.GetAllocator());
    hide_secrets(copy, false);
    const auto* v = find_dotted(copy, dotted_key);
    if (v == nullptr) return std::nullopt;
    return json::to_string(*v);
}

std::string Config::hidden_json() const {
    auto snap = snapshot();
    rapidjson::Document copy;
    copy.CopyFrom(*snap, copy.GetAllocator());
    hide_secrets(copy, true);
    return json::to_string(copy);
}

Result Config::put(const rapidjson::Value& partial) {
    if (!partial.IsObject()) return error_result(OXIOS_E_INVALID, "Invalid config: config: must be an object");
    std::lock_guard write_lock(write_mutex_);
    auto next = std::make_shared<rapidjson::Document>();
    next->CopyFrom(*snapshot(), next->GetAllocator());
    config_schema::merge(*next, partial, next->GetAllocator());
    if (auto why = config_schema::validate(*next)) return error_result(OXIOS_E_INVALID, "Invalid config: " + *why);
    if (!path_.empty()) {
        try {
            // A TOML file cannot hold an unknown key's null: unset it here
            // too, so that the config is what a restart reads back.
            if (format_ == ConfigFormat::toml) config_toml::drop_nulls(*next, config_schema::is_known);
            const fs::path p(path_);
            if (p.has_parent_path()) fs::create_directories(p.parent_path());
            write_file_atomic(p, config_text(*next, format_));
        } catch (const std::system_error& e) {
            return error_result(OXIOS_E_IO, std::string("cannot write config: ") + e.what());
        } catch (const std::exception& e) {  // a value TOML cannot hold
            return error_result(OXIOS_E_INVALID, std::string("Invalid config: ") + e.what());
        }
    }
    {
        std::unique_lock lock(mutex_);
        doc_ = std::move(next);
    }
    generation_.fetch_add(1, std::memory_order_acq_rel);
    return Result{OXIOS_OK, hidden_json()};
}

int64_t Config::get_int(std::string_view dotted_key, int64_t fallback) const {
    auto snap = snapshot();
    const auto* v = find_dotted(*snap, dotted_key);
    if (v == nullptr) return fallback;
    if (v->IsInt64()) return v->GetInt64();
    if (v->IsDouble()) return static_cast<int64_t>(v->GetDouble());
    return fallback;
}

double Config::get_double(std::string_view dotted_key, double fallback) const {
    auto snap = snapshot();
    const auto* v = find_dotted(*snap, dotted_key);
    return (v != nullptr && v->IsNumber()) ? v->GetDouble() : fallback;
}

bool Config::get_bool(std::string_view dotted_key, bool fallback) const {
    auto snap = snapshot();
    const auto* v = find_dotted(*snap, dotted_key);
    return (v != nullptr && v->IsBool()) ? v->GetBool() : fallback;
}

std::string Config::get_string(std::string_view dotted_key, std::string fallback) const {
    auto snap = snapshot();
    const auto* v = find_dotted(*snap, dotted_key);
    if (v == nullptr || !v->IsString()) return fallback;
    return std::string(v->GetString(), v->GetStringLength());
}

std::vector<std::string> Config::get_strings(std::string_view dotted_key) const {
    auto snap = snapshot();
    const auto* v = find_dotted(*snap, dotted_key);
    std::vector<std::string> out;
    if (v == nullptr || !v->IsArray()) return out;
    for (const auto& item : v->GetArray())
        if (item.IsString()) out.emplace_back(item.GetString(), item.GetStringLength());
    return out;
}

std::string Config::engine_api_key() const { return get_string("engine.api_key"); }

}  // namespace oxios::kernel
