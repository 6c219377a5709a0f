// P8: holds N SSE subscribers (GET /api/events) and N WebSocket connections
// (GET /api/chat/stream, Boost.Beast, held only) on one host at once, samples the host's
// RSS from /proc, then publishes E events one at a time (a POST that makes
// the kernel publish, e.g. POST /api/memory) and times publish (the event's
// own "timestamp", stamped by the bus) -> delivered to every SSE subscriber.
//
//   oxios-bench-streams --port P --pid HOST_PID [--sse N] [--ws N] [--events E]
//                       [--sources K] [--threads T (SSE reader threads)]
//                       [--trigger-path /api/memory] [--trigger-body JSON]
//                       [--event-key memory_id (the event field that holds the id the trigger answers)]
// Connections come from K source addresses 127.0.0.1..K (ephemeral ports are
// per source address); the open-file limit is raised to its hard limit.
// Prints one line of key/value pairs.
#include <utility>  // before Boost 1.74 Asio: its awaitable.hpp uses std::exchange without it

#include <httplib.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "sse_fanout_reader.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

int64_t wall_us() {  // the bus stamps events with the system clock
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// "timestamp":"2026-01-02T03:04:05.123456Z" in an event's JSON -> unix us (0 if none).
int64_t event_stamp_us(std::string_view data) {
    const auto at = data.find("\"timestamp\":\"");
    if (at == std::string_view::npos) return 0;
    const std::string t(data.substr(at + 13, 27));
    std::tm tm{};
    long us = 0;
    if (std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%6ldZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                    &tm.tm_min, &tm.tm_sec, &us) != 7)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<int64_t>(::timegm(&tm)) * 1000000 + us;
}

// Opens a WebSocket client's socket and binds it to its source address.
bool bind_source(tcp::socket& sock, const asio::ip::address& source) {
    beast::error_code ec;
    sock.open(tcp::v4(), ec);
    return !ec && oxios_bench::bind_source(sock.native_handle(), htonl(source.to_v4().to_uint()));
}

struct Shared {
    std::atomic<long> ws_ok{0}, ws_failed{0}, ws_closed{0};
};

class WsClient : public std::enable_shared_from_this<WsClient> {
public:
    WsClient(asio::io_context& io, Shared& shared, tcp::endpoint ep, asio::ip::address source)
        : ws_(io), shared_(shared), ep_(ep), source_(source) {}
    void start() {
        auto self = shared_from_this();
        if (!bind_source(beast::get_lowest_layer(ws_).socket(), source_)) return shared_.ws_failed++, void();
        beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(30));
        beast::get_lowest_layer(ws_).async_connect(ep_, [self](beast::error_code ec) {
            if (ec) return self->shared_.ws_failed++, void();
            beast::get_lowest_layer(self->ws_).expires_never();
            self->ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
            self->ws_.async_handshake("127.0.0.1", "/api/chat/stream", [self](beast::error_code ec2) {
                if (ec2) return self->shared_.ws_failed++, void();
                self->shared_.ws_ok++;
                self->read();
            });
        });
    }

private:
    void read() {
        auto self = shared_from_this();
        ws_.async_read(buf_, [self](beast::error_code ec, size_t) {
            if (ec) return self->shared_.ws_closed++, void();
            self->buf_.consume(self->buf_.size());
            self->read();
        });
    }
    websocket::stream<beast::tcp_stream> ws_;
    Shared& shared_;
    tcp::endpoint ep_;
    asio::ip::address source_;
    beast::flat_buffer buf_;
};

long rss_kb(int pid) {
    std::ifstream st("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(st, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    return -1;
}

double cpu_ms(int pid) {  // the process's user + system CPU time so far
    std::ifstream st("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(st)), std::istreambuf_iterator<char>());
    const auto paren = text.rfind(')');
    if (paren == std::string::npos) return 0;
    std::istringstream rest(text.substr(paren + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i)
        if (i >= 14) ticks += std::strtod(field.c_str(), nullptr);  // utime, stime
    return ticks * 1000.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double own_cpu_ms() {  // this driver's user + system CPU time so far (every thread)
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    auto ms = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3;
    };
    return ms(ru.ru_utime) + ms(ru.ru_stime);
}

double pct(std::vector<double> v, double p) {
    if (v.empty()) return -1;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5))];
}

}  // namespace

