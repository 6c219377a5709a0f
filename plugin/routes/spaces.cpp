// Spaces: list (optionally with archived ones), get, activate, archive.
#include "context.hpp"
#include "router.hpp"
#include "service.hpp"

#include <array>

namespace web {
namespace {

constexpr std::string_view kNotFound = "space not found";

bool include_archived(const Ctx& ctx) {
    const auto v = ctx.query("include_archived");
    if (!v || v->empty() || *v == "false" || *v == "0") return false;
    if (*v == "true" || *v == "1") return true;
    throw HttpError(400, "invalid query parameter 'include_archived': expected true or false");
}

void list(Ctx& ctx) {
    const bool archived = include_archived(ctx);
    service_paged(ctx, "spaces.list", [&](json::Builder& b) { b.kv("include_archived", archived); });
}
void get(Ctx& ctx) { service_respond(ctx, "spaces.get", args_with("id", ctx.param("id")), kNotFound); }
void activate(Ctx& ctx) { service_respond(ctx, "spaces.activate", args_with("id", ctx.param("id")), kNotFound); }
void archive(Ctx& ctx) { service_respond(ctx, "spaces.archive", args_with("id", ctx.param("id")), kNotFound); }

constexpr std::array kRoutes{
    RouteDef{"GET", "/api/spaces", list, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/spaces/{id}", get, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/spaces/{id}/activate", activate, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/spaces/{id}/archive", archive, Access::Protected, OXIOS_ROUTE_PLAIN},
};

}  // namespace

std::span<const RouteDef> spaces_routes() { return kRoutes; }

}  // namespace web
