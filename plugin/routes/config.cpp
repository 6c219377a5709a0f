// Config: GET the whole config, PUT a (partial) config that the host merges.
#include "context.hpp"
#include "json.hpp"
#include "router.hpp"
#include "service.hpp"

#include <array>

namespace web {
namespace {

void get(Ctx& ctx) { service_respond(ctx, "config.get", "{}"); }

void put(Ctx& ctx) {
    json::Document body;
    if (!json::parse(ctx.body(), body)) {
        throw HttpError(400, "Invalid config: request body is not valid JSON");
    }
    if (!body.IsObject()) throw HttpError(400, "Invalid config: body must be a JSON object");
    json::Builder args;
    args.obj().kv("config", body).end_obj();
    service_respond(ctx, "config.put", args.view());
}

constexpr std::array kRoutes{
    RouteDef{"GET", "/api/config", get, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"PUT", "/api/config", put, Access::Protected, OXIOS_ROUTE_PLAIN},
};

}  // namespace

std::span<const RouteDef> config_routes() { return kRoutes; }

}  // namespace web
