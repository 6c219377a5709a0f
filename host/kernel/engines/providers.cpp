#include "engines/providers.hpp"

#include "config/config.hpp"
#include "infra/json_util.hpp"

#include <cstdlib>

namespace oxios::kernel {

namespace {

ProviderInfo make(const char* id, const char* name, const char* category, const char* base_url, const char* env,
                  bool stream_usage = true) {
    ProviderInfo p;
    p.id = id;
    p.name = name;
    p.category = category;
    p.base_url = base_url;
    p.api_key_env = env;
    p.stream_usage = stream_usage;
    p.builtin = true;
    return p;
}

bool is_loopback(const std::string& base_url) {
    for (const char* h : {"://localhost", "://127.", "://[::1]", "://0.0.0.0"})
        if (base_url.find(h) != std::string::npos) return true;
    return false;
}

void overlay(ProviderInfo& p, const rapidjson::Value& o) {
    if (!o.IsObject()) return;
    if (auto v = json::get_string(o, "base_url"); !v.empty()) p.base_url = v;
    if (const auto* env = json::member(o, "api_key_env"); env != nullptr && env->IsString())
        p.api_key_env = env->GetString();
    if (auto v = json::get_string(o, "name"); !v.empty()) p.name = v;
    if (auto v = json::get_string(o, "category"); !v.empty()) p.category = v;
    if (const auto* su = json::member(o, "stream_usage"); su != nullptr && su->IsBool()) p.stream_usage = su->GetBool();
    if (const auto* h = json::member(o, "headers"); h != nullptr && h->IsObject()) {
        for (const auto& m : h->GetObject())
            if (m.value.IsString()) p.headers[m.name.GetString()] = m.value.GetString();
    }
}

}  // namespace

const std::vector<ProviderInfo>& builtin_providers() {
    static const std::vector<ProviderInfo> table = {
        make("openai", "OpenAI", "major", "https://api.openai.com/v1", "OPENAI_API_KEY"),
        make("openrouter", "OpenRouter", "major", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"),
        make("groq", "Groq", "major", "https://api.groq.com/openai/v1", "GROQ_API_KEY"),
        make("deepseek", "DeepSeek", "major", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY"),
        make("mistral", "Mistral", "major", "https://api.mistral.ai/v1", "MISTRAL_API_KEY", false),
        make("xai", "xAI", "major", "https://api.x.ai/v1", "XAI_API_KEY"),
        make("cerebras", "Cerebras", "open", "https://api.cerebras.ai/v1", "CEREBRAS_API_KEY"),
        make("fireworks", "Fireworks", "open", "https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY"),
        make("together", "Together AI", "open", "https://api.together.xyz/v1", "TOGETHER_API_KEY"),
        make("huggingface", "Hugging Face", "open", "https://router.huggingface.co/v1", "HF_TOKEN"),
        make("nvidia", "NVIDIA NIM", "open", "https://integrate.api.nvidia.com/v1", "NVIDIA_API_KEY"),
        make("perplexity", "Perplexity", "open", "https://api.perplexity.ai", "PERPLEXITY_API_KEY", false),
        make("moonshot", "Moonshot AI", "regional", "https://api.moonshot.ai/v1", "MOONSHOT_API_KEY"),
        make("zai", "Z.ai", "regional", "https://api.z.ai/api/paas/v4", "ZAI_API_KEY", false),
        make("qwen", "Qwen (DashScope)", "regional", "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
             "DASHSCOPE_API_KEY"),
        make("ollama", "Ollama", "local", "http://127.0.0.1:11434/v1", ""),
        make("llamacpp", "llama.cpp server", "local", "http://127.0.0.1:8080/v1", ""),
        make("vllm", "vLLM", "local", "http://127.0.0.1:8000/v1", ""),
        make("lmstudio", "LM Studio", "local", "http://127.0.0.1:1234/v1", "", false),
    };
    return table;
}

std::vector<ProviderInfo> configured_providers(const Config& config) {
    std::vector<ProviderInfo> out = builtin_providers();
    auto text = config.get("engine.providers");
    if (!text) return out;
    auto doc = json::parse(*text);
    if (!doc || !doc->IsObject()) return out;
    for (const auto& m : doc->GetObject()) {
        const std::string id = m.name.GetString();
        if (!m.value.IsObject()) continue;
        bool found = false;
        for (auto& p : out) {
            if (p.id == id) {
                overlay(p, m.value);
                found = true;
            }
        }
        if (found || json::get_string(m.value, "base_url").empty()) continue;
        ProviderInfo p;
        p.id = id;
        p.name = id;
        overlay(p, m.value);
        if (p.category.empty()) p.category = is_loopback(p.base_url) ? "local" : "custom";
        out.push_back(std::move(p));
    }
    return out;
}

std::optional<ProviderInfo> find_provider(const Config& config, std::string_view id) {
    for (auto& p : configured_providers(config))
        if (p.id == id) return p;
    return std::nullopt;
}

std::optional<ModelRef> parse_model_ref(std::string_view text) {
    const size_t slash = text.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 >= text.size()) return std::nullopt;
    return ModelRef{std::string(text.substr(0, slash)), std::string(text.substr(slash + 1))};
}

KeyInfo resolve_key(const Config& config, const ProviderInfo& provider) {
    const std::string key = config.engine_api_key();
    const std::string bound = config.get_string("engine.api_key_provider");
    if (!key.empty() && (bound.empty() || bound == provider.id)) return {key, "config"};
    if (!provider.api_key_env.empty()) {
        const char* env = std::getenv(provider.api_key_env.c_str());
        if (env != nullptr && *env != '\0') return {env, "env"};
    }
    return {"", "none"};
}

std::optional<Endpoint> parse_base_url(std::string_view url) {
    Endpoint e;
    std::string_view rest;
    if (url.rfind("https://", 0) == 0) {
        e.https = true;
        rest = url.substr(8);
    } else if (url.rfind("http://", 0) == 0) {
        rest = url.substr(7);
    } else {
        return std::nullopt;
    }
    const size_t slash = rest.find('/');
    e.host = std::string(rest.substr(0, slash));
    if (e.host.empty() || e.host.find_first_of(" \t\r\n@") != std::string::npos) return std::nullopt;
    std::string path = slash == std::string_view::npos ? std::string() : std::string(rest.substr(slash));
    while (!path.empty() && path.back() == '/') path.pop_back();
    e.base_path = path;
    e.scheme_host_port = std::string(e.https ? "https://" : "http://") + e.host;
    return e;
}

}  // namespace oxios::kernel
