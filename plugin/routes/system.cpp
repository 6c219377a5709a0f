// GET /api/status (protected) and GET /metrics (public).
#include "context.hpp"
#include "json.hpp"
#include "router.hpp"
#include "service.hpp"

#include <array>
#include <string>

namespace web {
namespace {

std::string format_uptime(uint64_t secs) {
    return std::to_string(secs / 3600) + "h " + std::to_string(secs / 60 % 60) + "m " + std::to_string(secs % 60) + "s";
}

void status(Ctx& ctx) {
    std::string out;
    oxios_status s = ctx.host().call("system.components", "{}", out);
    if (s == OXIOS_E_UNSUPPORTED) s = ctx.host().call("system.status", "{}", out);  // an older host
    service_check(s, out);
    const json::Document doc = json::parse_host(out, "system.components");
    uint64_t uptime = 0;
    if (const json::Value* up = json::find(doc, "uptime_secs"); up && up->IsNumber()) {
        const double d = up->GetDouble();
        uptime = d > 0 ? static_cast<uint64_t>(d) : 0;
    }
    json::Builder b;
    b.obj().kv("service", "oxios").kv("status", "running").kv("version", kPluginVersion);
    b.key("channels").arr().str("web").end_arr();
    b.kv("uptime", format_uptime(uptime));
    b.key("components").obj();
    for (const char* name : {"state_store", "event_bus", "memory", "agents"}) {
        if (const json::Value* v = json::find(doc, name); v && v->IsObject()) b.kv(name, *v);
    }
    b.key("spaces_active");
    if (const json::Value* v = json::find(doc, "spaces_active"); v && v->IsNumber())
        b.value(*v);
    else
        b.u64(0);
    b.end_obj().end_obj();
    ctx.send_json(200, b.view());
}

void metrics(Ctx& ctx) {
    const std::string out = service_call(ctx, "system.metrics", "{}");
    ctx.send(200, "text/plain; version=0.0.4", out);
}

constexpr std::array kRoutes{
    RouteDef{"GET", "/api/status", status, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/metrics", metrics, Access::Public, OXIOS_ROUTE_PLAIN},
};

}  // namespace

std::span<const RouteDef> system_routes() { return kRoutes; }

}  // namespace web
