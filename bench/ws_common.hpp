// Shared by the WebSocket drivers of scripts/bench and scripts/reliability
// (oxios-bench-ws, oxios-bench-e1): arguments, percentiles, the chat frame,
// and the io thread that runs every Boost.Beast client.
#pragma once

#include <utility>  // before Boost 1.74 Asio: its awaitable.hpp uses std::exchange without it

#include <httplib.h>

#include <rapidjson/document.h>
#include <boost/asio.hpp>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <future>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace oxios_bench {

// ------------------------------------------------------------------ args ---
struct Args {
    std::map<std::string, std::string> kv;
    long num(const std::string& k, long def) const {
        auto it = kv.find(k);
        return it == kv.end() ? def : std::strtol(it->second.c_str(), nullptr, 10);
    }
    std::string get(const std::string& k, const std::string& def = "") const {
        auto it = kv.find(k);
        return it == kv.end() ? def : it->second;
    }
    std::string need(const std::string& k) const {
        auto it = kv.find(k);
        if (it == kv.end()) throw std::runtime_error("missing --" + k);
        return it->second;
    }
};

inline Args parse_args(int argc, char** argv, int from) {
    Args a;
    for (int i = from; i < argc; ++i) {
        std::string k = argv[i];
        if (k.rfind("--", 0) != 0 || i + 1 >= argc) throw std::runtime_error("bad argument " + k);
        a.kv[k.substr(2)] = argv[++i];
    }
    return a;
}

inline double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5))];
}

inline std::string sfield(const rapidjson::Value& v, const char* key) {
    if (!v.IsObject()) return {};
    auto it = v.FindMember(key);
    if (it == v.MemberEnd() || !it->value.IsString()) return {};
    return {it->value.GetString(), it->value.GetStringLength()};
}

// Contents and session ids here are [A-Za-z0-9_;-]: no JSON escaping needed.
inline std::string chat_frame(const std::string& content, const std::string& session) {
    return R"({"type":"message","content":")" + content + R"(","session_id":")" + session + "\"}";
}

inline std::unique_ptr<httplib::Client> http_client(int port, time_t read_timeout) {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);
    c->set_connection_timeout(2);
    c->set_read_timeout(read_timeout);
    c->set_write_timeout(10);
    return c;
}

// Waits for pred() (evaluated on the calling thread) up to `limit`.
template <class Pred>
inline bool wait_until(Pred pred, std::chrono::milliseconds limit) {
    const auto until = Clock::now() + limit;
    while (!pred()) {
        if (Clock::now() >= until) return pred();
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

// --------------------------------------------------------- io plumbing ---
class IoThread {
public:
    IoThread() : work_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
    ~IoThread() { stop(); }
    asio::io_context& io() { return io_; }
    // Runs f on the io thread and waits for it.
    template <class F>
    void run(F f) {
        std::promise<void> p;
        auto done = p.get_future();
        asio::post(io_, [&] {
            f();
            p.set_value();
        });
        done.wait();
    }
    void stop() {
        if (!thread_.joinable()) return;
        work_.reset();
        io_.stop();
        thread_.join();
    }

private:
    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    std::thread thread_;
};

// CLOCK_MONOTONIC in ns: the clock the fake provider logs its send times in.
inline int64_t mono_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace oxios_bench
