// OpenAI-compatible providers: a built-in table (ids as in the original UI)
// overlaid with engine.providers.<id> from the config, model references
// ("provider/model") and API key resolution. No network here.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oxios::kernel {

class Config;

struct ProviderInfo {
    std::string id, name, category;              // category: major, open, regional, local (or custom)
    std::string base_url;                        // up to and including the API version: "https://api.openai.com/v1"
    std::string api_key_env;                     // "" = none (local servers)
    std::map<std::string, std::string> headers;  // extra request headers
    bool stream_usage = true;                    // accepts stream_options.include_usage
    bool builtin = false;
};

// The compiled-in table, in display order.
const std::vector<ProviderInfo>& builtin_providers();

// Built-ins overlaid with engine.providers.<id> (base_url, api_key_env,
// headers, name, category, stream_usage), plus config-only providers that
// have a base_url.
std::vector<ProviderInfo> configured_providers(const Config& config);
std::optional<ProviderInfo> find_provider(const Config& config, std::string_view id);

// "provider/model" (the model part may contain more slashes). nullopt when
// there is no slash or either part is empty.
struct ModelRef {
    std::string provider, model;
    std::string full() const { return provider + "/" + model; }
};
std::optional<ModelRef> parse_model_ref(std::string_view text);

// Key precedence: engine.api_key (when engine.api_key_provider is empty or
// names this provider), then the provider's environment variable.
struct KeyInfo {
    std::string key;
    std::string source;  // "config", "env", "none"
};
KeyInfo resolve_key(const Config& config, const ProviderInfo& provider);

// The URL split for cpp-httplib: "https://host:port" and "/v1".
struct Endpoint {
    std::string scheme_host_port;  // "https://api.openai.com"
    std::string host;              // "api.openai.com" (or host:port when a port is given)
    std::string base_path;         // "/v1" ("" for none)
    bool https = false;
};
std::optional<Endpoint> parse_base_url(std::string_view url);

}  // namespace oxios::kernel
