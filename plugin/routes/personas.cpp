// Personas (docs/api-operator.md, "Personas") through the host's personas.* methods.
// Types are checked here (422); sizes, counts and ids by the host.
#include "context.hpp"
#include "json.hpp"
#include "router.hpp"
#include "service.hpp"

#include <array>

namespace web {
namespace {

constexpr std::string_view kNotFound = "persona not found";

// The persona members of the body, type-checked, plus "id" when given.
std::string persona_args(Ctx& ctx, bool create, std::string_view id = {}) {
    const json::Document body = json::parse_body_object(ctx.body());
    json::Builder args;
    args.obj();
    if (!id.empty()) args.kv("id", id);
    const auto name = create ? std::optional(json::req_string(body, "name")) : json::opt_string(body, "name");
    if (name) {
        if (name->empty()) throw HttpError(422, "field 'name' must not be empty");
        args.kv("name", *name);
    }
    for (const std::string_view field : {"role", "description", "system_prompt"})
        if (const auto v = json::opt_string(body, field)) args.kv(field, *v);
    if (const auto traits = json::opt_string_array(body, "personality_traits")) {
        args.key("personality_traits").arr();
        for (const auto& t : *traits) {
            if (t.empty()) throw HttpError(422, "field 'personality_traits' must not hold empty strings");
            args.str(t);
        }
        args.end_arr();
    }
    args.end_obj();
    return args.take();
}

void list(Ctx& ctx) { service_respond(ctx, "personas.list", "{}"); }
void create(Ctx& ctx) { service_respond(ctx, "personas.create", persona_args(ctx, true)); }
void get(Ctx& ctx) { service_respond(ctx, "personas.get", args_with("id", ctx.param("id")), kNotFound); }
void update(Ctx& ctx) { service_respond(ctx, "personas.update", persona_args(ctx, false, ctx.param("id")), kNotFound); }
void remove(Ctx& ctx) { service_respond(ctx, "personas.delete", args_with("id", ctx.param("id")), kNotFound); }
void activate(Ctx& ctx) { service_respond(ctx, "personas.activate", args_with("id", ctx.param("id")), kNotFound); }
void active(Ctx& ctx) { service_respond(ctx, "personas.active", "{}"); }

// PUT /api/personas/active {"id": string|null}: null deactivates.
void set_active(Ctx& ctx) {
    const json::Document body = json::parse_body_object(ctx.body());
    const json::Value* id = json::find(body, "id");
    if (id == nullptr) throw HttpError(422, "missing required field 'id'");
    if (!id->IsNull() && !id->IsString()) throw HttpError(422, "field 'id' must be a string or null");
    const std::string args =
        id->IsNull() ? std::string(R"({"id":null})") : args_with("id", json::req_string(body, "id"));
    service_respond(ctx, "personas.activate", args, kNotFound);
}

constexpr std::array kRoutes{
    RouteDef{"GET", "/api/personas", list, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/personas", create, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/personas/active", active, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"PUT", "/api/personas/active", set_active, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/personas/{id}", get, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"PUT", "/api/personas/{id}", update, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"DELETE", "/api/personas/{id}", remove, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/personas/{id}/activate", activate, Access::Protected, OXIOS_ROUTE_PLAIN},
};

}  // namespace

std::span<const RouteDef> personas_routes() { return kRoutes; }

}  // namespace web
