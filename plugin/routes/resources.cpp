// Resources (docs/api-operator.md, "Resources"): the host's newest sample, its history, the
// overload state.
#include "context.hpp"
#include "pagination.hpp"
#include "router.hpp"
#include "service.hpp"

#include <array>

namespace web {
namespace {

void current(Ctx& ctx) { service_respond(ctx, "resources.current", "{}"); }

// ?last_n= (default 30; the host clamps it to 1..resources.history_size).
void history(Ctx& ctx) {
    json::Builder args;
    args.obj();
    if (const auto last_n = query_int(ctx, "last_n")) args.kv("last_n", *last_n);
    args.end_obj();
    service_respond(ctx, "resources.history", args.view());
}

void overload(Ctx& ctx) { service_respond(ctx, "resources.overload", "{}"); }

constexpr std::array kRoutes{
    RouteDef{"GET", "/api/resources", current, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/resources/history", history, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/resources/overload", overload, Access::Protected, OXIOS_ROUTE_PLAIN},
};

}  // namespace

std::span<const RouteDef> resources_routes() { return kRoutes; }

}  // namespace web
