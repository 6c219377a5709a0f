// One plugin instance: the host handle, cached settings, rate-limit buckets,
// the WebSocket chat and SSE channels, and the few values worth computing once.
#pragma once

#include "audit.hpp"
#include "channels/sse_events.hpp"
#include "channels/ws_chat.hpp"
#include "host.hpp"
#include "middleware/rate_limit.hpp"
#include "settings.hpp"

#include <atomic>
#include <cstdint>
#include <string>

namespace web {

inline constexpr std::string_view kPluginName = "web";
// The plugin's version: plugin_version.cpp, the one file each plugin build compiles itself.
extern const std::string_view kPluginVersion;

struct Instance {
    Instance(const oxios_host_api* api, oxios_host* h) : host(api, h), events(host) {}

    Host host;
    SettingsCache settings;
    RateLimiter limiter;
    AuthFailureThrottle auth_failures;           // audit: one auth.failure per address per window
    channels::WsChat chat;                       // WebSocket /api/chat/stream
    channels::SseEvents events;                  // SSE /api/events (after `host`: it keeps a reference)
    std::string health_body;                     // {"status":"ok","version":V}
    std::atomic<int64_t> last_auto_prune_us{0};  // plugin-side throttle of auto-prune
    std::atomic<bool> started{false};
};

}  // namespace web
