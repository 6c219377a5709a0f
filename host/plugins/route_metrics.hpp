// Request counts and latency histograms per route, kept across reloads, in
// Prometheus text format for /metrics.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace oxios::plugins {

struct RouteStats {
    static constexpr std::array<double, 10> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5};
    std::string method, pattern;
    std::array<std::atomic<uint64_t>, 5> by_class{};                   // 1xx..5xx
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};  // last = +Inf
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_us{0};

    void record(int status, uint64_t micros);
};

class RouteMetrics {
public:
    RouteMetrics() {
        unmatched_.method = "*";
        unmatched_.pattern = "(unmatched)";
    }
    // The stats of a route, created on first use and kept across reloads.
    std::shared_ptr<RouteStats> stats_for(const std::string& method, const std::string& pattern);
    // Requests that matched no route (404/405).
    RouteStats& unmatched() { return unmatched_; }
    std::string prometheus() const;

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<RouteStats>> stats_;
    RouteStats unmatched_;
};

}  // namespace oxios::plugins
