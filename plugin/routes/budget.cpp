// Budget (docs/api-operator.md, "Budget") through the host's budget.* methods. Types
// are checked here (422); ranges and agent ids by the host (400).
#include "context.hpp"
#include "json.hpp"
#include "pagination.hpp"
#include "router.hpp"
#include "service.hpp"

#include <array>

namespace web {
namespace {

constexpr std::string_view kNotFound = "no budget for agent";

std::string agent_arg(const Ctx& ctx) { return args_with("agent_id", ctx.param("agent_id")); }

void list(Ctx& ctx) { service_paged(ctx, "budget.list"); }
void get(Ctx& ctx) { service_respond(ctx, "budget.get", agent_arg(ctx), kNotFound); }
void reset(Ctx& ctx) { service_respond(ctx, "budget.reset", agent_arg(ctx), kNotFound); }
void remove(Ctx& ctx) { service_respond(ctx, "budget.delete", agent_arg(ctx), kNotFound); }

// Present members only: a null clears, an absent one is kept.
void set(Ctx& ctx) {
    const json::Document body = json::parse_body_object(ctx.body());
    json::Builder args;
    args.obj().kv("agent_id", ctx.param("agent_id"));
    const std::string_view tokens_field = json::find(body, "tokens_limit") ? "tokens_limit" : "token_budget";
    if (json::find(body, tokens_field) != nullptr) {
        const auto v = json::opt_int(body, tokens_field);
        args.key("tokens_limit");
        v ? args.i64(*v) : args.null();
    }
    if (json::find(body, "cost_limit") != nullptr) {
        const auto v = json::opt_number(body, "cost_limit");
        args.key("cost_limit");
        v ? args.num(*v) : args.null();
    }
    if (json::find(body, "window_secs") != nullptr) {
        const auto v = json::opt_int(body, "window_secs");
        if (!v) throw HttpError(422, "field 'window_secs' must be an integer");
        args.kv("window_secs", *v);
    }
    args.end_obj();
    service_respond(ctx, "budget.set", args.view());
}

constexpr std::array kRoutes{
    RouteDef{"GET", "/api/budget", list, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/budget/{agent_id}", get, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/budget/{agent_id}", set, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"DELETE", "/api/budget/{agent_id}", remove, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/budget/{agent_id}/reset", reset, Access::Protected, OXIOS_ROUTE_PLAIN},
};

}  // namespace

std::span<const RouteDef> budget_routes() { return kRoutes; }

}  // namespace web
