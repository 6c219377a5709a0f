// GET /health and GET /health/ready (public).
#include "context.hpp"
#include "json.hpp"
#include "router.hpp"

#include <array>

namespace web {
namespace {

void health(Ctx& ctx) { ctx.send_json(200, ctx.inst().health_body); }

bool component_healthy(const json::Value& c) {
    const json::Value* h = json::find(c, "healthy");
    return h == nullptr || !h->IsBool() || h->GetBool();
}

void ready(Ctx& ctx) {
    std::string out;
    const oxios_status s = ctx.host().call("system.status", "{}", out);
    json::Document doc;
    if (s != OXIOS_OK || !json::parse(out, doc) || !doc.IsObject()) {
        const std::string detail =
            s != OXIOS_OK ? json::error_message(out, status_message(s)) : "invalid system.status result";
        json::Builder b;
        b.obj().kv("status", "degraded").kv("version", kPluginVersion).kv("uptime_secs", 0);
        b.key("components").obj().key("state_store").obj().kv("healthy", false).kv("detail", detail);
        b.end_obj().end_obj().end_obj();
        ctx.send_json(503, b.view());
        return;
    }
    bool store_ok = false;
    bool all_ok = true;
    if (const json::Value* store = json::find(doc, "state_store"); store && store->IsObject()) {
        store_ok = component_healthy(*store);
    }
    json::Builder b;
    b.obj();
    for (const auto& m : doc.GetObject()) {
        if (m.value.IsObject() && !component_healthy(m.value)) all_ok = false;
    }
    const bool healthy = store_ok && all_ok;
    b.kv("status", healthy ? "healthy" : "degraded").kv("version", kPluginVersion).key("uptime_secs");
    if (const json::Value* up = json::find(doc, "uptime_secs"); up && up->IsNumber())
        b.value(*up);
    else
        b.u64(0);
    b.key("components").obj();
    for (const auto& m : doc.GetObject()) {
        if (!m.value.IsObject()) continue;
        b.key(std::string_view(m.name.GetString(), m.name.GetStringLength())).value(m.value);
    }
    b.end_obj().end_obj();
    ctx.send_json(store_ok ? 200 : 503, b.view());
}

constexpr std::array kRoutes{
    RouteDef{"GET", "/health", health, Access::Public, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/health/ready", ready, Access::Public, OXIOS_ROUTE_PLAIN},
};

}  // namespace

std::span<const RouteDef> health_routes() { return kRoutes; }

}  // namespace web
