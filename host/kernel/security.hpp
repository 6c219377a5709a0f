// Web API tokens: security.api_keys from the config plus env OXIOS_API_KEY,
// compared in constant time. The LLM provider key (engine.api_key) is never
// a web token.
#pragma once

#include <string>
#include <string_view>

namespace oxios::kernel {

class Config;

// Equality whose running time depends on `expected`'s length only, never on
// the content of either string.
bool constant_time_equal(std::string_view given, std::string_view expected);

class Security {
public:
    Security(const Config& config, std::string env_key);
    bool token_valid(std::string_view token) const;
    // How many web tokens there are (security.api_keys plus the environment's).
    size_t key_count() const;

private:
    const Config& config_;
    std::string env_key_;
};

}  // namespace oxios::kernel
