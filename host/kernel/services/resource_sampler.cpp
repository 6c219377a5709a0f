#include "services/resource_sampler.hpp"

#include "infra/clock.hpp"
#include "infra/json_util.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace oxios::kernel::services {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiB = kMiB * 1024.0;
enum Source : unsigned { kStat = 1, kMeminfo = 2, kLoadavg = 4, kDisk = 8 };

double finite_or_zero(double v) { return std::isfinite(v) ? v : 0; }

std::string reason(const char* name, double value, double threshold) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s %.1f > %g", name, value, threshold);
    return buf;
}

}  // namespace

ResourceSampler::ResourceSampler(ResourceSources sources) : src_(std::move(sources)) {
    if (!src_.now_us) src_.now_us = clock::now_us;
    if (src_.online_cpus == 0) {
        const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
        src_.online_cpus = n > 0 ? static_cast<unsigned>(n) : 1;
    }
}

ResourceSampler::~ResourceSampler() { stop(); }

ResourceSettings ResourceSampler::settings() const {
    ResourceSettings s = src_.settings ? src_.settings() : ResourceSettings{};
    s.sample_interval_secs = std::clamp<int64_t>(s.sample_interval_secs, 1, 3600);
    s.history_size = std::clamp<int64_t>(s.history_size, 1, 100'000);
    if (s.overload_load_avg <= 0) s.overload_load_avg = 2.0 * src_.online_cpus;
    return s;
}

void ResourceSampler::unreadable(int source, std::string_view what) {
    if ((logged_ & static_cast<unsigned>(source)) != 0) return;  // logged once per source
    logged_ |= static_cast<unsigned>(source);
    const std::string line = "[warn] resources: cannot read " + std::string(what) + ": its figures are 0";
    if (src_.log)
        src_.log(line);
    else
        std::fprintf(stderr, "%s\n", line.c_str());
}

OverloadState ResourceSampler::judge(const ResourceSample& s, const ResourceSettings& limits) const {
    OverloadState o;
    o.cpu_percent = limits.overload_cpu_percent;
    o.memory_percent = limits.overload_memory_percent;
    o.disk_percent = limits.overload_disk_percent;
    o.load_avg = limits.overload_load_avg;
    if (s.cpu_percent > o.cpu_percent) o.reasons.push_back(reason("cpu_percent", s.cpu_percent, o.cpu_percent));
    if (s.memory_percent > o.memory_percent)
        o.reasons.push_back(reason("memory_percent", s.memory_percent, o.memory_percent));
    if (s.disk_percent > o.disk_percent) o.reasons.push_back(reason("disk_percent", s.disk_percent, o.disk_percent));
    if (s.load_avg_1m > o.load_avg) o.reasons.push_back(reason("load_avg_1m", s.load_avg_1m, o.load_avg));
    o.overloaded = !o.reasons.empty();
    return o;
}

ResourceSample ResourceSampler::sample_now() {
    const ResourceSettings limits = settings();
    std::lock_guard lock(sample_mutex_);
    ResourceSample s;
    s.timestamp_us = src_.now_us();

    const auto stat = proc::read(src_.proc_root, "stat");
    const auto cpu = stat ? proc::parse_stat(*stat) : std::nullopt;
    if (cpu) {
        s.cpu_percent = proc::cpu_percent(last_cpu_, *cpu);
        last_cpu_ = *cpu;
    } else {
        unreadable(kStat, src_.proc_root + "/stat");
    }
    const auto meminfo = proc::read(src_.proc_root, "meminfo");
    if (const auto mem = meminfo ? proc::parse_meminfo(*meminfo) : std::nullopt) {
        const double used = static_cast<double>(mem->total - mem->available);
        s.memory_percent = std::clamp(100.0 * used / static_cast<double>(mem->total), 0.0, 100.0);
        s.memory_used_mb = used / kMiB;
        s.memory_total_mb = static_cast<double>(mem->total) / kMiB;
    } else {
        unreadable(kMeminfo, src_.proc_root + "/meminfo");
    }
    const auto loadavg = proc::read(src_.proc_root, "loadavg");
    if (const auto load = loadavg ? proc::parse_loadavg(*loadavg) : std::nullopt) {
        s.load_avg_1m = *load;
    } else {
        unreadable(kLoadavg, src_.proc_root + "/loadavg");
    }
    if (const auto disk = proc::disk_usage(src_.disk_path)) {
        s.disk_percent = disk->percent();
        s.disk_used_gb = static_cast<double>(disk->used) / kGiB;
        s.disk_total_gb = static_cast<double>(disk->size) / kGiB;
    } else {
        unreadable(kDisk, "the file system of " + src_.disk_path);
    }
    for (double* v : {&s.cpu_percent, &s.memory_percent, &s.disk_percent, &s.memory_used_mb, &s.memory_total_mb,
                      &s.disk_used_gb, &s.disk_total_gb, &s.load_avg_1m})
        *v = finite_or_zero(*v);
    s.active_agents = src_.active_agents ? src_.active_agents() : 0;
    s.pending_tasks = src_.pending_tasks ? src_.pending_tasks() : 0;
    s.total_token_usage = src_.total_tokens ? src_.total_tokens() : 0;

    {
        std::lock_guard ring_lock(ring_mutex_);
        ring_.push_back(s);
        while (ring_.size() > static_cast<size_t>(limits.history_size)) ring_.pop_front();
    }

    // Under sample_mutex_: transitions are published in the order they happen.
    const OverloadState state = judge(s, limits);
    if (state.overloaded != overloaded_) {
        overloaded_ = state.overloaded;
        if (src_.publish) {
            json::Builder f;
            f.begin_object()
                .field("cpu_percent", s.cpu_percent)
                .field("memory_percent", s.memory_percent)
                .field("disk_percent", s.disk_percent)
                .field("load_avg_1m", s.load_avg_1m)
                .field("reasons", state.reasons)
                .end_object();
            src_.publish(overloaded_ ? "resources_overloaded" : "resources_recovered", f.str());
        }
    }
    return s;
}

ResourceSample ResourceSampler::current() {
    {
        std::lock_guard lock(ring_mutex_);
        if (!ring_.empty()) return ring_.back();
    }
    return sample_now();
}

std::vector<ResourceSample> ResourceSampler::history(int64_t last_n) {
    const int64_t cap = settings().history_size;
    const size_t n = static_cast<size_t>(std::clamp<int64_t>(last_n, 1, cap));
    {
        std::lock_guard lock(ring_mutex_);
        if (!ring_.empty()) {
            const size_t take = std::min(n, ring_.size());
            return std::vector<ResourceSample>(ring_.end() - static_cast<std::ptrdiff_t>(take), ring_.end());
        }
    }
    return {sample_now()};
}

std::pair<OverloadState, ResourceSample> ResourceSampler::overload() {
    ResourceSample s = current();
    return {judge(s, settings()), s};
}

void ResourceSampler::start() {
    std::lock_guard lock(stop_mutex_);
    if (thread_.joinable() || stopping_) return;
    thread_ = std::thread([this] { run(); });
}

void ResourceSampler::stop() {
    std::thread thread;
    {
        std::lock_guard lock(stop_mutex_);
        stopping_ = true;
        thread = std::move(thread_);  // joined by one caller only
    }
    stop_cv_.notify_all();
    if (thread.joinable()) thread.join();
}

void ResourceSampler::run() {
    using namespace std::chrono;
    std::unique_lock lock(stop_mutex_);
    auto next = steady_clock::now() + seconds(1);
    for (;;) {
        if (stop_cv_.wait_until(lock, next, [this] { return stopping_; })) return;
        lock.unlock();
        sample_now();
        const auto interval = seconds(settings().sample_interval_secs);
        lock.lock();
        next = steady_clock::now() + interval;
    }
}

}  // namespace oxios::kernel::services
