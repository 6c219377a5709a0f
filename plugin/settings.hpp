// The configuration values the plugin acts on, read once per config
// generation (host config_generation) and shared read-only between requests.
#pragma once

#include "host.hpp"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace web {

struct Settings {
    bool auth_enabled = false;
    uint32_t rate_limit_per_minute = 600;  // 0 = unlimited
    std::vector<std::string> cors_origins{"http://localhost:4200", "http://127.0.0.1:4200"};
    bool session_auto_prune = true;
    std::string ws_user_id = "web-user";           // web.ws_user_id: user of WebSocket chats
    uint32_t audit_auth_failure_window_secs = 60;  // audit.auth_failure_window_secs
};

// Reads Settings from the host config (keys "security", "session", "web"); a
// value of the wrong type keeps its default and is logged.
Settings read_settings(const Host& host);

class SettingsCache {
public:
    // The settings of the current config generation; re-read only when the
    // generation changed. Any thread.
    std::shared_ptr<const Settings> get(const Host& host);

private:
    std::mutex mutex_;
    bool valid_ = false;
    uint64_t generation_ = 0;
    std::shared_ptr<const Settings> current_;
};

}  // namespace web
