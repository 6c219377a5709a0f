// resources.current / history / overload (abi/METHODS.md; docs/api-operator.md, "Resources"): the
// sampler's ring as JSON. Every figure is a finite number (the UI formats
// them with toFixed).
#include "infra/clock.hpp"
#include "infra/json_util.hpp"
#include "services/resource_sampler.hpp"
#include "services/service_registry.hpp"

#include <memory>

namespace oxios::kernel {
namespace {

using services::ResourceSample;

constexpr int64_t kDefaultLastN = 30;

void write_sample(json::Builder& b, const ResourceSample& s) {
    b.begin_object()
        .field("timestamp", clock::format_rfc3339(s.timestamp_us))
        .field("cpu_percent", s.cpu_percent)
        .field("memory_percent", s.memory_percent)
        .field("disk_percent", s.disk_percent)
        .field("memory_used_mb", s.memory_used_mb)
        .field("memory_total_mb", s.memory_total_mb)
        .field("disk_used_gb", s.disk_used_gb)
        .field("disk_total_gb", s.disk_total_gb)
        .field("load_avg_1m", s.load_avg_1m)
        .field("active_agents", s.active_agents)
        .field("pending_tasks", s.pending_tasks)
        .field("total_token_usage", s.total_token_usage)
        .end_object();
}

}  // namespace

void register_resources_service(ServiceRegistry& registry, const ServiceContext& ctx,
                                services::ResourceSources sources) {
    if (sources.disk_path.empty()) sources.disk_path = ctx.workspace;
    if (!sources.now_us) sources.now_us = ctx.now_us;
    if (!sources.publish && ctx.publish)
        sources.publish = [publish = ctx.publish](std::string_view type, std::string_view fields) {
            publish(type, fields);
        };
    auto sampler = std::make_shared<services::ResourceSampler>(std::move(sources));

    registry.add("resources.current", [sampler](const rapidjson::Value&) {
        json::Builder out;
        write_sample(out, sampler->current());
        return out.result();
    });
    registry.add("resources.history", [sampler](const rapidjson::Value& in) {
        const auto snapshots = sampler->history(json::opt_int(in, "last_n").value_or(kDefaultLastN));
        json::Builder out;
        out.begin_object().key("snapshots").begin_array();
        for (const auto& s : snapshots) write_sample(out, s);
        out.end_array().field("count", snapshots.size()).end_object();
        return out.result();
    });
    registry.add("resources.overload", [sampler](const rapidjson::Value&) {
        const auto [state, sample] = sampler->overload();
        json::Builder out;
        out.begin_object()
            .field("overloaded", state.overloaded)
            .field("reasons", state.reasons)
            .key("threshold")
            .begin_object()
            .field("cpu_percent", state.cpu_percent)
            .field("memory_percent", state.memory_percent)
            .field("disk_percent", state.disk_percent)
            .field("load_avg", state.load_avg)
            .end_object()
            .key("current");
        write_sample(out, sample);
        out.end_object();
        return out.result();
    });
    registry.on_stop([sampler] { sampler->stop(); });
    sampler->start();
}

}  // namespace oxios::kernel
