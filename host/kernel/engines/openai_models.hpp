// Model lists of OpenAI-compatible providers, taken live from GET /models
// and cached for a few minutes per (provider, base URL, key). Figures a
// provider does not report are 0.
#pragma once

#include "engines/openai_client.hpp"
#include "engines/providers.hpp"
#include "kernel.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace oxios::kernel {

struct ModelInfo {
    std::string id;    // bare model id
    std::string name;  // display name (the id when none)
    bool reasoning = false;
    int64_t context_window = 0, max_tokens = 0;
    double cost_input = 0, cost_output = 0, cost_cache_read = 0, cost_cache_write = 0;  // USD per million tokens
};

// Parses a /models answer ({"data":[...]}, {"models":[...]} or [...]).
std::vector<ModelInfo> parse_models(const std::string& body);

class ModelCatalog {
public:
    explicit ModelCatalog(std::chrono::seconds ttl = std::chrono::seconds(300)) : ttl_(ttl) {}

    struct Listing {
        Status status = OXIOS_OK;  // UPSTREAM (or TIMEOUT) with `error` when the provider failed
        std::string error;
        std::vector<ModelInfo> models;
    };
    // Cached unless `fresh`.
    Listing list(const ProviderInfo& provider, const std::string& api_key, bool fresh = false);
    // Count of cached models, nullopt when nothing is cached.
    std::optional<size_t> cached_count(const ProviderInfo& provider, const std::string& api_key) const;
    // A model of the cached list (never fetched for this), nullopt when not cached.
    std::optional<ModelInfo> cached_model(const ProviderInfo& provider, const std::string& api_key,
                                          const std::string& model_id) const;
    void clear();

private:
    static std::string cache_key(const ProviderInfo& provider, const std::string& api_key);
    struct Entry {
        std::chrono::steady_clock::time_point at;
        std::vector<ModelInfo> models;
    };
    const Entry* unexpired(const std::string& key) const;  // unexpired cache entry (mutex_ held)
    std::chrono::seconds ttl_;
    mutable std::mutex mutex_;
    std::map<std::string, Entry> cache_;
};

}  // namespace oxios::kernel
