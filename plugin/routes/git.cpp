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

void create_tag(Ctx& ctx) {
    const json::Document body = json::parse_body_object(ctx.body());
    const std::string_view tag = json::req_string(body, "tag");
    const auto hash = json::opt_string(body, "hash");
    json::Builder args;
    args.obj().kv("tag", tag);
    if (hash) args.kv("hash", *hash);
    args.end_obj();
    service_respond(ctx, "git.tag", args.view(), "commit not found");
}

void restore(Ctx& ctx) {
    const json::Document body = json::parse_body_object(ctx.body());
    const std::string_view hash = json::req_string(body, "hash");
    const auto path = json::opt_string(body, "path");
    json::Builder args;
    args.obj().kv("hash", hash);
    if (path) args.kv("path", *path);
    args.end_obj();
    service_respond(ctx, "git.restore", args.view(), "commit not found");
}

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
