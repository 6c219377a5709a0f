// Catch-alls: OPTIONS preflight for every path, and JSON 404 (or 405 for a
// known path with another method) for unknown paths. The UI owner extends the
// GET "/{*path}" handler to serve the SPA outside /api.
#include "context.hpp"
#include "router.hpp"

#include <array>
#include <string>

namespace web {
namespace {

// Preflight is answered by the CORS middleware before any handler runs.
void preflight(Ctx& ctx) { ctx.send(204, "", ""); }

bool is_fallback(const RouteDef& def);

void not_found(Ctx& ctx) {
    std::string allow;
    for (const RouteDef* def : all_routes()) {
        if (is_fallback(*def) || !pattern_matches(def->pattern, ctx.path())) continue;
        if (allow.find(def->method) != std::string::npos) continue;
        if (!allow.empty()) allow += ", ";
        allow += def->method;
    }
    if (!allow.empty()) {
        ctx.add_header("Allow", allow);
        throw HttpError(405, "method not allowed");
    }
    throw HttpError(404, "not found");
}

constexpr std::array kRoutes{
    RouteDef{"OPTIONS", "/{*path}", preflight, Access::Public, OXIOS_ROUTE_PLAIN},
    RouteDef{"*", "/api/{*path}", not_found, Access::ApiPrefix, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/{*path}", not_found, Access::ApiPrefix, OXIOS_ROUTE_PLAIN},
};

bool is_fallback(const RouteDef& def) {
    return &def >= kRoutes.data() && &def < kRoutes.data() + kRoutes.size();
}

}  // namespace

std::span<const RouteDef> fallback_routes() { return kRoutes; }

}  // namespace web
