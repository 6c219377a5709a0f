// oxios-bench-driver: the load and timing driver behind scripts/bench and
// scripts/reliability, for what curl and wrk cannot express. Every loop is
// bounded in count and in time. Subcommands (each prints key/value lines):
//
//   latency  (P3, P4, P5: latency.cpp)
//   reload   --port P --plugin-dir D --so-a A --ver-a VA --so-b B --ver-b VB --n N
//            [--pid PID --sample-at K --settle-ms MS]
//            Installs A/B alternately by rename; time until /health shows the
//            new version. With --pid, samples fds/threads/RSS after K and N.
//   chatload --port P --threads T --millis MS --sessions K --session-prefix SP
//            --tag TAG --log FILE
//            Continuous POST /api/chat; every 200 is appended to FILE as
//            "session_id<TAB>content" (one write per line, O_APPEND).
//   concurrent --port P --n N --session S
//            N clients POST /api/chat on session S at once.
//   loop     --port P --path PATH --stop-file F --max-seconds S
//            GET PATH in a loop until F exists; counts failures.
//   startup  --host-bin B --config C --plugins D --workspace W --n N [--base-bin BB --base-body F]
//            Host start -> /health/ready 200, per start; with --base-bin,
//            alternated with a bare server's start -> its first 200 (P9).
//   gen-sessions --dir D --count N --exchanges E --prefix P
//            Writes N session files (docs/api.md format) with E exchanges each.
#include "driver_common.hpp"

#include <httplib.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace oxios_bench;

namespace {

std::string json_escape(const std::string& s) {
    std::string o;
    for (char ch : s) {
        if (ch == '"' || ch == '\\') o += '\\';
        o += ch;
    }
    return o;
}

std::string rfc3339(std::chrono::system_clock::time_point tp) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(tp.time_since_epoch()).count();
    time_t secs = static_cast<time_t>(us / 1000000);
    struct tm tm {};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long>(us % 1000000));
    return buf;
}

// ----------------------------------------------------------------- reload ---
struct ProcSample {
    long fds = -1, threads = -1, rss_kb = -1;
};

ProcSample sample(int pid) {
    ProcSample s;
    const fs::path proc = "/proc/" + std::to_string(pid);
    std::error_code ec;
    long fds = 0;
    for (auto it = fs::directory_iterator(proc / "fd", ec); !ec && it != fs::directory_iterator(); it.increment(ec))
        ++fds;
    if (!ec) s.fds = fds;
    std::ifstream st(proc / "status");
    std::string line;
    while (std::getline(st, line)) {
        if (line.rfind("Threads:", 0) == 0) s.threads = std::strtol(line.c_str() + 8, nullptr, 10);
        if (line.rfind("VmRSS:", 0) == 0) s.rss_kb = std::strtol(line.c_str() + 6, nullptr, 10);
    }
    return s;
}

