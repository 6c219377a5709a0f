#include "security.hpp"

#include "config/config.hpp"

namespace oxios::kernel {

bool constant_time_equal(std::string_view given, std::string_view expected) {
    volatile unsigned char diff = given.size() == expected.size() ? 0 : 1;
    const size_t n = given.size();
    for (size_t i = 0; i < expected.size(); ++i) {
        const unsigned char g = n == 0 ? 0 : static_cast<unsigned char>(given[i % n]);
        diff = static_cast<unsigned char>(diff | (g ^ static_cast<unsigned char>(expected[i])));
    }
    return diff == 0;
}

Security::Security(const Config& config, std::string env_key) : config_(config), env_key_(std::move(env_key)) {}

size_t Security::key_count() const {
    return config_.get_strings("security.api_keys").size() + (env_key_.empty() ? 0 : 1);
}

bool Security::token_valid(std::string_view token) const {
    bool ok = false;
    for (const auto& key : config_.get_strings("security.api_keys"))
        if (!key.empty()) ok = constant_time_equal(token, key) | ok;  // no short circuit
    if (!env_key_.empty()) ok = constant_time_equal(token, env_key_) | ok;
    return ok && !token.empty();
}

}  // namespace oxios::kernel
