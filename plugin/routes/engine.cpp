// Engine routes (protected, as in the original): providers, live model lists,
// the engine config and its live changes, API key checks. The host does the
// work (engine.* methods); API keys go in, never out.
#include "context.hpp"
#include "json.hpp"
#include "router.hpp"
#include "service.hpp"

#include <array>
#include <string>

namespace web {
namespace {

// The body as a JSON object; 400 when malformed.
json::Document body_object(Ctx& ctx) {
    json::Document body;
    if (!json::parse(ctx.body(), body)) throw HttpError(400, "request body is not valid JSON");
    if (!body.IsObject()) throw HttpError(400, "request body must be a JSON object");
    return body;
}

// A required string field; 400 naming it when missing or not a string.
std::string_view required_string(const json::Value& body, const char* name) {
    const json::Value* v = json::find(body, name);
    if (v == nullptr) throw HttpError(400, std::string("missing required field '") + name + "'");
    if (!v->IsString()) throw HttpError(400, std::string("field '") + name + "' must be a string");
    return {v->GetString(), v->GetStringLength()};
}

void providers(Ctx& ctx) { service_respond(ctx, "engine.providers", "{}"); }

void models(Ctx& ctx) {
    json::Builder args;
    args.obj();
    if (auto p = ctx.query("provider"); p && !p->empty()) args.kv("provider", *p);
    if (auto q = ctx.query("q"); q && !q->empty()) args.kv("q", *q);
    args.end_obj();
    service_respond(ctx, "engine.models", args.view(), "unknown provider");
}

void provider_models(Ctx& ctx) {
    service_respond(ctx, "engine.provider_models", args_with("provider", ctx.param("provider")), "unknown provider");
}

void config(Ctx& ctx) { service_respond(ctx, "engine.config", "{}"); }

void set_model(Ctx& ctx) {
    const json::Document body = body_object(ctx);
    service_respond(ctx, "engine.set_model", args_with("model_id", required_string(body, "model_id")));
}

void set_api_key(Ctx& ctx) {
    const json::Document body = body_object(ctx);
    const std::string_view provider = required_string(body, "provider");
    const std::string_view key = required_string(body, "api_key");
    json::Builder args;
    args.obj().kv("provider", provider).kv("api_key", key).end_obj();
    service_respond(ctx, "engine.set_api_key", args.view());
}

void set_provider_options(Ctx& ctx) {
    const json::Document body = body_object(ctx);
    const json::Value* options = json::find(body, "options");
    if (options == nullptr) throw HttpError(400, "missing required field 'options'");
    if (!options->IsObject()) throw HttpError(400, "field 'options' must be an object");
    json::Builder args;
    args.obj().kv("options", *options).end_obj();
    service_respond(ctx, "engine.set_provider_options", args.view());
}

void validate_key(Ctx& ctx) {
    const json::Document body = body_object(ctx);
    const std::string_view provider = required_string(body, "provider");
    const std::string_view key = required_string(body, "api_key");
    json::Builder args;
    args.obj().kv("provider", provider).kv("api_key", key).end_obj();
    service_respond(ctx, "engine.validate_key", args.view(), "unknown provider");
}

constexpr std::array kRoutes{
    RouteDef{"GET", "/api/engine/providers", providers, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/engine/models", models, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/engine/providers/{provider}/models", provider_models, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/engine/config", config, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"PUT", "/api/engine/model", set_model, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"PUT", "/api/engine/api-key", set_api_key, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"PUT", "/api/engine/provider-options", set_provider_options, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/engine/validate-key", validate_key, Access::Protected, OXIOS_ROUTE_PLAIN},
};

}  // namespace

std::span<const RouteDef> engine_routes() { return kRoutes; }

}  // namespace web
