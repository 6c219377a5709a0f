// The per-request pipeline: CORS (and preflight) -> Origin check for
// WebSocket/SSE admission -> auth -> rate limit for
// protected routes -> request size limit -> handler. Every failure becomes a
// JSON error response; nothing escapes.
#include "context.hpp"
#include "json.hpp"
#include "middleware/auth.hpp"
#include "middleware/cors.hpp"
#include "middleware/limits.hpp"
#include "middleware/rate_limit.hpp"
#include "router.hpp"

#include <new>

namespace web {

namespace {
bool is_protected(const RouteDef& def, std::string_view path) {
    switch (def.access) {
        case Access::Public:
            return false;
        case Access::Protected:
            return true;
        case Access::ApiPrefix:
            return path == "/api" || path.starts_with("/api/");
    }
    return true;
}

void fail(Ctx& ctx, int status, std::string_view message) noexcept {
    try {
        if (!ctx.responded()) ctx.send_error(status, message);
    } catch (...) {
    }
}
}  // namespace

void dispatch(Instance& inst, const RouteDef& def, const oxios_request& req, oxios_response* resp) noexcept {
    Ctx ctx(inst, def, req, resp);
    try {
        if (cors_apply(ctx)) return;
        const bool held = def.kind != OXIOS_ROUTE_PLAIN;  // WebSocket / SSE admission
        if (held && !origin_allowed(ctx)) throw HttpError(403, "origin not allowed");
        if (is_protected(def, ctx.path())) {
            auth_check(ctx);
            rate_limit_check(ctx);
        }
        limits_check_request(ctx);
        def.handler(ctx);
        // A held connection is admitted by returning without a response.
        if (!ctx.responded() && !held) fail(ctx, 500, "internal error: no response");
    } catch (const HttpError& e) {
        if (ctx.responded()) {
            inst.host.log(OXIOS_LOG_WARN, "web: error after the response was sent: " + e.message());
        }
        fail(ctx, e.status(), e.message());
    } catch (const std::bad_alloc&) {
        fail(ctx, 500, "internal error: out of memory");
    } catch (const std::exception& e) {
        try {
            inst.host.log(OXIOS_LOG_ERROR, std::string("web: handler failed: ") + e.what());
        } catch (...) {
        }
        fail(ctx, 500, "internal error");
    } catch (...) {
        fail(ctx, 500, "internal error");
    }
}

}  // namespace web
