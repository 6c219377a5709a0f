// One plugin instance: the host handle, cached settings, rate-limit buckets
// and the few values worth computing once.
#pragma once

#include "host.hpp"
#include "middleware/rate_limit.hpp"
#include "settings.hpp"

#include <atomic>
#include <cstdint>
#include <string>

namespace web {

inline constexpr std::string_view kPluginName = "web";
inline constexpr std::string_view kPluginVersion = OXIOS_WEB_VERSION;

struct Instance {
    Instance(const oxios_host_api* api, oxios_host* h) : host(api, h) {}

    Host host;
    SettingsCache settings;
    RateLimiter limiter;
    std::string health_body;                    // {"status":"ok","version":V}
    std::atomic<int64_t> last_auto_prune_us{0};  // plugin-side throttle of auto-prune
    std::atomic<bool> started{false};
};

}  // namespace web
