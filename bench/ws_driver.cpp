// oxios-bench-ws: the WebSocket chat and SSE driver behind scripts/reliability
// (R2's WS half, R8, R10). One io_context on one thread runs every WebSocket
// (Boost.Beast) and SSE (raw socket) client; plain HTTP (POST /api/chat,
// /health while reloading) runs on a few threads of its own with cpp-httplib.
// Every phase is bounded in count and in time; the driver stops by itself.
//
//   r2        --port P --session S --post N --ws N --sockets K --log FILE [--max-seconds S]
//             N POSTs and N WS messages (over K sockets) on one session id, all
//             released at once.
//   isolation --port P --sockets N --messages M [--window W] [--sessions K] --log FILE [--max-seconds S]
//             N sockets each send M unique messages (W in flight at a time,
//             default all M); sockets share K session ids (default 4), so a
//             reply routed by session instead of by connection shows up.
//   reload    --port P --ws N --sse N --reloads R --plugin-dir D --so-a A --ver-a VA --so-b B --ver-b VB
//             --log FILE [--window W] [--gap-ms G] [--hold-ms H] [--max-seconds S] [--stream-tokens T]
//             N sockets chat continuously (W messages in flight each, own
//             session each) and N SSE clients listen while R reloads run
//             (install A/B alternately by rename, wait until /health shows
//             the new version, then G ms more); H ms of chat before the first.
//             --stream-tokens T: the host's engine is fake-openai --echo
//             --tokens T; every reply's token frames are checked token by
//             token (check_stream: duplicated, missing, inexact), and each
//             reload counts the replies that were mid-stream when it started.
//   selftest  --stream-tokens T
//             feeds check_stream replies with a token repeated, one missing,
//             the whole reply sent again after its stream: each must be caught.
// (E1, the engine job, is oxios-bench-e1: e1_driver.cpp.)
//
// How replies are attributed: the server assigns the message id, so a socket
// learns it from the token frame, whose content is "echo: <what was sent>"
// (the echo engine). A done frame is that socket's answer when its id's tokens
// spell one of this socket's own contents (and its session_id is the one sent);
// anything else delivered to the socket (a done for an unknown id, a token
// whose text is not this socket's, tokens never followed by a done) is a
// reply delivered to the wrong connection.
// With --stream-tokens the reply starts with "<what was sent> " instead.
// --log FILE gets "session_id<TAB>content" per acknowledged exchange (WS done,
// POST 200) for bench/check_sessions.py (with --stream-tokens, "<TAB>reply
// text received" too). Prints one line of key/value pairs;
// with OXIOS_WS_DRIVER_VERBOSE set, reload also lists each stream's first SSE
// anomalies and the ids of the plugin_reloaded events on stderr.
#include <utility>  // before Boost 1.74 Asio: its awaitable.hpp uses std::exchange without it

#include "sse_listener.hpp"
#include "ws_chat_client.hpp"
#include "ws_common.hpp"

#include <httplib.h>

#include <boost/asio.hpp>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using namespace oxios_bench;

