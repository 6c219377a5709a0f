// The plugin's share of the audit log (docs/api-operator.md, "Security"): who made a
// request (the "_actor" of every mutating kernel call), the entries the plugin
// records itself (audit.record), and auth failures throttled per address.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace web {

class Ctx;

// token:<first 8 hex of SHA-256(token)> when the request authenticated,
// else ip:<remote address>. Never the token itself.
std::string request_actor(const Ctx& ctx);

// `args` (a JSON object) with "_actor" added as its first member.
std::string with_actor(std::string_view args, std::string_view actor);

// Records an entry through audit.record; a failure is only logged.
void audit_record(Ctx& ctx, std::string_view action, std::string_view resource, bool allowed = true,
                  std::optional<std::string_view> reason = std::nullopt, std::string_view metadata_json = "{}");

// One auth.failure entry per remote address per window; the failures in
// between are counted in the next entry's metadata.count.
class AuthFailureThrottle {
public:
    // The count to record now (this failure included), or 0 inside the window.
    uint64_t note(std::string_view address, int64_t now_us, int64_t window_us);

private:
    struct State {
        int64_t recorded_at_us;
        uint64_t pending;
    };
    std::mutex mutex_;
    std::unordered_map<std::string, State> by_address_;
};

}  // namespace web
