#include "router.hpp"

namespace web {

std::vector<const RouteDef*> all_routes() {
    std::vector<const RouteDef*> out;
    for (auto table :
         {health_routes(),    system_routes(),    chat_routes(),        sessions_routes(), spaces_routes(),
          agents_routes(),    config_routes(),    workspace_routes(),   seeds_routes(),    skills_routes(),
          memory_routes(),    approvals_routes(), engine_routes(),      openapi_routes(),  git_routes(),
          resources_routes(), scheduler_routes(), cron_jobs_routes(),   personas_routes(), budget_routes(),
          knowledge_routes(), security_routes(),  marketplace_routes(), channel_routes(),  fallback_routes()}) {
        for (const auto& def : table) out.push_back(&def);
    }
    return out;
}

}  // namespace web
