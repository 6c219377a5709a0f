// Shared by the parts of oxios-bench-driver (driver.cpp, latency.cpp):
// arguments, percentiles, timing, keep-alive clients.
#pragma once

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace oxios_bench {

using Clock = std::chrono::steady_clock;

// ------------------------------------------------------------------ args ---
struct Args {
    std::multimap<std::string, std::string> kv;
    std::string get(const std::string& k, const std::string& def = "") const {
        auto it = kv.find(k);
        return it == kv.end() ? def : it->second;
    }
    long num(const std::string& k, long def) const {
        auto it = kv.find(k);
        return it == kv.end() ? def : std::strtol(it->second.c_str(), nullptr, 10);
    }
    std::vector<std::string> all(const std::string& k) const {
        std::vector<std::string> out;
        auto range = kv.equal_range(k);
        for (auto it = range.first; it != range.second; ++it) out.push_back(it->second);
        return out;
    }
    std::string need(const std::string& k) const {
        auto it = kv.find(k);
        if (it == kv.end()) throw std::runtime_error("missing --" + k);
        return it->second;
    }
};

inline Args parse(int argc, char** argv, int from) {
    Args a;
    for (int i = from; i < argc; ++i) {
        std::string k = argv[i];
        if (k.rfind("--", 0) != 0 || i + 1 >= argc) throw std::runtime_error("bad argument " + k);
        a.kv.emplace(k.substr(2), argv[++i]);
    }
    return a;
}

// ---------------------------------------------------------------- helpers ---
inline double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    size_t idx = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(idx, v.size() - 1)];
}

inline double since_us(Clock::time_point t0) {
    return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

inline std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline std::unique_ptr<httplib::Client> make_client(int port, time_t read_timeout = 30) {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);  // else the client's head/body writes meet Nagle + delayed ACK (40 ms)
    c->set_connection_timeout(2);
    c->set_read_timeout(read_timeout);
    c->set_write_timeout(10);
    return c;
}

// The subcommands of latency.cpp.
int cmd_latency(const Args& a);

}  // namespace oxios_bench