namespace {

void close_all(IoThread& io, const std::vector<std::shared_ptr<WsChat>>& ws,
               const std::vector<std::shared_ptr<SseListener>>& sse) {
    io.run([&] {
        for (auto& c : ws) c->close();
        for (auto& s : sse) s->close();
    });
    std::this_thread::sleep_for(300ms);  // let the close handshakes run
}

// ---------------------------------------------------------------------- r2 ---
int cmd_r2(const Args& a) {
    const int port = static_cast<int>(a.num("port", 0));
    const std::string session = a.need("session");
    const long n_post = std::clamp<long>(a.num("post", 50), 0, 1000);
    const long n_ws = std::clamp<long>(a.num("ws", 50), 0, 10000);
    const long sockets = std::clamp<long>(a.num("sockets", 5), 1, std::max(1L, n_ws));
    const auto limit = std::chrono::seconds(std::clamp<long>(a.num("max-seconds", 120), 5, 3600));
    const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
    const auto t0 = Clock::now();

    Progress pr;
    IoThread io;
    std::vector<WsChat::Config> cfgs;
    for (long s = 0; s < sockets && n_ws > 0; ++s) {
        const long share = n_ws / sockets + (s < n_ws % sockets ? 1 : 0);
        cfgs.push_back({session, "r2-ws-s" + std::to_string(s), share, share});
    }
    auto ws = open_sockets(io, pr, ep, cfgs, false);

    // POST clients, connected first, then all released together with the sockets.
    std::mutex m;
    std::condition_variable cv;
    long ready = 0;
    bool go = false;
    std::atomic<long> post_ok{0}, post_bad{0};
    std::vector<std::pair<std::string, std::string>> post_acks;
    std::vector<std::thread> posters;
    for (long i = 0; i < n_post; ++i) {
        posters.emplace_back([&, i] {
            auto c = http_client(port, 60);
            const std::string content = "r2-post-" + std::to_string(i) + ";";
            const std::string body = R"({"content":")" + content + R"(","session_id":")" + session + "\"}";
            {
                std::unique_lock lock(m);
                ++ready;
                cv.notify_all();
                cv.wait_for(lock, 30s, [&] { return go; });
            }
            auto r = c->Post("/api/chat", body, "application/json");
            if (r && r->status == 200) {
                post_ok++;
                std::lock_guard lock(m);
                post_acks.emplace_back(session, content);
            } else {
                post_bad++;
                std::fprintf(stderr, "r2: POST %s -> %d\n", content.c_str(), r ? r->status : -1);
            }
        });
    }
    {
        std::unique_lock lock(m);
        cv.wait_for(lock, 30s, [&] { return ready == n_post; });
        go = true;
    }
    cv.notify_all();
    asio::post(io.io(), [&ws] {
        for (auto& c : ws) c->start_sending();
    });
    for (auto& t : posters) t.join();
    std::this_thread::sleep_for(50ms);
    wait_until([&] { return pr.in_flight.load() <= 0; },
               std::chrono::duration_cast<std::chrono::milliseconds>(limit - (Clock::now() - t0)));
    close_all(io, ws, {});
    io.stop();
    const auto t = ws_totals(ws);
    write_log(a.get("log"), ws, post_acks);
    std::printf("post_ok %ld post_bad %ld ", post_ok.load(), post_bad.load());
    print_ws(t);
    std::printf(" seconds %.2f\n", std::chrono::duration<double>(Clock::now() - t0).count());
    if (!t.first_close.empty()) std::fprintf(stderr, "r2: first closed socket: %s\n", t.first_close.c_str());
    return 0;
}

// --------------------------------------------------------------- isolation ---
int cmd_isolation(const Args& a) {
    const int port = static_cast<int>(a.num("port", 0));
    const long sockets = std::clamp<long>(a.num("sockets", 20), 1, 1000);
    const long messages = std::clamp<long>(a.num("messages", 50), 1, 10000);
    const long window = std::clamp<long>(a.num("window", messages), 1, messages);
    const long sessions = std::clamp<long>(a.num("sessions", 4), 1, sockets);
    const std::string prefix = a.get("prefix", "r8");
    const auto limit = std::chrono::seconds(std::clamp<long>(a.num("max-seconds", 120), 5, 3600));
    const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
    const auto t0 = Clock::now();

    Progress pr;
    IoThread io;
    std::vector<WsChat::Config> cfgs;
    for (long s = 0; s < sockets; ++s)
        cfgs.push_back(
            {prefix + "-sess" + std::to_string(s % sessions), prefix + "-c" + std::to_string(s), messages, window});
    auto ws = open_sockets(io, pr, ep, cfgs, false);
    asio::post(io.io(), [&ws] {
        for (auto& c : ws) c->start_sending();
    });
    std::this_thread::sleep_for(50ms);
    wait_until([&] { return pr.in_flight.load() <= 0; },
               std::chrono::duration_cast<std::chrono::milliseconds>(limit - (Clock::now() - t0)));
    std::this_thread::sleep_for(300ms);  // stray frames that would still come
    close_all(io, ws, {});
    io.stop();
    const auto t = ws_totals(ws);
    write_log(a.get("log"), ws, {});
    print_ws(t);
    std::printf(" seconds %.2f\n", std::chrono::duration<double>(Clock::now() - t0).count());
    if (!t.first_close.empty()) std::fprintf(stderr, "isolation: first closed socket: %s\n", t.first_close.c_str());
    return 0;
}

// ------------------------------------------------------------------ reload ---
bool wait_version(httplib::Client& c, const std::string& version, std::chrono::milliseconds limit) {
    const std::string needle = "\"version\":\"" + version + "\"";
    return wait_until(
        [&] {
            auto r = c.Get("/health");
            return r && r->status == 200 && r->body.find(needle) != std::string::npos;
        },
        limit);
}

