// How handlers are registered: every route is a static RouteDef; start()
// passes its address to route_add as route_data, and handle() gets it back
// and runs the middleware pipeline (dispatch.cpp) then def->handler.
#pragma once

#include "oxios_plugin.h"

#include <oxios/rules/route_pattern.hpp>

#include <span>
#include <string_view>
#include <vector>

namespace web {

class Ctx;
struct Instance;
using Handler = void (*)(Ctx&);

enum class Access {
    Public,     // no auth, no rate limit (/health, /metrics, UI)
    Protected,  // auth (when enabled) + rate limit
    ApiPrefix   // protected when the path is under /api, public otherwise (catch-alls)
};

struct RouteDef {
    const char* method;   // "GET", ..., "*"
    const char* pattern;  // "/api/sessions/{id}"
    Handler handler;
    Access access;
    oxios_route_kind kind;
};

// Route tables, one per routes/*.cpp file.
std::span<const RouteDef> health_routes();
std::span<const RouteDef> chat_routes();
std::span<const RouteDef> sessions_routes();
std::span<const RouteDef> system_routes();
std::span<const RouteDef> workspace_routes();
std::span<const RouteDef> seeds_routes();
std::span<const RouteDef> skills_routes();
std::span<const RouteDef> memory_routes();
std::span<const RouteDef> approvals_routes();
std::span<const RouteDef> resources_routes();    // /api/resources* (routes/resources.cpp)
std::span<const RouteDef> scheduler_routes();    // /api/scheduler/* (routes/scheduler.cpp)
std::span<const RouteDef> cron_jobs_routes();    // /api/cron-jobs* (routes/cron_jobs.cpp)
std::span<const RouteDef> personas_routes();     // /api/personas* (routes/personas.cpp)
std::span<const RouteDef> budget_routes();       // /api/budget* (routes/budget.cpp)
std::span<const RouteDef> security_routes();     // /api/audit*, /api/security/* (routes/security.cpp)
std::span<const RouteDef> marketplace_routes();  // /api/marketplace/* (routes/marketplace.cpp)
std::span<const RouteDef> agents_routes();
std::span<const RouteDef> config_routes();
std::span<const RouteDef> spaces_routes();
std::span<const RouteDef> git_routes();        // /api/git/* (routes/git.cpp)
std::span<const RouteDef> knowledge_routes();  // /api/knowledge/* (routes/knowledge.cpp)
std::span<const RouteDef> engine_routes();     // /api/engine/* (routes/engine.cpp)
std::span<const RouteDef> openapi_routes();    // GET /api/openapi.json (routes/openapi.cpp)
std::span<const RouteDef> channel_routes();    // WebSocket chat, SSE events (channels/routes.cpp)
std::span<const RouteDef> fallback_routes();   // OPTIONS preflight, JSON 404 catch-alls

// Every route the plugin registers, in registration order.
std::vector<const RouteDef*> all_routes();

// True when `path` matches `pattern` with the host's rules (one copy of them).
using oxios::rules::pattern_matches;

// Runs the middleware pipeline and the handler for one request; never throws.
void dispatch(Instance& inst, const RouteDef& def, const oxios_request& req, oxios_response* resp) noexcept;

}  // namespace web
