// Marketplace (docs/api-operator.md, "Marketplace"): search the registry, install a
// skill from it into skills/<slug>.
#include "context.hpp"
#include "json.hpp"
#include "pagination.hpp"
#include "router.hpp"
#include "service.hpp"

#include <array>
#include <string>

namespace web {
namespace {

// ?q= (required) &limit= (20, clamped to 1..100 by the host); a bare array.
void search(Ctx& ctx) {
    json::Builder args;
    args.obj();
    if (const auto q = ctx.query("q")) args.kv("q", *q);
    if (const auto limit = query_int(ctx, "limit")) args.key("limit").i64(*limit);
    args.end_obj();
    service_respond(ctx, "marketplace.search", args.view());
}

// {"version"?}; the slug comes from the path (checked by the host before any I/O).
void install(Ctx& ctx) {
    constexpr size_t kMaxBody = 4096;  // {"version"} only
    if (ctx.body().size() > kMaxBody)
        throw HttpError(413, std::to_string(ctx.body().size()) + " bytes exceeds limit of 4096 bytes");
    json::Builder args;
    args.obj().kv("slug", ctx.param("slug"));
    if (!ctx.body().empty()) {
        const json::Document body = json::parse_body_object(ctx.body());
        if (const auto version = json::opt_string(body, "version")) args.kv("version", *version);
    }
    args.end_obj();
    service_respond(ctx, "marketplace.install", args.view(), "skill not in registry");
}

constexpr std::array kRoutes{
    RouteDef{"GET", "/api/marketplace/search", search, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/marketplace/skills/{slug}/install", install, Access::Protected, OXIOS_ROUTE_PLAIN},
};

}  // namespace

std::span<const RouteDef> marketplace_routes() { return kRoutes; }

}  // namespace web
