// The resources service's sampler (docs/api-operator.md, "Resources"): a thread that samples CPU,
// memory, disk and load every resources.sample_interval_secs (the first
// one 1 s after start) into an unpersisted ring of resources.history_size,
// and publishes resources_overloaded / resources_recovered on each
// transition of the overload state.
#pragma once

#include "services/proc_stats.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace oxios::kernel::services {

// The live resources.* config.
struct ResourceSettings {
    int64_t sample_interval_secs = 5;
    int64_t history_size = 720;
    double overload_cpu_percent = 90, overload_memory_percent = 90, overload_disk_percent = 95;
    double overload_load_avg = 0;  // 0 = 2 × online CPUs
};

struct ResourceSample {
    int64_t timestamp_us = 0;
    double cpu_percent = 0, memory_percent = 0, disk_percent = 0;
    double memory_used_mb = 0, memory_total_mb = 0, disk_used_gb = 0, disk_total_gb = 0;
    double load_avg_1m = 0;
    uint64_t active_agents = 0, pending_tasks = 0, total_token_usage = 0;
};

// What the sampler reads. Every function may be empty (its figure is 0).
struct ResourceSources {
    std::string proc_root = "/proc";
    std::string disk_path;  // statvfs of it (the workspace)
    std::function<ResourceSettings()> settings;
    std::function<uint64_t()> active_agents, pending_tasks, total_tokens;
    std::function<int64_t()> now_us;
    std::function<void(std::string_view type, std::string_view fields_json)> publish;
    std::function<void(std::string_view line)> log;  // default: stderr
    unsigned online_cpus = 0;                        // 0 = sysconf(_SC_NPROCESSORS_ONLN)
};

struct OverloadState {
    bool overloaded = false;
    std::vector<std::string> reasons;                                            // "cpu_percent 95.2 > 90"
    double cpu_percent = 0, memory_percent = 0, disk_percent = 0, load_avg = 0;  // thresholds in force
};

class ResourceSampler {
public:
    explicit ResourceSampler(ResourceSources sources);
    ~ResourceSampler();  // stop()
    ResourceSampler(const ResourceSampler&) = delete;
    ResourceSampler& operator=(const ResourceSampler&) = delete;

    void start();  // the sampling thread; once
    void stop();   // wakes and joins it; idempotent

    // Takes a sample now: into the ring, overload transitions published.
    ResourceSample sample_now();
    // The newest sample (sampled on the spot when there is none yet).
    ResourceSample current();
    // The newest `last_n` (clamped to 1..history_size), oldest first; never empty.
    std::vector<ResourceSample> history(int64_t last_n);
    // The newest sample against the thresholds in force now.
    std::pair<OverloadState, ResourceSample> overload();

private:
    ResourceSettings settings() const;
    OverloadState judge(const ResourceSample& s, const ResourceSettings& limits) const;
    void unreadable(int source, std::string_view what);
    void run();

    ResourceSources src_;
    std::mutex sample_mutex_;  // one sample at a time (CPU deltas, transitions)
    proc::CpuTimes last_cpu_;  // since boot before the first sample
    bool overloaded_ = false;
    unsigned logged_ = 0;  // bit per source already reported unreadable

    mutable std::mutex ring_mutex_;
    std::deque<ResourceSample> ring_;

    std::mutex stop_mutex_;
    std::condition_variable stop_cv_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace oxios::kernel::services
