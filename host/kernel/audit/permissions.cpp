// security.permissions (docs/api-operator.md, "Security"): roles and policies derived
// from the live config; there is no RBAC behind them.
#include "audit/audit_service.hpp"
#include "config/config.hpp"
#include "infra/json_util.hpp"

#include <string>
#include <vector>

namespace oxios::kernel {

namespace {

struct Policy {
    std::string name;
    bool allow;
    std::vector<std::string> resources;
};

std::string text(bool b) { return b ? "true" : "false"; }

std::vector<Policy> policies(const Config& c) {
    const std::vector<std::string> api{"/api/*"};
    std::vector<Policy> out{
        {"public-default", true, {"GET /health", "GET /health/ready", "GET /metrics", "GET / (web UI)"}}};
    if (c.get_bool("security.auth_enabled", false)) {
        out.push_back({"token-default", true, api});
        out.push_back({"anonymous-default", false, api});
    } else {
        out.push_back({"anonymous-default", true, api});
    }
    out.push_back({"agent-default",
                   true,
                   {"network_access:" + text(c.get_bool("security.network_access", false)),
                    "can_fork:" + text(c.get_bool("security.can_fork", false)),
                    "max_execution_time_secs:" + std::to_string(c.get_int("security.max_execution_time_secs", 300)),
                    "max_memory_mb:" + std::to_string(c.get_int("security.max_memory_mb", 512)),
                    "exec.default_mode:" + c.get_string("exec.default_mode", "sandboxed"),
                    "exec.allow_shell_mode:" + text(c.get_bool("exec.allow_shell_mode", false))}});
    return out;
}

}  // namespace

void register_permissions_service(ServiceRegistry& registry, const Config& config,
                                  std::function<size_t()> api_keys_count) {
    registry.add("security.permissions",
                 [&config, api_keys_count = std::move(api_keys_count)](const rapidjson::Value&) {
                     const auto list = policies(config);
                     json::Builder out;
                     out.begin_object().key("roles").begin_array();
                     for (const auto& p : list)
                         out.value(p.name.substr(0, p.name.size() - std::string_view("-default").size()));
                     out.end_array().key("policies").begin_array();
                     for (const auto& p : list)
                         out.begin_object()
                             .field("name", p.name)
                             .field("effect", p.allow ? "allow" : "deny")
                             .field("resources", p.resources)
                             .end_object();
                     out.end_array()
                         .field("auth_enabled", config.get_bool("security.auth_enabled", false))
                         .field("api_keys_count", api_keys_count())
                         .field("rate_limit_per_minute", config.get_int("security.rate_limit_per_minute", 600))
                         .field("cors_origins", config.get_strings("security.cors_origins"))
                         .end_object();
                     return out.result();
                 });
}

}  // namespace oxios::kernel
