// The long-tail kernel services behind oxios_host_api.call (abi/METHODS.md):
// a name -> method table. Each service registers its methods here.
#pragma once

#include "infra/unreadable_files.hpp"
#include "kernel.hpp"
#include "services/cron_service.hpp"
#include "store/duty_lock.hpp"
#include "store/record_store.hpp"

#include <rapidjson/document.h>

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace oxios::kernel {

class GitService;     // services/git_service.hpp
class AuditRecorder;  // audit/audit_recorder.hpp
AuditRecorder& null_audit();

// What a service may use of the rest of the kernel. Filled by the Kernel.
struct ServiceContext {
    std::string workspace;  // absolute, canonical workspace root
    // Publishes an event (type, JSON object of extra fields); returns its seq.
    std::function<uint64_t(std::string_view type, std::string_view fields_json)> publish;
    std::function<int64_t()> now_us;  // wall clock, µs since the Unix epoch
    // Where a service reports a workspace file it skipped (may be null).
    UnreadableFiles* unreadable = nullptr;
    // Where a service keeps its state (store/record_store.hpp): files or
    // PostgreSQL, as configured. Never a file or connection of its own.
    RecordStore* records = nullptr;
    // Whether this host runs the cluster's once-only duties (a scheduled
    // cron fire): always with files, one host of several with PostgreSQL.
    const DutyLock* duty = nullptr;
    // Calls fn(event) on a thread of its own for each bus event whose "type"
    // is in `types`, and for {"type":"lagged"} when events were dropped
    // (then anything may have changed). With PostgreSQL every host's events
    // come here: how a service hears that another host changed a record.
    std::function<void(std::vector<std::string> types, std::function<void(const rapidjson::Value& event)> fn)> on_event;
    // The workspace's git history: writers report changed paths (may be null).
    GitService* git = nullptr;
    // Told of each workspace.write (workspace-relative path, whether the file
    // is new): the knowledge vault indexes writes under `knowledge/`. May be null.
    std::function<void(const std::string& path, bool created)> workspace_written;
    // The audit log (audit/audit_recorder.hpp): ctx.audit->record(...); never null.
    AuditRecorder* audit = &null_audit();
};

// A method receives its parsed JSON argument object and returns a Result
// (JSON body, or {"error":...} with a non-OK status).
using Method = std::function<Result(const rapidjson::Value& in)>;

class ServiceRegistry {
public:
    void add(std::string name, Method method) { methods_[std::move(name)] = std::move(method); }

    // Parses json_in (must be an object; "" counts as {}), dispatches.
    // Unknown method -> OXIOS_E_UNSUPPORTED; bad JSON -> OXIOS_E_INVALID;
    // an exception from a method -> OXIOS_E_INTERNAL. Never throws.
    Result call(std::string_view method, std::string_view json_in) const;

    // Replaces a registered method by decorate(method); nothing when absent.
    void wrap(std::string_view name, const std::function<Method(Method)>& decorate) {
        if (auto it = methods_.find(std::string(name)); it != methods_.end())
            it->second = decorate(std::move(it->second));
    }

    bool has(std::string_view method) const { return methods_.count(std::string(method)) != 0; }

    // A service with a thread registers how to stop it; stop() runs these
    // once, newest first (Kernel::shutdown, and before the kernel goes).
    void on_stop(std::function<void()> fn) { stoppers_.push_back(std::move(fn)); }
    void stop();

private:
    std::unordered_map<std::string, Method> methods_;
    std::vector<std::function<void()>> stoppers_;
};

// Builds {"error": message} — the body of every non-OK Result.
Result error_result(Status status, std::string_view message);

// Services in host/kernel/services/, each in its own file.
void register_workspace_service(ServiceRegistry& registry, const ServiceContext& ctx);
void register_seeds_service(ServiceRegistry& registry, const ServiceContext& ctx);
void register_skills_service(ServiceRegistry& registry, const ServiceContext& ctx);
void register_memory_service(ServiceRegistry& registry, const ServiceContext& ctx);
void register_approvals_service(ServiceRegistry& registry, const ServiceContext& ctx);
void register_git_service(ServiceRegistry& registry, const ServiceContext& ctx);  // needs ctx.git
// resources.* (resources.cpp): its sampler thread starts here.
namespace services {
struct ResourceSources;
}  // namespace services
void register_resources_service(ServiceRegistry& registry, const ServiceContext& ctx,
                                services::ResourceSources sources);
// knowledge.* (knowledge.cpp): the vault under <workspace>/knowledge, its link
// index built now. Sets ctx.workspace_written: register it before workspace.*.
struct KnowledgeSettings;  // services/knowledge_vault.hpp
void register_knowledge_service(ServiceRegistry& registry, ServiceContext& ctx,
                                std::function<KnowledgeSettings()> settings);
class Gateway;
// knowledge.copilot (knowledge_copilot.cpp): asks through the gateway, blocking.
void register_knowledge_copilot(ServiceRegistry& registry, Gateway& gateway,
                                const std::function<KnowledgeSettings()>& settings);
// scheduler.* (scheduler.cpp): the gateway's queue and running set.
class Gateway;
void register_scheduler_service(ServiceRegistry& registry, const Gateway& gateway);
// cron.* (cron_methods.cpp): jobs, their scheduler thread (started here) and runs.
void register_cron_service(ServiceRegistry& registry, const ServiceContext& ctx, services::CronService::Deps deps);

}  // namespace oxios::kernel