int cmd_reload(const Args& a) {
    const int port = static_cast<int>(a.num("port", 0));
    const long n_ws = std::clamp<long>(a.num("ws", 50), 0, 1000);
    const long n_sse = std::clamp<long>(a.num("sse", 50), 0, 1000);
    const long reloads = std::clamp<long>(a.num("reloads", 100), 0, 10000);
    const long window = std::clamp<long>(a.num("window", 2), 1, 100);
    const long gap_ms = std::clamp<long>(a.num("gap-ms", 100), 0, 10000);
    const long hold_ms = std::clamp<long>(a.num("hold-ms", 500), 0, 600000);
    const long stream_tokens = std::clamp<long>(a.num("stream-tokens", 0), 0, 100000);
    const auto limit = std::chrono::seconds(std::clamp<long>(a.num("max-seconds", 600), 10, 3600));
    const fs::path dir = a.need("plugin-dir");
    const std::string so[2] = {a.need("so-a"), a.need("so-b")};
    const std::string ver[2] = {a.need("ver-a"), a.need("ver-b")};
    const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
    const auto t0 = Clock::now();
    auto left = [&] {
        return std::max(0ms, std::chrono::duration_cast<std::chrono::milliseconds>(limit - (Clock::now() - t0)));
    };

    auto health = http_client(port, 5);
    if (!wait_version(*health, ver[0], 10s)) throw std::runtime_error("host does not answer version " + ver[0]);

    Progress pr;
    IoThread io;
    std::vector<std::shared_ptr<SseListener>> sse;
    for (long i = 0; i < n_sse; ++i) {
        sse.push_back(std::make_shared<SseListener>(io.io(), pr, ep));
        asio::post(io.io(), [s = sse.back()] { s->start(); });
    }
    wait_until([&] { return pr.sse_open + pr.sse_failed >= n_sse; }, 20s);
    std::vector<WsChat::Config> cfgs;
    for (long s = 0; s < n_ws; ++s)
        cfgs.push_back({"r10-ws" + std::to_string(s), "r10-c" + std::to_string(s), -1, window, stream_tokens});
    auto ws = open_sockets(io, pr, ep, cfgs, true);
    std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));  // chatting before the first reload

    // Reloads on this thread: A/B by rename, until /health shows the new version.
    std::vector<double> reload_ms;
    long reload_timeouts = 0, done_reloads = 0, reloads_mid_stream = 0, mid_stream_sum = 0;
    for (long i = 1; i <= reloads && left() > 60s; ++i) {
        const int next = static_cast<int>(i % 2);
        const fs::path tmp = dir / ".web_plugin.so.r10-tmp";
        fs::copy_file(so[next], tmp, fs::copy_options::overwrite_existing);
        const long mid = pr.mid_stream.load();  // replies the swap cuts through
        reloads_mid_stream += mid > 0 ? 1 : 0;
        mid_stream_sum += mid;
        const auto r0 = Clock::now();
        fs::rename(tmp, dir / "web_plugin.so");
        if (wait_version(*health, ver[next], 10s))
            reload_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - r0).count());
        else
            ++reload_timeouts;
        done_reloads = i;
        std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms));
    }
    std::this_thread::sleep_for(300ms);
    // Stop chatting; every message sent must still get its one final frame.
    io.run([&] {
        for (auto& c : ws) c->stop_sending();
    });
    const bool drained =
        wait_until([&] { return pr.in_flight.load() <= 0; }, std::min<std::chrono::milliseconds>(left(), 60s));

    // One last event (a REST chat) every stream must reach, then wait for all to reach the top.
    auto poster = http_client(port, 30);
    auto last_chat =
        poster->Post("/api/chat", R"({"content":"r10-final;","session_id":"r10-final"})", "application/json");
    std::this_thread::sleep_for(500ms);
    uint64_t top = 0;
    for (auto& s : sse) top = std::max(top, s->last_id());
    wait_until(
        [&] {
            for (auto& s : sse)
                if (s->last_id() < top) return false;
            return true;
        },
        10s);
    std::this_thread::sleep_for(200ms);
    close_all(io, ws, sse);
    io.stop();

    const auto t = ws_totals(ws);
    std::vector<std::pair<std::string, std::string>> extra;
    if (last_chat && last_chat->status == 200) extra.emplace_back("r10-final", "r10-final;");
    write_log(a.get("log"), ws, extra);
    long sse_open = 0, sse_failed = 0, sse_closed = 0, events = 0, gaps = 0, announced = 0, missed = 0, repeats = 0,
         resyncs = 0, behind = 0, reloaded_min = -1, streams_bad = 0;
    std::string first_anomaly, first_sse_close;
    for (size_t i = 0; i < sse.size(); ++i) {
        const auto f = sse[i]->figures();
        if (f.status == 200)
            ++sse_open;
        else
            ++sse_failed;
        sse_closed += f.closed;
        if (f.closed && first_sse_close.empty()) first_sse_close = f.close_reason;
        events += f.events;
        gaps += f.gaps;
        announced += f.announced;
        missed += f.missed;
        repeats += f.repeats;
        resyncs += f.resyncs;
        const bool is_behind = f.status == 200 && f.last < top;
        behind += is_behind;
        streams_bad += (f.gaps || f.repeats || f.resyncs || is_behind) ? 1 : 0;
        reloaded_min = reloaded_min < 0 ? f.reloaded : std::min(reloaded_min, f.reloaded);
        if (first_anomaly.empty() && !f.first_anomaly.empty()) first_anomaly = f.first_anomaly;
        if (getenv("OXIOS_WS_DRIVER_VERBOSE"))
            for (const auto& x : f.anomalies) std::fprintf(stderr, "sse stream %zu: %s\n", i, x.c_str());
    }
    if (getenv("OXIOS_WS_DRIVER_VERBOSE") && !sse.empty()) {
        std::fprintf(stderr, "plugin_reloaded ids:");
        for (auto x : sse[0]->figures().reload_ids) std::fprintf(stderr, " %llu", static_cast<unsigned long long>(x));
        std::fprintf(stderr, "\n");
    }
    print_ws(t);
    std::printf(
        " drained %d sse_open %ld sse_failed %ld sse_closed %ld sse_events %ld sse_gaps %ld sse_gaps_after_resync %ld "
        "sse_missed %ld sse_repeats %ld sse_resyncs %ld sse_behind %ld sse_streams_bad %ld sse_reloaded_min %ld "
        "sse_top %llu "
        "reloads %ld reload_timeouts %ld reload_p50_ms %.1f reload_max_ms %.1f reloads_mid_stream %ld "
        "mid_stream_avg %.1f seconds %.1f\n",
        drained ? 1 : 0, sse_open, sse_failed, sse_closed, events, gaps, announced, missed, repeats, resyncs, behind,
        streams_bad, reloaded_min, static_cast<unsigned long long>(top), done_reloads, reload_timeouts,
        percentile(reload_ms, 0.5), percentile(reload_ms, 1.0), reloads_mid_stream,
        done_reloads > 0 ? static_cast<double>(mid_stream_sum) / static_cast<double>(done_reloads) : 0.0,
        std::chrono::duration<double>(Clock::now() - t0).count());
    if (!t.first_close.empty()) std::fprintf(stderr, "reload: first closed socket: %s\n", t.first_close.c_str());
    if (!first_sse_close.empty()) std::fprintf(stderr, "reload: first closed stream: %s\n", first_sse_close.c_str());
    if (!first_anomaly.empty()) std::fprintf(stderr, "reload: first SSE anomaly: %s\n", first_anomaly.c_str());
    return 0;
}

