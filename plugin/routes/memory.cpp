// Memory: list, create, search, semantic search, get.
#include "context.hpp"
#include "json.hpp"
#include "middleware/limits.hpp"
#include "router.hpp"
#include "service.hpp"

#include <algorithm>
#include <array>

namespace web {
namespace {

std::optional<std::string_view> memory_type(const json::Value& body) {
    const auto t = json::opt_string(body, "memory_type");
    if (t && *t != "fact" && *t != "episode" && *t != "knowledge") {
        throw HttpError(400, "memory_type must be fact, episode, or knowledge");
    }
    return t;
}

void list(Ctx& ctx) { service_paged(ctx, "memory.list"); }

void get(Ctx& ctx) { service_respond(ctx, "memory.get", args_with("name", ctx.param("name")), "memory not found"); }

void create(Ctx& ctx) {
    const json::Document body = json::parse_body_object(ctx.body());
    const std::string_view content = json::req_string(body, "content");
    check_size(content.size(), kMaxMemoryContent);
    const std::string_view type = memory_type(body).value_or("fact");
    const auto tags = json::opt_string_array(body, "tags").value_or(std::vector<std::string>{});
    const double importance = json::opt_number(body, "importance").value_or(0.5);
    if (!(importance >= 0.0 && importance <= 1.0)) {
        throw HttpError(422, "field 'importance' must be between 0 and 1");
    }
    json::Builder args;
    args.obj().kv("content", content).kv("memory_type", type).key("tags").arr();
    for (const auto& t : tags) args.str(t);
    args.end_arr().kv("importance", importance).end_obj();
    service_respond(ctx, "memory.create", args.view());
}

std::string search_args(const Ctx& ctx) {
    const json::Document body = json::parse_body_object(ctx.body());
    const std::string_view query = json::req_string(body, "query");
    const auto type = memory_type(body);
    const int64_t limit = std::clamp<int64_t>(json::opt_int(body, "limit").value_or(10), 1, 500);
    json::Builder args;
    args.obj().kv("query", query);
    if (type) args.kv("memory_type", *type);
    args.kv("limit", limit).end_obj();
    return args.take();
}

void search(Ctx& ctx) { service_respond(ctx, "memory.search", search_args(ctx)); }

// 501 when the host has no semantic engine (UNSUPPORTED).
void semantic(Ctx& ctx) {
    const std::string args = search_args(ctx);
    std::string out;
    const oxios_status s = ctx.host().call("memory.semantic", args, out);
    if (s == OXIOS_E_UNSUPPORTED) {
        throw HttpError(501, json::error_message(out, "semantic search is not available: no semantic engine"));
    }
    service_check(s, out);
    send_host_json(ctx, out, "memory.semantic");
}

constexpr std::array kRoutes{
    RouteDef{"GET", "/api/memory", list, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/memory", create, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/memory/search", search, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/memory/semantic", semantic, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/memory/{name}", get, Access::Protected, OXIOS_ROUTE_PLAIN},
};

}  // namespace

std::span<const RouteDef> memory_routes() { return kRoutes; }

}  // namespace web