bool wait_version(httplib::Client& c, const std::string& version, double timeout_ms) {
    const std::string needle = "\"version\":\"" + version + "\"";
    const auto t0 = Clock::now();
    while (since_us(t0) < timeout_ms * 1000) {
        auto r = c.Get("/health");
        if (r && r->status == 200 && r->body.find(needle) != std::string::npos) return true;
        std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
    return false;
}

int cmd_reload(const Args& a) {
    const int port = static_cast<int>(a.num("port", 0));
    const fs::path dir = a.need("plugin-dir");
    const std::string so[2] = {a.need("so-a"), a.need("so-b")};
    const std::string ver[2] = {a.need("ver-a"), a.need("ver-b")};
    const long n = std::clamp<long>(a.num("n", 100), 1, 10'000);
    const int pid = static_cast<int>(a.num("pid", 0));
    const long sample_at = a.num("sample-at", 10);
    const long settle_ms = a.num("settle-ms", 500);
    const double max_seconds = static_cast<double>(a.num("max-seconds", 600));
    auto c = make_client(port, 5);
    if (!wait_version(*c, ver[0], 10000)) throw std::runtime_error("host does not answer version " + ver[0]);
    std::vector<double> lat;
    long timeouts = 0;
    ProcSample first, last;
    const auto start = Clock::now();
    long done = 0;
    for (long i = 1; i <= n; ++i) {
        const int next = static_cast<int>(i % 2);  // 1, 0, 1, ...
        const fs::path tmp = dir / ".web_plugin.so.bench-tmp";
        fs::copy_file(so[next], tmp, fs::copy_options::overwrite_existing);
        const auto t0 = Clock::now();
        fs::rename(tmp, dir / "web_plugin.so");
        if (wait_version(*c, ver[next], 10000))
            lat.push_back(since_us(t0) / 1000.0);
        else
            ++timeouts;
        done = i;
        if (pid > 0 && (i == sample_at || i == n)) {
            std::this_thread::sleep_for(std::chrono::milliseconds(settle_ms));
            (i == sample_at ? first : last) = sample(pid);
        }
        if (since_us(start) > max_seconds * 1e6) break;
    }
    std::printf("reloads %ld p50_ms %.2f p90_ms %.2f p99_ms %.2f max_ms %.2f timeouts %ld total_s %.2f\n", done,
                percentile(lat, 0.5), percentile(lat, 0.9), percentile(lat, 0.99), percentile(lat, 1.0), timeouts,
                since_us(start) / 1e6);
    if (pid > 0) {
        if (done < n) last = sample(pid);
        std::printf("sample_first fds %ld threads %ld rss_kb %ld\n", first.fds, first.threads, first.rss_kb);
        std::printf("sample_last fds %ld threads %ld rss_kb %ld\n", last.fds, last.threads, last.rss_kb);
    }
    return 0;
}

// --------------------------------------------------------------- chatload ---
int cmd_chatload(const Args& a) {
    const int port = static_cast<int>(a.num("port", 0));
    const long threads = std::clamp<long>(a.num("threads", 4), 1, 256);
    const double seconds = static_cast<double>(std::clamp<long>(a.num("millis", 5000), 1, 600'000)) / 1000.0;
    const long sessions = std::clamp<long>(a.num("sessions", 8), 1, 10'000);
    const std::string sprefix = a.get("session-prefix", "r1s");
    const std::string tag = a.get("tag", "x");
    const std::string log_path = a.need("log");
    int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) throw std::runtime_error("cannot open " + log_path);
    std::atomic<long> ok{0}, failed{0};
    const auto start = Clock::now();
    std::vector<std::thread> ts;
    for (long t = 0; t < threads; ++t) {
        ts.emplace_back([&, t] {
            auto c = make_client(port, 10);
            for (long i = 0; since_us(start) < seconds * 1e6; ++i) {
                const std::string sid = sprefix + std::to_string((t + i) % sessions);
                const std::string content = tag + "-t" + std::to_string(t) + "-n" + std::to_string(i);
                const std::string body =
                    "{\"content\":\"" + json_escape(content) + "\",\"session_id\":\"" + json_escape(sid) + "\"}";
                auto r = c->Post("/api/chat", body, "application/json");
                if (r && r->status == 200) {
                    const std::string line = sid + "\t" + content + "\n";
                    ssize_t w = ::write(log_fd, line.data(), line.size());
                    (void)w;
                    ++ok;
                } else {
                    ++failed;
                    if (!r) std::this_thread::sleep_for(std::chrono::milliseconds(5));  // host gone: don't spin
                }
            }
        });
    }
    for (auto& th : ts) th.join();
    ::close(log_fd);
    std::printf("acknowledged %ld failed %ld\n", ok.load(), failed.load());
    return 0;
}

// ------------------------------------------------------------- concurrent ---
int cmd_concurrent(const Args& a) {
    const int port = static_cast<int>(a.num("port", 0));
    const long n = std::clamp<long>(a.num("n", 100), 1, 1000);
    const std::string session = a.need("session");
    std::mutex m;
    std::condition_variable cv;
    long ready = 0;
    bool go = false;
    std::atomic<long> ok{0}, bad{0};
    std::vector<std::thread> ts;
    for (long i = 0; i < n; ++i) {
        ts.emplace_back([&, i] {
            auto c = make_client(port, 60);
            const std::string body = "{\"content\":\"concurrent-" + std::to_string(i) + "\",\"session_id\":\"" +
                                     json_escape(session) + "\"}";
            {
                std::unique_lock lock(m);
                ++ready;
                cv.notify_all();
                cv.wait_for(lock, std::chrono::seconds(30), [&] { return go; });
            }
            auto r = c->Post("/api/chat", body, "application/json");
            (r && r->status == 200 ? ok : bad)++;
        });
    }
    {
        std::unique_lock lock(m);
        cv.wait_for(lock, std::chrono::seconds(30), [&] { return ready == n; });
        go = true;
        cv.notify_all();
    }
    for (auto& th : ts) th.join();
    std::printf("ok %ld bad %ld\n", ok.load(), bad.load());
    return 0;
}

// ------------------------------------------------------------------- loop ---
int cmd_loop(const Args& a) {
    const int port = static_cast<int>(a.num("port", 0));
    const std::string path = a.get("path", "/health");
    const std::string stop_file = a.need("stop-file");
    const double max_seconds = static_cast<double>(std::clamp<long>(a.num("max-seconds", 60), 1, 3600));
    auto c = make_client(port, 10);
    long ok = 0, bad = 0;
    int last_bad = 0;
    const auto start = Clock::now();
    while (since_us(start) < max_seconds * 1e6 && !fs::exists(stop_file)) {
        auto r = c->Get(path.c_str());
        if (r && r->status == 200) {
            ++ok;
        } else {
            ++bad;
            last_bad = r ? r->status : -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::printf("ok %ld bad %ld last_bad_status %d\n", ok, bad, last_bad);
    return 0;
}

// ---------------------------------------------------------------- startup ---
// Starts argv, reads "listening on http://127.0.0.1:PORT" from its stdout,
// then GETs `ready_path` until 200; stops it. Milliseconds to listening and
// to ready (-1: never ready).
std::pair<double, double> time_start(const std::vector<std::string>& args, const std::string& ready_path) {
    std::vector<char*> argv;
    for (const auto& s : args) argv.push_back(const_cast<char*>(s.c_str()));
    argv.push_back(nullptr);
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    const auto t0 = Clock::now();
    const int pid = ::fork();
    if (pid == 0) {
        ::dup2(out[1], 1);
        int devnull = ::open("/dev/null", O_WRONLY);
        if (devnull >= 0) ::dup2(devnull, 2);
        ::execv(argv[0], argv.data());
        std::_Exit(127);
    }
    ::close(out[1]);
    std::string text;
    int port = 0;
    char buf[512];
    while (since_us(t0) < 20e6) {
        ssize_t r = ::read(out[0], buf, sizeof buf);
        if (r <= 0) break;
        text.append(buf, static_cast<size_t>(r));
        auto at = text.find("listening on http://");
        if (at != std::string::npos) {
            auto colon = text.find(':', at + 20);
            if (colon != std::string::npos && text.find_first_of(" \n", colon) != std::string::npos) {
                port = std::atoi(text.c_str() + colon + 1);
                break;
            }
        }
    }
    const double listen_ms = since_us(t0) / 1000.0;
    double ready_ms = -1;
    while (port > 0 && since_us(t0) < 20e6) {
        httplib::Client c("127.0.0.1", port);
        c.set_tcp_nodelay(true);
        c.set_connection_timeout(1);
        c.set_read_timeout(2);
        auto r = c.Get(ready_path.c_str());
        if (r && r->status == 200) {
            ready_ms = since_us(t0) / 1000.0;
            break;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    ::kill(pid, SIGTERM);
    int status = 0;
    const auto k0 = Clock::now();
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (since_us(k0) > 10e6) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ::close(out[0]);
    return {listen_ms, ready_ms};
}

int cmd_startup(const Args& a) {
    const std::vector<std::string> host = {a.need("host-bin"),  "--config",        a.need("config"),
                                           "--plugins",         a.need("plugins"), "--workspace",
                                           a.need("workspace"), "--port",          "0"};
    // --base-bin B --base-body F: the baseline started alternately with the
    // host: a bare cpp-httplib server (oxios-bench-bare) answering F.
    const std::string base_bin = a.get("base-bin");
    const std::vector<std::string> base = {base_bin, a.get("base-body"), "application/json", "8"};
    const long n = std::clamp<long>(a.num("n", 10), 1, 100);
    std::vector<double> to_ready, to_listen, base_ready;
    for (long i = 0; i < n; ++i) {
        const auto [listen_ms, ready_ms] = time_start(host, "/health/ready");
        to_listen.push_back(listen_ms);
        if (ready_ms >= 0) to_ready.push_back(ready_ms);
        if (base_bin.empty()) continue;
        const auto [base_listen, base_ms] = time_start(base, "/api/status");
        (void)base_listen;
        if (base_ms >= 0) base_ready.push_back(base_ms);
    }
    std::printf("starts %ld ready %zu p50_ms %.2f max_ms %.2f listen_p50_ms %.2f base_ready %zu base_p50_ms %.2f\n", n,
                to_ready.size(), percentile(to_ready, 0.5), percentile(to_ready, 1.0), percentile(to_listen, 0.5),
                base_ready.size(), percentile(base_ready, 0.5));
    return 0;
}

// ----------------------------------------------------------- gen-sessions ---
int cmd_gen_sessions(const Args& a) {
    const fs::path dir = a.need("dir");
    const long count = std::clamp<long>(a.num("count", 1), 1, 100'000);
    const long exchanges = std::clamp<long>(a.num("exchanges", 1), 0, 1'000'000);
    const std::string prefix = a.get("prefix", "s");
    fs::create_directories(dir);
    const auto now = std::chrono::system_clock::now();
    for (long i = 0; i < count; ++i) {
        const std::string id = count == 1 ? prefix : prefix + std::to_string(i);
        // Distinct, recent timestamps (well inside any TTL), oldest first.
        const auto updated = now - std::chrono::seconds(count - i);
        const auto created = updated - std::chrono::seconds(1);
        const std::string ts = rfc3339(updated), cs = rfc3339(created);
        std::string users, agents;
        users.reserve(static_cast<size_t>(exchanges) * 80);
        agents.reserve(static_cast<size_t>(exchanges) * 200);
        for (long e = 0; e < exchanges; ++e) {
            if (e) {
                users += ',';
                agents += ',';
            }
            const std::string msg = "preloaded message " + std::to_string(e);
            users += "{\"content\":\"" + msg + "\",\"timestamp\":\"" + cs + "\"}";
            agents += "{\"content\":\"echo: " + msg + "\",\"session_id\":\"" + id +
                      "\",\"seed_id\":null,\"phase_reached\":\"execute\",\"evaluation_passed\":true,\"timestamp\":\"" +
                      ts + "\"}";
        }
        const std::string doc = "{\"id\":\"" + id + "\",\"user_id\":\"default\",\"user_messages\":[" + users +
                                "],\"agent_responses\":[" + agents + "],\"created_at\":\"" + cs +
                                "\",\"updated_at\":\"" + ts + "\",\"active_seed_id\":null,\"metadata\":{}}";
        std::ofstream(dir / (id + ".json"), std::ios::binary) << doc;
    }
    std::printf("generated %ld sessions with %ld exchanges each\n", count, exchanges);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr,
                     "usage: oxios-bench-driver latency|reload|chatload|concurrent|loop|startup|gen-sessions "
                     "--key value ...\n");
        return 2;
    }
    ::signal(SIGPIPE, SIG_IGN);
    const std::string cmd = argv[1];
    try {
        const Args a = parse(argc, argv, 2);
        if (cmd == "latency") return cmd_latency(a);
        if (cmd == "reload") return cmd_reload(a);
        if (cmd == "chatload") return cmd_chatload(a);
        if (cmd == "concurrent") return cmd_concurrent(a);
        if (cmd == "loop") return cmd_loop(a);
        if (cmd == "startup") return cmd_startup(a);
        if (cmd == "gen-sessions") return cmd_gen_sessions(a);
        std::fprintf(stderr, "oxios-bench-driver: unknown command %s\n", cmd.c_str());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "oxios-bench-driver %s: %s\n", cmd.c_str(), e.what());
        return 1;
    }
}
