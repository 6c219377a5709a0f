#include "engines/openai_models.hpp"

#include "infra/json_util.hpp"

#include <cstdlib>
#include <functional>

namespace oxios::kernel {

namespace {

int64_t first_int(const rapidjson::Value& o, std::initializer_list<const char*> names) {
    for (const char* n : names) {
        const int64_t v = json::get_int(o, n, -1);
        if (v > 0) return v;
    }
    return 0;
}

// A price as number or string, per token -> per million tokens.
double per_million(const rapidjson::Value* v) {
    if (v == nullptr) return 0;
    double d = 0;
    if (v->IsNumber())
        d = v->GetDouble();
    else if (v->IsString())
        d = std::strtod(v->GetString(), nullptr);
    if (!(d > 0)) return 0;
    return d * 1e6;
}

bool has_reasoning(const rapidjson::Value& m) {
    if (const auto* r = json::member(m, "reasoning"); r != nullptr && r->IsBool()) return r->GetBool();
    if (const auto* sp = json::member(m, "supported_parameters"); sp != nullptr && sp->IsArray()) {
        for (const auto& p : sp->GetArray())
            if (p.IsString() && (std::string_view(p.GetString()) == "reasoning" ||
                                 std::string_view(p.GetString()) == "include_reasoning"))
                return true;
    }
    if (const auto* caps = json::member(m, "capabilities"); caps != nullptr && caps->IsArray()) {
        for (const auto& c : caps->GetArray())
            if (c.IsString() && std::string_view(c.GetString()) == "thinking") return true;
    }
    return false;
}

ModelInfo one(const rapidjson::Value& m) {
    ModelInfo info;
    info.id = json::get_string(m, "id");
    if (info.id.empty()) info.id = json::get_string(m, "name");
    info.name = json::get_string(m, "name", info.id);
    if (info.name.empty()) info.name = info.id;
    info.reasoning = has_reasoning(m);
    info.context_window =
        first_int(m, {"context_window", "context_length", "max_model_len", "max_context_length", "max_input_tokens"});
    info.max_tokens = first_int(m, {"max_tokens", "max_output_tokens", "max_completion_tokens"});
    if (info.max_tokens == 0) {
        if (const auto* tp = json::member(m, "top_provider"); tp != nullptr && tp->IsObject()) {
            info.max_tokens = first_int(*tp, {"max_completion_tokens"});
            if (info.context_window == 0) info.context_window = first_int(*tp, {"context_length"});
        }
    }
    if (const auto* pr = json::member(m, "pricing"); pr != nullptr && pr->IsObject()) {
        info.cost_input = per_million(json::member(*pr, "prompt"));
        info.cost_output = per_million(json::member(*pr, "completion"));
        info.cost_cache_read = per_million(json::member(*pr, "input_cache_read"));
        info.cost_cache_write = per_million(json::member(*pr, "input_cache_write"));
    }
    return info;
}

}  // namespace

std::vector<ModelInfo> parse_models(const std::string& body) {
    std::vector<ModelInfo> out;
    auto doc = json::parse(body);
    if (!doc) return out;
    const rapidjson::Value* list = nullptr;
    if (doc->IsArray())
        list = &*doc;
    else if (const auto* d = json::member(*doc, "data"); d != nullptr && d->IsArray())
        list = d;
    else if (const auto* d2 = json::member(*doc, "models"); d2 != nullptr && d2->IsArray())
        list = d2;
    if (list == nullptr) return out;
    for (const auto& m : list->GetArray()) {
        if (!m.IsObject()) continue;
        ModelInfo info = one(m);
        if (!info.id.empty()) out.push_back(std::move(info));
    }
    return out;
}

std::string ModelCatalog::cache_key(const ProviderInfo& provider, const std::string& api_key) {
    return provider.id + "\n" + provider.base_url + "\n" + std::to_string(std::hash<std::string>{}(api_key));
}

ModelCatalog::Listing ModelCatalog::list(const ProviderInfo& provider, const std::string& api_key, bool fresh) {
    const std::string k = cache_key(provider, api_key);
    if (!fresh) {
        std::lock_guard lock(mutex_);
        if (const Entry* e = unexpired(k)) return Listing{OXIOS_OK, "", e->models};
    }
    Listing out;
    const ModelsOutcome r = fetch_models(provider, api_key, std::chrono::milliseconds(15'000));
    if (!r.ok()) {
        out.status = OXIOS_E_UPSTREAM;
        out.error = r.error;
        return out;
    }
    out.models = parse_models(r.body);
    std::lock_guard lock(mutex_);
    cache_[k] = Entry{std::chrono::steady_clock::now(), out.models};
    return out;
}

const ModelCatalog::Entry* ModelCatalog::unexpired(const std::string& key) const {
    auto it = cache_.find(key);
    if (it == cache_.end() || std::chrono::steady_clock::now() - it->second.at >= ttl_) return nullptr;
    return &it->second;
}

std::optional<size_t> ModelCatalog::cached_count(const ProviderInfo& provider, const std::string& api_key) const {
    std::lock_guard lock(mutex_);
    const Entry* e = unexpired(cache_key(provider, api_key));
    if (e == nullptr) return std::nullopt;
    return e->models.size();
}

std::optional<ModelInfo> ModelCatalog::cached_model(const ProviderInfo& provider, const std::string& api_key,
                                                    const std::string& model_id) const {
    std::lock_guard lock(mutex_);
    const Entry* e = unexpired(cache_key(provider, api_key));
    if (e == nullptr) return std::nullopt;
    for (const auto& m : e->models)
        if (m.id == model_id) return m;
    return std::nullopt;
}

void ModelCatalog::clear() {
    std::lock_guard lock(mutex_);
    cache_.clear();
}

}  // namespace oxios::kernel
