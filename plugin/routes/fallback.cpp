// Catch-alls: OPTIONS preflight for every path, JSON 404 (or 405 for a known
// path with another method) for unknown /api paths, and the web UI (files,
// SPA fallback: routes/static_files.hpp) for every other GET.
#include "context.hpp"
#include "router.hpp"
#include "routes/static_files.hpp"

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

bool is_api(std::string_view path) { return path == "/api" || path.starts_with("/api/"); }

// GET outside /api: the web UI; under /api: the JSON 404/405. (A HEAD gets
// the same answer where the host routes HEAD to GET routes.)
void get_fallback(Ctx& ctx) {
    if (is_api(ctx.path())) {
        not_found(ctx);
        return;
    }
    serve_ui(ctx);
}

constexpr std::array kRoutes{
    RouteDef{"OPTIONS", "/{*path}", preflight, Access::Public, OXIOS_ROUTE_PLAIN},
    RouteDef{"*", "/api/{*path}", not_found, Access::ApiPrefix, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/{*path}", get_fallback, Access::ApiPrefix, OXIOS_ROUTE_PLAIN},
};

bool is_fallback(const RouteDef& def) { return &def >= kRoutes.data() && &def < kRoutes.data() + kRoutes.size(); }

}  // namespace

std::span<const RouteDef> fallback_routes() { return kRoutes; }

}  // namespace web
