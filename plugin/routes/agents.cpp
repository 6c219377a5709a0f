// Agents: list, kill.
#include "context.hpp"
#include "router.hpp"
#include "service.hpp"

#include <array>

namespace web {
namespace {

void list(Ctx& ctx) { service_paged(ctx, "agents.list"); }
void kill(Ctx& ctx) { service_respond(ctx, "agents.kill", args_with("id", ctx.param("id")), "agent not found"); }

constexpr std::array kRoutes{
    RouteDef{"GET", "/api/agents", list, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/agents/{id}/kill", kill, Access::Protected, OXIOS_ROUTE_PLAIN},
};

}  // namespace

std::span<const RouteDef> agents_routes() { return kRoutes; }

}  // namespace web
