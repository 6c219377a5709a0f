// system.status (JSON) and system.metrics (Prometheus text).
#include "json_util.hpp"
#include "kernel_impl.hpp"

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
        if (auto doc = json::parse(provider()); doc && doc->IsObject()) return rapidjson::Value(*doc, a);
    }
    rapidjson::Value v(rapidjson::kObjectType);
    v.AddMember("loaded", rapidjson::Value(rapidjson::kArrayType), a);
    v.AddMember("reloads", 0, a);
    v.AddMember("failed_reloads", 0, a);
    v.AddMember("last_error", rapidjson::Value(rapidjson::kNullType), a);
    return v;
}

rapidjson::Value memory_status(Kernel::Impl& k, rapidjson::Document::AllocatorType& a) {
    rapidjson::Value v(rapidjson::kObjectType);
    uint64_t total = 0;
    bool enabled = false;
    if (k.registry.has("memory.list")) {
        rapidjson::Document in(rapidjson::kObjectType);
        in.AddMember("page", 1, in.GetAllocator());
        in.AddMember("limit", 1, in.GetAllocator());
        Result r = k.registry.call("memory.list", json::to_string(in));
        if (r.ok()) {
            enabled = true;
            if (auto doc = json::parse(r.body)) total = static_cast<uint64_t>(json::get_int(*doc, "total", 0));
        }
    }
    v.AddMember("enabled", enabled, a);
    v.AddMember("index_size", total, a);
    v.AddMember("total_entries", total, a);
    return v;
}

Result status(Kernel::Impl& k) {
    rapidjson::Document out(rapidjson::kObjectType);
    auto& a = out.GetAllocator();
    out.AddMember("version", json::str(k.options.host_version, a), a);
    out.AddMember("uptime_secs", k.uptime_secs(), a);
    std::string detail;
    const bool store_ok = k.sessions.healthy(detail);
    out.AddMember("state_store", health(store_ok, detail, a), a);
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
    metric(out, "oxios_events_published_total", "counter", "Events published on the kernel bus.",
           k.bus.published());
    metric(out, "oxios_event_subscribers", "gauge", "Event bus subscriptions.", k.bus.subscriber_count());
    const auto counts = k.agents.counts();
    metric(out, "oxios_agents_active", "gauge", "Agents running.", counts.active);
    metric(out, "oxios_agents_completed_total", "counter", "Agents that completed.", counts.completed);
    metric(out, "oxios_agents_failed_total", "counter", "Agents that failed or were killed.", counts.failed);
    metric(out, "oxios_uptime_seconds", "gauge", "Seconds since the kernel started.", k.uptime_secs());
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
    registry.add("system.status", [&kernel](const rapidjson::Value&) { return status(kernel); });
    registry.add("system.metrics", [&kernel](const rapidjson::Value&) { return metrics(kernel); });
}

}  // namespace oxios::kernel
