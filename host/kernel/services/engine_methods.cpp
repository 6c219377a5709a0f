// engine.* methods (abi/METHODS.md): providers, live model lists, the engine
// config and its live changes (model, API key, provider options), key checks.
// No result and no error ever carries an API key.
#include "config/config.hpp"
#include "engines/openai_hub.hpp"
#include "infra/json_util.hpp"
#include "kernel_impl.hpp"
#include "services/service_registry.hpp"

#include <algorithm>
#include <cctype>
#include <future>

namespace oxios::kernel {

namespace {

using Alloc = rapidjson::Document::AllocatorType;

bool matches(const std::string& text, const std::string& q) {
    if (q.empty()) return true;
    auto lower = [](std::string s) {
        std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
        return s;
    };
    return lower(text).find(lower(q)) != std::string::npos;
}

// A required string field; nullopt when missing or not a string.
std::optional<std::string> field(const rapidjson::Value& in, const char* name) {
    const auto* v = json::member(in, name);
    if (v == nullptr || !v->IsString()) return std::nullopt;
    return std::string(v->GetString(), v->GetStringLength());
}

Result ok(const rapidjson::Value& v) { return Result{OXIOS_OK, json::to_string(v)}; }

rapidjson::Value provider_summary(EngineHub& hub, const ProviderInfo& p, Alloc& a) {
    const KeyInfo key = resolve_key(hub.config(), p);
    rapidjson::Value v(rapidjson::kObjectType);
    v.AddMember("id", json::str(p.id, a), a);
    v.AddMember("name", json::str(p.name, a), a);
    v.AddMember("category", json::str(p.category, a), a);
    v.AddMember("has_key", !key.key.empty(), a);
    v.AddMember("requires_key", !p.api_key_env.empty(), a);
    v.AddMember("model_count", static_cast<uint64_t>(hub.catalog().cached_count(p, key.key).value_or(0)), a);
    return v;
}

Result providers(EngineHub& hub) {
    rapidjson::Document out(rapidjson::kObjectType);
    auto& a = out.GetAllocator();
    rapidjson::Value list(rapidjson::kArrayType);
    for (const auto& p : configured_providers(hub.config())) list.PushBack(provider_summary(hub, p, a), a);
    out.AddMember("providers", list, a);
    return ok(out);
}

Result unknown_provider(const std::string& id) {
    return error_result(OXIOS_E_NOT_FOUND, "unknown provider \"" + id + "\"");
}

rapidjson::Value model_entry(const ProviderInfo& p, const ModelInfo& m, Alloc& a) {
    rapidjson::Value v(rapidjson::kObjectType);
    v.AddMember("id", json::str(p.id + "/" + m.id, a), a);
    v.AddMember("name", json::str(m.name, a), a);
    v.AddMember("provider", json::str(p.id, a), a);
    v.AddMember("reasoning", m.reasoning, a);
    v.AddMember("context_window", m.context_window, a);
    v.AddMember("max_tokens", m.max_tokens, a);
    v.AddMember("cost_input", m.cost_input, a);
    v.AddMember("cost_output", m.cost_output, a);
    return v;
}

Result models(EngineHub& hub, const rapidjson::Value& in) {
    const std::string provider = json::get_string(in, "provider");
    const std::string q = json::get_string(in, "q");
    std::vector<ProviderInfo> which;
    if (!provider.empty()) {
        auto p = find_provider(hub.config(), provider);
        if (!p) return unknown_provider(provider);
        which.push_back(*p);
    } else {
        // Every provider that can answer: a key is available, or it is the
        // provider of the configured model. Failures are left out.
        const auto current = parse_model_ref(hub.config().get_string("engine.default_model"));
        for (auto& p : configured_providers(hub.config()))
            if (!resolve_key(hub.config(), p).key.empty() || (current && current->provider == p.id)) which.push_back(p);
    }
    std::vector<std::future<ModelCatalog::Listing>> jobs;
    for (const auto& p : which) {
        const std::string key = resolve_key(hub.config(), p).key;
        jobs.push_back(std::async(std::launch::async, [&hub, p, key] { return hub.catalog().list(p, key); }));
    }
    rapidjson::Document out(rapidjson::kObjectType);
    auto& a = out.GetAllocator();
    rapidjson::Value list(rapidjson::kArrayType);
    for (size_t i = 0; i < jobs.size(); ++i) {
        ModelCatalog::Listing l = jobs[i].get();
        if (l.status != OXIOS_OK) {
            if (!provider.empty()) return error_result(l.status, l.error);
            continue;
        }
        for (const auto& m : l.models)
            if (matches(m.id, q) || matches(m.name, q)) list.PushBack(model_entry(which[i], m, a), a);
    }
    const auto count = list.Size();
    out.AddMember("models", list, a);
    out.AddMember("count", count, a);
    return ok(out);
}

Result provider_models(EngineHub& hub, const rapidjson::Value& in) {
    auto id = field(in, "provider");
    if (!id || id->empty()) return error_result(OXIOS_E_INVALID, "missing field: provider");
    auto p = find_provider(hub.config(), *id);
    if (!p) return unknown_provider(*id);
    ModelCatalog::Listing l = hub.catalog().list(*p, resolve_key(hub.config(), *p).key);
    if (l.status != OXIOS_OK) return error_result(l.status, l.error);
    rapidjson::Document out(rapidjson::kObjectType);
    auto& a = out.GetAllocator();
    out.AddMember("provider", json::str(p->id, a), a);
    rapidjson::Value list(rapidjson::kArrayType);
    for (const auto& m : l.models) {
        rapidjson::Value v(rapidjson::kObjectType);
        v.AddMember("id", json::str(m.id, a), a);
        v.AddMember("name", json::str(m.name, a), a);
        v.AddMember("api", "openai-completions", a);
        v.AddMember("provider", json::str(p->id, a), a);
        v.AddMember("reasoning", m.reasoning, a);
        rapidjson::Value input(rapidjson::kArrayType);
        input.PushBack("text", a);
        v.AddMember("input", input, a);
        v.AddMember("cost_input", m.cost_input, a);
        v.AddMember("cost_output", m.cost_output, a);
        v.AddMember("cost_cache_read", m.cost_cache_read, a);
        v.AddMember("cost_cache_write", m.cost_cache_write, a);
        v.AddMember("context_window", m.context_window, a);
        v.AddMember("max_tokens", m.max_tokens, a);
        list.PushBack(v, a);
    }
    out.AddMember("models", list, a);
    return ok(out);
}

Result engine_config(EngineHub& hub) {
    const Config& c = hub.config();
    rapidjson::Document out(rapidjson::kObjectType);
    auto& a = out.GetAllocator();
    const std::string model = c.get_string("engine.default_model");
    KeyInfo key{"", "none"};
    if (auto ref = parse_model_ref(model)) {
        if (auto p = find_provider(c, ref->provider)) key = resolve_key(c, *p);
    } else if (!c.engine_api_key().empty()) {
        key = KeyInfo{"", "config"};
        key.key = "set";  // only its presence is reported
    }
    rapidjson::Value engine(rapidjson::kObjectType);
    engine.AddMember("default_model", json::str(model, a), a);
    engine.AddMember("api_key_set", !key.key.empty(), a);
    engine.AddMember("api_key_source", json::str(key.source, a), a);
    engine.AddMember("api_key_provider", json::str(c.get_string("engine.api_key_provider"), a), a);
    rapidjson::Value fallbacks(rapidjson::kArrayType);
    for (auto& m : c.get_strings("engine.fallback_models")) fallbacks.PushBack(json::str(m, a), a);
    engine.AddMember("fallback_models", fallbacks, a);
    out.AddMember("engine", engine, a);

    std::optional<rapidjson::Document> options;
    if (auto text = c.get("engine.providers")) options = json::parse(*text);
    rapidjson::Value list(rapidjson::kArrayType);
    for (const auto& p : configured_providers(c)) {
        const KeyInfo k = resolve_key(c, p);
        rapidjson::Value v = provider_summary(hub, p, a);
        v.AddMember("base_url", json::str(p.base_url, a), a);
        v.AddMember("api_key_env", json::str(p.api_key_env, a), a);
        v.AddMember("key_source", json::str(k.source, a), a);
        const rapidjson::Value* o = options ? json::member(*options, p.id.c_str()) : nullptr;
        if (o != nullptr && o->IsObject())
            v.AddMember("options", rapidjson::Value(*o, a), a);
        else
            v.AddMember("options", rapidjson::Value(rapidjson::kObjectType), a);
        list.PushBack(v, a);
    }
    out.AddMember("providers", list, a);
    return ok(out);
}

Result put_engine(Config& config, rapidjson::Document& engine) {
    rapidjson::Document partial(rapidjson::kObjectType);
    partial.AddMember("engine", rapidjson::Value(engine, partial.GetAllocator()), partial.GetAllocator());
    return config.put(partial);
}

Result set_model(Config& config, EngineHub& hub, const rapidjson::Value& in) {
    auto id = field(in, "model_id");
    if (!id) return error_result(OXIOS_E_INVALID, "missing field: model_id");
    if (!id->empty() && *id != "echo") {
        auto ref = parse_model_ref(*id);
        if (!ref) return error_result(OXIOS_E_INVALID, "model_id must be \"provider/model\" or \"echo\"");
        if (!find_provider(config, ref->provider))
            return error_result(OXIOS_E_INVALID, "unknown provider \"" + ref->provider + "\"");
    }
    rapidjson::Document engine(rapidjson::kObjectType);
    engine.AddMember("default_model", json::str(*id, engine.GetAllocator()), engine.GetAllocator());
    Result r = put_engine(config, engine);
    if (!r.ok()) return r;
    return engine_config(hub);
}

Result set_api_key(Config& config, EngineHub& hub, const rapidjson::Value& in) {
    auto provider = field(in, "provider");
    auto key = field(in, "api_key");
    if (!provider || provider->empty()) return error_result(OXIOS_E_INVALID, "missing field: provider");
    if (!key) return error_result(OXIOS_E_INVALID, "missing field: api_key");
    if (!find_provider(config, *provider))
        return error_result(OXIOS_E_INVALID, "unknown provider \"" + *provider + "\"");
    if (key->find_first_of("\r\n") != std::string::npos)
        return error_result(OXIOS_E_INVALID, "api_key must not contain line breaks");
    rapidjson::Document engine(rapidjson::kObjectType);
    auto& a = engine.GetAllocator();
    const std::string bound = config.get_string("engine.api_key_provider");
    if (key->empty()) {
        // Clears the stored key, unless it belongs to another provider.
        if (!config.engine_api_key().empty() && !bound.empty() && bound != *provider) {
            engine.AddMember("api_key_provider", json::str(bound, a), a);
        } else {
            engine.AddMember("api_key", rapidjson::Value(rapidjson::kNullType), a);
            engine.AddMember("api_key_provider", "", a);
        }
    } else {
        engine.AddMember("api_key", json::str(*key, a), a);
        engine.AddMember("api_key_provider", json::str(*provider, a), a);
    }
    Result r = put_engine(config, engine);
    if (!r.ok()) return r;
    hub.catalog().clear();
    rapidjson::Document out(rapidjson::kObjectType);
    auto& oa = out.GetAllocator();
    out.AddMember("status", rapidjson::StringRef(key->empty() ? "cleared" : "saved"), oa);
    out.AddMember("provider", json::str(*provider, oa), oa);
    auto p = find_provider(config, *provider);
    out.AddMember("api_key_set", p && !resolve_key(config, *p).key.empty(), oa);
    return ok(out);
}

bool has_key_member(const rapidjson::Value& v) {
    if (v.IsObject()) {
        for (const auto& m : v.GetObject()) {
            std::string name(m.name.GetString(), m.name.GetStringLength());
            std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
            name.erase(std::remove(name.begin(), name.end(), '_'), name.end());
            if (name == "apikey") return true;
            if (has_key_member(m.value)) return true;
        }
    } else if (v.IsArray()) {
        for (const auto& item : v.GetArray())
            if (has_key_member(item)) return true;
    }
    return false;
}

Result set_provider_options(Config& config, const rapidjson::Value& in) {
    const auto* options = json::member(in, "options");
    if (options == nullptr) return error_result(OXIOS_E_INVALID, "missing field: options");
    if (!options->IsObject()) return error_result(OXIOS_E_INVALID, "options must be an object");
    for (const auto& m : options->GetObject()) {
        const std::string id(m.name.GetString(), m.name.GetStringLength());
        if (!m.value.IsObject())
            return error_result(OXIOS_E_INVALID, "options." + id + ": must be an object of provider options");
        if (const auto* url = json::member(m.value, "base_url");
            url != nullptr && (!url->IsString() || !parse_base_url(url->GetString())))
            return error_result(OXIOS_E_INVALID, "options." + id + ".base_url: must be an http:// or https:// URL");
        if (const auto* env = json::member(m.value, "api_key_env"); env != nullptr && !env->IsString())
            return error_result(OXIOS_E_INVALID, "options." + id + ".api_key_env: must be a string");
        if (const auto* h = json::member(m.value, "headers"); h != nullptr) {
            bool good = h->IsObject();
            if (good)
                for (const auto& hm : h->GetObject()) good = good && hm.value.IsString();
            if (!good) return error_result(OXIOS_E_INVALID, "options." + id + ".headers: must map names to strings");
        }
    }
    if (has_key_member(*options))
        return error_result(OXIOS_E_INVALID, "options must not contain API keys: use PUT /api/engine/api-key");
    rapidjson::Document engine(rapidjson::kObjectType);
    engine.AddMember("providers", rapidjson::Value(*options, engine.GetAllocator()), engine.GetAllocator());
    Result r = put_engine(config, engine);
    if (!r.ok()) return r;
    rapidjson::Document out(rapidjson::kObjectType);
    auto& a = out.GetAllocator();
    out.AddMember("status", "saved", a);
    std::optional<rapidjson::Document> all;
    if (auto text = config.get("engine.providers")) all = json::parse(*text);
    if (all && all->IsObject())
        out.AddMember("providers", rapidjson::Value(*all, a), a);
    else
        out.AddMember("providers", rapidjson::Value(rapidjson::kObjectType), a);
    return ok(out);
}

Result validate_key(Config& config, const rapidjson::Value& in) {
    auto provider = field(in, "provider");
    auto key = field(in, "api_key");
    if (!provider || provider->empty()) return error_result(OXIOS_E_INVALID, "missing field: provider");
    if (!key) return error_result(OXIOS_E_INVALID, "missing field: api_key");
    auto p = find_provider(config, *provider);
    if (!p) return unknown_provider(*provider);
    const ModelsOutcome r = fetch_models(*p, *key, std::chrono::milliseconds(15'000));
    rapidjson::Document out(rapidjson::kObjectType);
    auto& a = out.GetAllocator();
    std::string message;
    if (r.ok()) {
        message = "the provider accepted the API key";
    } else if (r.fail == FailKind::Http && (r.http_status == 401 || r.http_status == 403)) {
        message = "the provider rejected the API key";
    } else {
        message = scrub(r.error.rfind("engine: ", 0) == 0 ? r.error.substr(8) : r.error, *key);
    }
    out.AddMember("valid", r.ok(), a);
    out.AddMember("provider", json::str(p->id, a), a);
    out.AddMember("message", json::str(message, a), a);
    return ok(out);
}

}  // namespace

void register_engine_methods(ServiceRegistry& registry, Config& config, EngineHub& hub) {
    registry.add("engine.providers", [&hub](const rapidjson::Value&) { return providers(hub); });
    registry.add("engine.models", [&hub](const rapidjson::Value& in) { return models(hub, in); });
    registry.add("engine.provider_models", [&hub](const rapidjson::Value& in) { return provider_models(hub, in); });
    registry.add("engine.config", [&hub](const rapidjson::Value&) { return engine_config(hub); });
    registry.add("engine.set_model",
                 [&config, &hub](const rapidjson::Value& in) { return set_model(config, hub, in); });
    registry.add("engine.set_api_key",
                 [&config, &hub](const rapidjson::Value& in) { return set_api_key(config, hub, in); });
    registry.add("engine.set_provider_options",
                 [&config](const rapidjson::Value& in) { return set_provider_options(config, in); });
    registry.add("engine.validate_key", [&config](const rapidjson::Value& in) { return validate_key(config, in); });
}

}  // namespace oxios::kernel
