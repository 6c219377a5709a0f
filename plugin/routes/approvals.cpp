// Approvals: list, approve, reject.
#include "context.hpp"
#include "router.hpp"
#include "service.hpp"

#include <array>

namespace web {
namespace {

constexpr std::string_view kNotPending = "approval not found or not pending";

void list(Ctx& ctx) { service_respond(ctx, "approvals.list", "{}"); }
void approve(Ctx& ctx) { service_respond(ctx, "approvals.approve", args_with("id", ctx.param("id")), kNotPending); }
void reject(Ctx& ctx) { service_respond(ctx, "approvals.reject", args_with("id", ctx.param("id")), kNotPending); }

constexpr std::array kRoutes{
    RouteDef{"GET", "/api/approvals", list, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/approvals/{id}/approve", approve, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/approvals/{id}/reject", reject, Access::Protected, OXIOS_ROUTE_PLAIN},
};

}  // namespace

std::span<const RouteDef> approvals_routes() { return kRoutes; }

}  // namespace web
