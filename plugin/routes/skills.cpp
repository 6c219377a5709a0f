// Skills: list, get, create, delete, enable/disable, content.
#include "context.hpp"
#include "json.hpp"
#include "middleware/limits.hpp"
#include "router.hpp"
#include "service.hpp"

#include <array>

namespace web {
namespace {

constexpr std::string_view kNotFound = "skill not found";

std::string name_arg(const Ctx& ctx) { return args_with("name", ctx.param("name")); }

void list(Ctx& ctx) { service_respond(ctx, "skills.list", "{}"); }
void get(Ctx& ctx) { service_respond(ctx, "skills.get", name_arg(ctx), kNotFound); }
void content(Ctx& ctx) { service_respond(ctx, "skills.content", name_arg(ctx), kNotFound); }
void remove(Ctx& ctx) { service_respond(ctx, "skills.delete", name_arg(ctx), kNotFound); }
void enable(Ctx& ctx) { service_respond(ctx, "skills.enable", name_arg(ctx), kNotFound); }
void disable(Ctx& ctx) { service_respond(ctx, "skills.disable", name_arg(ctx), kNotFound); }

void create(Ctx& ctx) {
    const json::Document body = json::parse_body_object(ctx.body());
    const std::string_view name = json::req_string(body, "name");
    const std::string_view description = json::opt_string(body, "description").value_or("");
    const std::string_view text = json::req_string(body, "content");
    check_size(text.size(), kMaxSkillContent);
    if (name.empty()) throw HttpError(400, "skill name must not be empty");
    json::Builder args;
    args.obj().kv("name", name).kv("description", description).kv("content", text).end_obj();
    service_respond(ctx, "skills.create", args.view());
}

constexpr std::array kRoutes{
    RouteDef{"GET", "/api/skills", list, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/skills", create, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/skills/{name}", get, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"DELETE", "/api/skills/{name}", remove, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/skills/{name}/enable", enable, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/skills/{name}/disable", disable, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/skills/{name}/content", content, Access::Protected, OXIOS_ROUTE_PLAIN},
};

}  // namespace

std::span<const RouteDef> skills_routes() { return kRoutes; }

}  // namespace web
