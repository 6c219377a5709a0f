// Security (docs/api-operator.md, "Security"): the audit log's newest entries, stored
// ranges and verification, and the permissions the live config grants.
#include "context.hpp"
#include "pagination.hpp"
#include "router.hpp"
#include "service.hpp"

#include <array>

namespace web {
namespace {

void list(Ctx& ctx) { service_paged(ctx, "audit.list"); }

// ?from_seq= (1) &to_seq= (from_seq + 99); the host checks the span.
void entries(Ctx& ctx) {
    json::Builder args;
    args.obj();
    if (const auto from = query_int(ctx, "from_seq")) args.key("from_seq").i64(*from);
    if (const auto to = query_int(ctx, "to_seq")) args.key("to_seq").i64(*to);
    args.end_obj();
    service_respond(ctx, "audit.entries", args.view());
}

void verify(Ctx& ctx) { service_respond(ctx, "audit.verify", "{}"); }
void permissions(Ctx& ctx) { service_respond(ctx, "security.permissions", "{}"); }

constexpr std::array kRoutes{
    RouteDef{"GET", "/api/audit", list, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/audit/entries", entries, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/audit/verify", verify, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/security/permissions", permissions, Access::Protected, OXIOS_ROUTE_PLAIN},
};

}  // namespace

std::span<const RouteDef> security_routes() { return kRoutes; }

}  // namespace web
