// Scheduler (docs/api-operator.md, "Scheduler"): the gateway's queue and running set.
#include "context.hpp"
#include "router.hpp"
#include "service.hpp"

#include <array>

namespace web {
namespace {

void stats(Ctx& ctx) { service_respond(ctx, "scheduler.stats", "{}"); }
void tasks(Ctx& ctx) { service_respond(ctx, "scheduler.tasks", "{}"); }

constexpr std::array kRoutes{
    RouteDef{"GET", "/api/scheduler/stats", stats, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/scheduler/tasks", tasks, Access::Protected, OXIOS_ROUTE_PLAIN},
};

}  // namespace

std::span<const RouteDef> scheduler_routes() { return kRoutes; }

}  // namespace web
