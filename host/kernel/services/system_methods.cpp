// system.components and system.status (JSON), system.metrics (Prometheus text).
#include "infra/json_util.hpp"
#include "kernel_impl.hpp"

#include <chrono>
#include <mutex>
#include <string>

namespace oxios::kernel {

namespace {

rapidjson::Value health(bool healthy, const std::string& detail, rapidjson::Document::AllocatorType& a) {
    rapidjson::Value v(rapidjson::kObjectType);
    v.AddMember("healthy", healthy, a);
    v.AddMember("detail", json::str(detail, a), a);
    return v;
}

rapidjson::Value plugins_status(Kernel::Impl& k, rapidjson::Document::AllocatorType& a) {
    Kernel::StatusProvider provider;
    {
        std::lock_guard lock(k.providers_mutex);
        provider = k.plugins_status;
    }
    if (provider) {
        // Parsed straight into the caller's allocator: no separate pool.
        rapidjson::Document doc(&a);
        const std::string text = provider();
        doc.Parse(text.c_str(), text.size());
        if (!doc.HasParseError() && doc.IsObject()) {
            rapidjson::Value v;
            v.Swap(doc);
            return v;
        }
    }
    rapidjson::Value v(rapidjson::kObjectType);
    v.AddMember("loaded", rapidjson::Value(rapidjson::kArrayType), a);
    v.AddMember("reloads", 0, a);
    v.AddMember("failed_reloads", 0, a);
    v.AddMember("last_error", rapidjson::Value(rapidjson::kNullType), a);
    return v;
}

rapidjson::Value memory_status(Kernel::Impl& k, rapidjson::Document::AllocatorType& a) {
    if (k.registry.has("memory.stats")) {
        Result r = k.registry.call("memory.stats", "");
        rapidjson::Document doc(&a);
        doc.Parse(r.body.c_str(), r.body.size());
        if (r.ok() && !doc.HasParseError() && doc.IsObject()) {
            rapidjson::Value v;
            v.Swap(doc);
            return v;
        }
    }
    rapidjson::Value v(rapidjson::kObjectType);
    v.AddMember("enabled", false, a);
    v.AddMember("index_size", 0, a);
    v.AddMember("total_entries", 0, a);
    return v;
}

// The state store's health costs a filesystem check: it is taken at most
// once a second (status is polled by every open UI tab and by load balancers).
bool store_health(Kernel::Impl& k, std::string& detail) {
    static std::mutex mutex;
    static std::chrono::steady_clock::time_point checked{};
    static bool healthy = false;
    static std::string last_detail;
    static const Kernel::Impl* last_kernel = nullptr;
    std::lock_guard lock(mutex);
    auto now = std::chrono::steady_clock::now();
    if (last_kernel != &k || now - checked > std::chrono::seconds(1)) {
        healthy = k.sessions.healthy(last_detail);
        checked = now;
        last_kernel = &k;
    }
    detail = last_detail;
    return healthy;
}

// Workspace files the host skipped: listed with their reason; they make the
// host "degraded", never unready (the rest of the workspace is served).
rapidjson::Value workspace_status(Kernel::Impl& k, rapidjson::Document::AllocatorType& a) {
    const auto files = k.unreadable.list();
    rapidjson::Value list(rapidjson::kArrayType);
    for (const auto& f : files) {
        rapidjson::Value item(rapidjson::kObjectType);
        item.AddMember("path", json::str(f.path, a), a);
        item.AddMember("reason", json::str(f.reason, a), a);
        list.PushBack(item, a);
    }
    rapidjson::Value v = health(files.empty(),
                                files.empty() ? std::string("every file readable")
                                              : std::to_string(files.size()) + " file(s) skipped, left as they are",
                                a);
    v.AddMember("unreadable", list, a);
    return v;
}

// The component health the web channel's /api/status shows; system.status
// adds the host's own sections to the same members.
void add_components(Kernel::Impl& k, rapidjson::Document& out) {
    auto& a = out.GetAllocator();
    out.AddMember("uptime_secs", k.uptime_secs(), a);
    std::string detail;
    const bool store_ok = store_health(k, detail);
    rapidjson::Value store = health(store_ok, detail, a);
    // Session files left unread at start, renamed aside by an append to their id.
    store.AddMember("corrupt_set_aside", static_cast<uint64_t>(k.sessions.corrupt_set_aside()), a);
    out.AddMember("state_store", store, a);
    out.AddMember("event_bus",
                  health(true,
                         "seq " + std::to_string(k.bus.last_seq()) + ", " + std::to_string(k.bus.subscriber_count()) +
                             " subscribers",
                         a),
                  a);
    out.AddMember("memory", memory_status(k, a), a);
    const auto counts = k.agents.counts();
    rapidjson::Value agents(rapidjson::kObjectType);
    agents.AddMember("active_count", counts.active, a);
    agents.AddMember("total_forked", counts.forked, a);
    agents.AddMember("total_completed", counts.completed, a);
    agents.AddMember("total_failed", counts.failed, a);
    out.AddMember("agents", agents, a);
    out.AddMember("spaces_active", static_cast<uint64_t>(k.spaces.count_unarchived()), a);
}

Result components(Kernel::Impl& k) {
    char buffer[4096];  // the whole document fits: no heap pool
    rapidjson::MemoryPoolAllocator<> pool(buffer, sizeof buffer);
    rapidjson::Document out(rapidjson::kObjectType, &pool);
    add_components(k, out);
    return Result{OXIOS_OK, json::to_string(out)};
}

Result status(Kernel::Impl& k) {
    char buffer[16384];  // the whole document usually fits: no heap pool
    rapidjson::MemoryPoolAllocator<> pool(buffer, sizeof buffer);
    rapidjson::Document out(rapidjson::kObjectType, &pool);
    auto& a = out.GetAllocator();
    out.AddMember("version", json::str(k.options.host_version, a), a);
    add_components(k, out);
    out.AddMember("workspace", workspace_status(k, a), a);  // not in /api/status: the original's list
    const GitService::Health git = k.git->health();         // degraded when failing, never unready
    out.AddMember("git", health(git.healthy, git.detail, a), a);
    out.AddMember("plugins", plugins_status(k, a), a);
    rapidjson::Value gateway(rapidjson::kObjectType);
    gateway.AddMember("queue_depth", static_cast<uint64_t>(k.gateway.queue_depth()), a);
    gateway.AddMember("in_flight", static_cast<uint64_t>(k.gateway.in_flight()), a);
    out.AddMember("gateway", gateway, a);
    rapidjson::Value engine(rapidjson::kObjectType);
    engine.AddMember("name", json::str(k.gateway.engine_name(), a), a);
    engine.AddMember("default_model", json::str(k.config->get_string("engine.default_model"), a), a);
    k.engine->status(engine, a);
    out.AddMember("engine", engine, a);
    return Result{OXIOS_OK, json::to_string(out)};
}

void metric(std::string& out, const char* name, const char* type, const char* help, uint64_t value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
           std::to_string(value) + "\n";
}

Result metrics(Kernel::Impl& k) {
    std::string out;
    metric(out, "oxios_gateway_queue_depth", "gauge", "Chat messages waiting in the gateway queue.",
           k.gateway.queue_depth());
    metric(out, "oxios_gateway_in_flight", "gauge", "Chat messages being served.", k.gateway.in_flight());
    metric(out, "oxios_sessions", "gauge", "Sessions in the state store.", k.sessions.count());
    metric(out, "oxios_events_published_total", "counter", "Events published on the kernel bus.", k.bus.published());
    metric(out, "oxios_event_subscribers", "gauge", "Event bus subscriptions.", k.bus.subscriber_count());
    const auto counts = k.agents.counts();
    metric(out, "oxios_agents_active", "gauge", "Agents running.", counts.active);
    metric(out, "oxios_agents_completed_total", "counter", "Agents that completed.", counts.completed);
    metric(out, "oxios_agents_failed_total", "counter", "Agents that failed or were killed.", counts.failed);
    metric(out, "oxios_uptime_seconds", "gauge", "Seconds since the kernel started.", k.uptime_secs());
    const auto git = k.git->counters();
    metric(out, "oxios_git_commits_total", "counter", "Commits the host made in the workspace.", git.commits);
    metric(out, "oxios_git_commit_failures_total", "counter", "Batch commits that failed (retried).", git.failures);
    metric(out, "oxios_git_pending_changes", "gauge", "Changed paths waiting for the next commit.", git.pending);
    out += k.engine->metrics_text();
    Kernel::MetricsProvider provider;
    {
        std::lock_guard lock(k.providers_mutex);
        provider = k.http_metrics;
    }
    if (provider) {
        std::string more = provider();
        if (!more.empty() && more.back() != '\n') more.push_back('\n');
        out += more;
    }
    return Result{OXIOS_OK, out};
}

}  // namespace

void register_system_methods(ServiceRegistry& registry, Kernel::Impl& kernel) {
    registry.add("system.components", [&kernel](const rapidjson::Value&) { return components(kernel); });
    registry.add("system.status", [&kernel](const rapidjson::Value&) { return status(kernel); });
    registry.add("system.metrics", [&kernel](const rapidjson::Value&) { return metrics(kernel); });
}

}  // namespace oxios::kernel
