#include "plugins/route_metrics.hpp"

#include <sstream>

namespace oxios::plugins {

void RouteStats::record(int status, uint64_t micros) {
    int cls = status / 100 - 1;
    if (cls >= 0 && cls < 5) by_class[static_cast<size_t>(cls)].fetch_add(1, std::memory_order_relaxed);
    size_t b = 0;
    double secs = static_cast<double>(micros) / 1e6;
    while (b < kBuckets.size() && secs > kBuckets[b]) ++b;
    buckets[b].fetch_add(1, std::memory_order_relaxed);
    count.fetch_add(1, std::memory_order_relaxed);
    sum_us.fetch_add(micros, std::memory_order_relaxed);
}

std::shared_ptr<RouteStats> RouteMetrics::stats_for(const std::string& method, const std::string& pattern) {
    std::lock_guard lock(mutex_);
    auto& slot = stats_[method + " " + pattern];
    if (!slot) {
        slot = std::make_shared<RouteStats>();
        slot->method = method;
        slot->pattern = pattern;
    }
    return slot;
}

namespace {

std::string escape_label(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

void write_stats(std::ostringstream& o, const RouteStats& s) {
    std::string labels = "method=\"" + escape_label(s.method) + "\",route=\"" + escape_label(s.pattern) + "\"";
    static const char* classes[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    for (size_t i = 0; i < 5; ++i) {
        uint64_t n = s.by_class[i].load(std::memory_order_relaxed);
        if (n) o << "oxios_http_requests_total{" << labels << ",status=\"" << classes[i] << "\"} " << n << "\n";
    }
    uint64_t cumulative = 0;
    for (size_t b = 0; b < RouteStats::kBuckets.size(); ++b) {
        cumulative += s.buckets[b].load(std::memory_order_relaxed);
        o << "oxios_http_request_duration_seconds_bucket{" << labels << ",le=\"" << RouteStats::kBuckets[b] << "\"} "
          << cumulative << "\n";
    }
    cumulative += s.buckets.back().load(std::memory_order_relaxed);
    o << "oxios_http_request_duration_seconds_bucket{" << labels << ",le=\"+Inf\"} " << cumulative << "\n";
    o << "oxios_http_request_duration_seconds_sum{" << labels << "} "
      << static_cast<double>(s.sum_us.load(std::memory_order_relaxed)) / 1e6 << "\n";
    o << "oxios_http_request_duration_seconds_count{" << labels << "} " << s.count.load() << "\n";
}

}  // namespace

std::string RouteMetrics::prometheus() const {
    std::ostringstream o;
    o << "# HELP oxios_http_requests_total HTTP requests by route and status class.\n"
         "# TYPE oxios_http_requests_total counter\n"
         "# HELP oxios_http_request_duration_seconds HTTP request latency by route.\n"
         "# TYPE oxios_http_request_duration_seconds histogram\n";
    std::lock_guard lock(mutex_);
    for (auto& [key, s] : stats_)
        if (s->count.load()) write_stats(o, *s);
    if (unmatched_.count.load()) write_stats(o, unmatched_);
    return o.str();
}

}  // namespace oxios::plugins
