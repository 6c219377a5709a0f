// Git: the workspace's history (log, tags, restore, verify) through the
// host's git.* methods.
#include "context.hpp"
#include "json.hpp"
#include "pagination.hpp"
#include "router.hpp"
#include "service.hpp"

#include <algorithm>
#include <array>

namespace web {
namespace {

void log(Ctx& ctx) {
    const int64_t limit = std::clamp<int64_t>(query_int(ctx, "limit").value_or(100), 1, kMaxLimit);
    json::Builder args;
    args.obj().kv("limit", limit).end_obj();
    service_respond(ctx, "git.log", args.view());
}

void tags(Ctx& ctx) { service_respond(ctx, "git.tags", "{}"); }

// Passes the body's string field `required` and, when given, `optional` on to `method`.
void forward(Ctx& ctx, std::string_view method, std::string_view required, std::string_view optional) {
    const json::Document body = json::parse_body_object(ctx.body());
    const std::string_view first = json::req_string(body, required);
    const auto second = json::opt_string(body, optional);
    json::Builder args;
    args.obj().kv(required, first);
    if (second) args.kv(optional, *second);
    args.end_obj();
    service_respond(ctx, method, args.view(), "commit not found");
}

void create_tag(Ctx& ctx) { forward(ctx, "git.tag", "tag", "hash"); }
void restore(Ctx& ctx) { forward(ctx, "git.restore", "hash", "path"); }

void verify(Ctx& ctx) { service_respond(ctx, "git.verify", "{}"); }

constexpr std::array kRoutes{
    RouteDef{"GET", "/api/git/log", log, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/git/tags", tags, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/git/tags", create_tag, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/git/restore", restore, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/git/verify", verify, Access::Protected, OXIOS_ROUTE_PLAIN},
};

}  // namespace

std::span<const RouteDef> git_routes() { return kRoutes; }

}  // namespace web