int main(int argc, char** argv) {
    std::map<std::string, std::string> a;
    for (int i = 1; i + 1 < argc; i += 2) a[std::string(argv[i]).substr(2)] = argv[i + 1];
    auto num = [&](const char* k, long d) { return a.count(k) ? std::strtol(a[k].c_str(), nullptr, 10) : d; };
    const int port = static_cast<int>(num("port", 0));
    const int pid = static_cast<int>(num("pid", 0));
    const long n_sse = std::clamp<long>(num("sse", 1000), 0, 10000);
    const long n_ws = std::clamp<long>(num("ws", 1000), 0, 10000);
    const long events = std::clamp<long>(num("events", 100), 1, 1000);
    const long sources = std::clamp<long>(num("sources", 1), 1, 250);
    const long threads = std::clamp<long>(num("threads", 1), 1, 8);
    const std::string event_key = a.count("event-key") ? a["event-key"] : "memory_id";
    const std::string trigger_path = a.count("trigger-path") ? a["trigger-path"] : "/api/memory";
    const std::string trigger_body = a.count("trigger-body") ? a["trigger-body"] : R"({"content":"p8 event"})";
    if (port <= 0 || pid <= 0) {
        std::fprintf(stderr, "usage: oxios-bench-streams --port P --pid PID [--sse N] [--ws N] [--events E]\n");
        return 2;
    }
    // 20,000 sockets need more than the usual soft limit of 1,024.
    rlimit fds{};
    ::getrlimit(RLIMIT_NOFILE, &fds);
    fds.rlim_cur = fds.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &fds);
    ::getrlimit(RLIMIT_NOFILE, &fds);
    // The WebSocket side is only held (Beast, one thread); the SSE side is
    // read by `threads` lean reader threads.
    asio::io_context io;
    Shared shared;
    oxios_bench::SseFanoutReader sse(static_cast<int>(threads), event_stamp_us, wall_us, event_key);
    const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
    std::vector<std::shared_ptr<WsClient>> ws;
    const long rss_before = rss_kb(pid);
    // Connect in waves of 100, so that the listen backlog never overflows.
    auto work = asio::make_work_guard(io);
    std::thread io_thread([&] { io.run(); });
    sse.start();
    auto source = [](long i) { return asio::ip::address_v4(0x7f000001u + static_cast<uint32_t>(i)); };
    long sse_unset = 0;  // sockets that could not even be set up
    const auto t_connect = Clock::now();
    const auto connect_limit = std::chrono::seconds(60 + (n_sse + n_ws) / 200);  // all waves together
    for (long i = 0; i < std::max(n_sse, n_ws); ++i) {
        if (i < n_sse && !sse.add(htonl(source(i % sources).to_uint()), static_cast<uint16_t>(port))) ++sse_unset;
        if (i < n_ws) {
            ws.push_back(std::make_shared<WsClient>(io, shared, ep, source((i + 1) % sources)));
            asio::post(io, [c = ws.back()] { c->start(); });
        }
        if (i % 100 == 99) {
            const auto wave = Clock::now();
            while (sse.ok() + sse.failed() + sse_unset + shared.ws_ok + shared.ws_failed <
                       std::min(i + 1, n_sse) + std::min(i + 1, n_ws) &&
                   Clock::now() - wave < std::chrono::seconds(10) && Clock::now() - t_connect < connect_limit)
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }
    while (sse.ok() + sse.failed() + sse_unset + shared.ws_ok + shared.ws_failed < n_sse + n_ws &&
           Clock::now() - t_connect < connect_limit)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const double connect_s = std::chrono::duration<double>(Clock::now() - t_connect).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const long rss_held = rss_kb(pid);

    // Publish: one warm-up trigger tells how many messages one trigger makes.
    httplib::Client c("127.0.0.1", port);
    c.set_tcp_nodelay(true);
    c.set_keep_alive(true);
    c.set_read_timeout(10);
    long trigger_failed = 0;
    auto trigger = [&]() -> std::string {  // the "id" the POST answers (memory_id of its event), "" on failure
        auto r = c.Post(trigger_path.c_str(), trigger_body, "application/json");
        if (!r || r->status >= 300) {
            ++trigger_failed;
            return "";
        }
        const auto at = r->body.find("\"id\":\"");
        const auto end = at == std::string::npos ? at : r->body.find('"', at + 6);
        return end == std::string::npos ? "" : r->body.substr(at + 6, end - at - 6);
    };
    // The seq of the event that carries `key`, once every subscriber has it;
    // 0 if that does not happen within 5 s. Keyed by the trigger's own id, not
    // by arrival order: the host publishes events of its own too (a
    // workspace-history commit, git_committed, every ~140 memories), and a
    // loop that took the next id to arrive as its trigger's fell one event
    // behind at the first of them, timing from then on events published while
    // the previous one was still being fanned out (about twice the latency).
    auto delivered = [&](const std::string& key) -> uint64_t {
        const auto deadline = Clock::now() + std::chrono::seconds(5);
        for (;;) {
            const uint64_t seq = key.empty() ? 0 : sse.seq_of(key);
            if (seq > 0 && sse.all_done_ns(seq) > 0) return seq;
            if (Clock::now() >= deadline) return 0;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    };
    const int warmed = static_cast<int>(n_sse > 0 && delivered(trigger()) > 0);  // a first event came, not timed
    std::vector<double> all_ms, first_ms, trigger_ms;
    long missed = 0, unstamped = 0;
    const double cpu_before = cpu_ms(pid), own_before = own_cpu_ms();
    // One trigger at a time, each waited for at every subscriber before the
    // next. The readers stamp the times; this thread only polls, coarsely.
    for (long e = 1; warmed > 0 && e <= events; ++e) {
        const int64_t t0 = now_ns();
        const uint64_t m = delivered(trigger());
        if (m == 0) {
            ++missed;
            continue;
        }
        const int64_t stamp = sse.published_us(m);
        if (stamp > 0)
            all_ms.push_back(static_cast<double>(sse.all_done_us(m) - stamp) /
                             1e3);  // its stamp -> the last subscriber
        else
            ++unstamped;
        trigger_ms.push_back(static_cast<double>(sse.all_done_ns(m) - t0) / 1e6);
        first_ms.push_back(static_cast<double>(sse.first_ns(m) - t0) / 1e6);
    }
    const double cpu_per_event =
        trigger_ms.empty() ? -1 : (cpu_ms(pid) - cpu_before) / static_cast<double>(trigger_ms.size());
    const double own_per_event =
        trigger_ms.empty() ? -1 : (own_cpu_ms() - own_before) / static_cast<double>(trigger_ms.size());
    const long rss_after = rss_kb(pid);
    std::printf(
        "sse_ok %ld sse_failed %ld ws_ok %ld ws_failed %ld connect_s %.2f rss_before_kb %ld rss_held_kb %ld "
        "rss_after_kb %ld warmup_delivered %d events %zu missed %ld trigger_failed %ld p50_all_ms %.2f p99_all_ms %.2f "
        "p50_first_ms %.2f sse_closed %ld ws_closed %ld p99_trigger_ms %.2f unstamped %ld sources %ld fd_limit %ld "
        "host_cpu_ms_per_event %.1f driver_cpu_ms_per_event %.1f\n",
        sse.ok(), sse.failed() + sse_unset, shared.ws_ok.load(), shared.ws_failed.load(), connect_s, rss_before,
        rss_held, rss_after, warmed, trigger_ms.size(), missed, trigger_failed, pct(all_ms, 0.5), pct(all_ms, 0.99),
        pct(first_ms, 0.5), sse.closed(), shared.ws_closed.load(), pct(trigger_ms, 0.99), unstamped, sources,
        static_cast<long>(fds.rlim_cur), cpu_per_event, own_per_event);
    std::fflush(stdout);
    sse.stop();
    work.reset();
    io.stop();
    io_thread.join();
    return 0;
}
