#include "middleware/auth.hpp"

#include "audit.hpp"
#include "context.hpp"

#include <oxios/rules/http_text.hpp>

namespace web {

std::optional<std::string_view> bearer_token(std::string_view authorization) {
    authorization = oxios::rules::trim_ows(authorization);
    constexpr std::string_view scheme = "bearer";
    if (authorization.size() <= scheme.size() || !iequals(authorization.substr(0, 6), scheme) ||
        (authorization[6] != ' ' && authorization[6] != '\t')) {
        return std::nullopt;
    }
    const std::string_view token = oxios::rules::trim_ows(authorization.substr(scheme.size()));
    if (token.empty()) return std::nullopt;
    return token;
}

void auth_check(Ctx& ctx) {
    if (!ctx.settings().auth_enabled) return;
    std::optional<std::string_view> token;
    if (const auto h = ctx.header("Authorization")) token = bearer_token(*h);
    // WebSocket and SSE clients (EventSource) cannot always send headers.
    if (!token && ctx.route().kind != OXIOS_ROUTE_PLAIN) {
        if (const auto q = ctx.query("token"); q && !q->empty()) token = q;
    }
    if (!token || ctx.host().token_check(*token) != OXIOS_OK) {
        const int64_t window_us = int64_t{ctx.settings().audit_auth_failure_window_secs} * 1'000'000;
        if (const uint64_t n = ctx.inst().auth_failures.note(ctx.remote_addr(), ctx.host().now_us(), window_us)) {
            const std::string resource = std::string(ctx.method()) + " " + std::string(ctx.path());
            audit_record(ctx, "auth.failure", resource, false, token ? "invalid token" : "missing token",
                         "{\"count\":" + std::to_string(n) + "}");
        }
        throw HttpError(401, "unauthorized");
    }
    ctx.set_principal(std::string(*token));
}

}  // namespace web
