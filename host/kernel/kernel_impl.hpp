// Kernel::Impl: the parts of the kernel, in construction order. Shared by
// kernel.cpp and the files that register the kernel's own methods.
#pragma once

#include "agents.hpp"
#include "audit/audit_log.hpp"
#include "config/config.hpp"
#include "engines/openai_hub.hpp"
#include "event_bus.hpp"
#include "gateway.hpp"
#include "infra/unreadable_files.hpp"
#include "kernel.hpp"
#include "security.hpp"
#include "services/budget_ledger.hpp"
#include "services/git_service.hpp"
#include "services/personas.hpp"
#include "services/service_registry.hpp"
#include "session_store.hpp"
#include "spaces.hpp"
#include "store/pg_event_log.hpp"
#include "store/state_store.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

namespace oxios::kernel {

struct Kernel::Impl {
    explicit Impl(const Options& opts);

    Options options;
    std::unique_ptr<Config> config;
    std::string workspace;
    UnreadableFiles unreadable;  // workspace files skipped: components.workspace
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    Security security;
    EventBus bus;
    StateStore store;                       // the configured backend (files or postgres)
    SessionStore& sessions;                 // *store.sessions
    std::unique_ptr<PgEventLog> event_log;  // postgres: the bus's events go through the cluster's log
    SpaceStore spaces;
    AgentRegistry agents;
    PersonaStore personas;              // the active one's prompt goes into the engine's system message
    BudgetLedger budget;                // metered and checked by the gateway
    std::shared_ptr<EngineHub> engine;  // echo or OpenAI-compatible, by the live config
    Gateway gateway;

    std::mutex providers_mutex;
    StatusProvider plugins_status;
    MetricsProvider http_metrics;

    std::unique_ptr<GitService> git;         // the workspace's history (docs/api-operator.md, "Git")
    std::unique_ptr<audit::AuditLog> audit;  // the audit log (docs/api-operator.md, "Security")

    ServiceRegistry registry;  // last: its methods refer to everything above

    uint64_t uptime_secs() const {
        return static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count());
    }
};

// system.status, system.metrics (system_methods.cpp).
void register_system_methods(ServiceRegistry& registry, Kernel::Impl& kernel);
// config.get, config.put (config_methods.cpp).
void register_config_methods(ServiceRegistry& registry, Config& config);
// engine.* (engine_methods.cpp).
void register_engine_methods(ServiceRegistry& registry, Config& config, EngineHub& hub);

}  // namespace oxios::kernel
