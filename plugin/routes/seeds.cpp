// Seeds: list, one seed, its evolution chain.
#include "context.hpp"
#include "router.hpp"
#include "service.hpp"

#include <array>

namespace web {
namespace {

void list(Ctx& ctx) { service_paged(ctx, "seeds.list"); }
void get(Ctx& ctx) { service_respond(ctx, "seeds.get", args_with("id", ctx.param("id")), "seed not found"); }
void evolution(Ctx& ctx) {
    service_respond(ctx, "seeds.evolution", args_with("id", ctx.param("id")), "seed evolution not found");
}

constexpr std::array kRoutes{
    RouteDef{"GET", "/api/seeds", list, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/seeds/{id}", get, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/seeds/{id}/evolution", evolution, Access::Protected, OXIOS_ROUTE_PLAIN},
};

}  // namespace

std::span<const RouteDef> seeds_routes() { return kRoutes; }

}  // namespace web