// ---------------------------------------------------------------- selftest ---
// Prints "selftest_cases N selftest_failed F"; F > 0 means the R10s counts cannot be trusted.
int cmd_selftest(const Args& a) {
    const long n = std::clamp<long>(a.num("stream-tokens", 40), 3, 100000);
    const std::string good = expected_stream("selftest;", n);
    const std::string tok1 = "1;", tok2 = "2;";
    std::string repeated = good, dropped = good, swapped = good;
    repeated.insert(repeated.find(tok1) + tok1.size(), tok1);  // a token frame delivered twice
    dropped.erase(dropped.find(tok2), tok2.size());            // a token frame lost
    std::swap(swapped[swapped.find(tok1)], swapped[swapped.find(tok2)]);
    struct Case {
        const char* name;
        std::string text;
        long duplicated, missing;
        bool exact;
    };
    const Case cases[] = {
        {"exact", good, 0, 0, true},
        {"token repeated", repeated, 1, 0, false},
        {"token missing", dropped, 0, 1, false},
        {"reordered", swapped, 0, 0, false},
        {"whole reply again after its stream", good + good, n + 1, 0, false},
        {"whole reply only, no stream", good, 0, 0, true},
        {"stream cut after the echo", "selftest; ", 0, n, false},
    };
    long failed = 0;
    for (const auto& c : cases) {
        const auto r = check_stream(c.text, n);
        if (r.duplicated != c.duplicated || r.missing != c.missing || r.exact != c.exact || r.content != "selftest;") {
            ++failed;
            std::fprintf(stderr, "selftest %s: duplicated %ld missing %ld exact %d (want %ld %ld %d)\n", c.name,
                         r.duplicated, r.missing, r.exact ? 1 : 0, c.duplicated, c.missing, c.exact ? 1 : 0);
        }
    }
    std::printf("selftest_cases %zu selftest_failed %ld\n", std::size(cases), failed);
    return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: oxios-bench-ws r2|isolation|reload|selftest --key value ...\n");
        return 2;
    }
    ::signal(SIGPIPE, SIG_IGN);
    const std::string cmd = argv[1];
    try {
        const Args a = parse_args(argc, argv, 2);
        if (cmd == "selftest") return cmd_selftest(a);
        if (a.num("port", 0) <= 0) throw std::runtime_error("need --port");
        if (cmd == "r2") return cmd_r2(a);
        if (cmd == "isolation") return cmd_isolation(a);
        if (cmd == "reload") return cmd_reload(a);
        std::fprintf(stderr, "oxios-bench-ws: unknown command %s\n", cmd.c_str());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "oxios-bench-ws %s: %s\n", cmd.c_str(), e.what());
        return 1;
    }
}
