// WebSocket chat and SSE events against the real host: the echo engine over
// a Boost.Beast client, SSE over a raw socket, and the key property of the
// design: a plugin reload under open sockets and streams with messages in
// flight closes nothing, answers and persists every message exactly once,
// and leaves no gap or repeat in any SSE sequence. Also many idle clients
// while /api/status keeps answering.
#include "host_process.hpp"
#include "json_answer.hpp"
#include "sse_client.hpp"
#include "ws_client.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

using oxios::test::consecutive;
using oxios::test::env_or;
using oxios::test::HostProcess;
using oxios::test::parse;
using oxios::test::sget;
using oxios::test::SseClient;
using oxios::test::upgrade_request;
using oxios::test::Watchdog;
using oxios::test::WsClient;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

std::string chat_frame(const std::string& content, const std::string& session) {
    rapidjson::StringBuffer b;
    rapidjson::Writer<rapidjson::StringBuffer> w(b);
    w.StartObject();
    w.Key("type");
    w.String("message");
    w.Key("content");
    w.String(content.c_str());
    w.Key("session_id");
    w.String(session.c_str());
    w.EndObject();
    return b.GetString();
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Reads frames until `finals` done/error frames arrived; counts them.
struct Tally {
    int done = 0, errors = 0, tokens = 0;
    std::set<std::string> ids;
    bool closed = false;
    std::string last_error;
};
void read_finals(WsClient& c, int finals, Tally& t) {
    int got = 0;
    while (got < finals) {
        const std::string f = c.read();
        if (f.empty()) {
            t.closed = true;
            t.last_error = c.close_error();
            return;
        }
        auto d = parse(f);
        const std::string type = sget(d, "type");
        if (type == "token")
            ++t.tokens;
        else if (type == "done" || type == "error") {
            ++got;
            (type == "done" ? t.done : t.errors) += 1;
            if (type == "error") t.last_error = f;
            const std::string id = sget(d, "id");
            if (!t.ids.insert(id).second) t.last_error = "duplicate final for " + id;
        }
    }
}

size_t session_messages(const HostProcess& host, const std::string& id, std::string* text = nullptr) {
    const auto path = host.workspace() / "sessions" / (id + ".json");
    if (!std::filesystem::exists(path)) return 0;
    const std::string body = read_file(path);
    if (text) *text = body;
    auto d = parse(body);
    if (!d.IsObject() || !d.HasMember("user_messages") || !d["user_messages"].IsArray()) return 0;
    size_t count = d["user_messages"].Size();
    // A large session's newest exchanges may still be in its journal
    // (session_store.hpp): each complete line whose "n" is the next index.
    const auto journal = host.workspace() / "sessions" / (id + ".journal");
    if (std::filesystem::exists(journal)) {
        const std::string lines = read_file(journal);
        for (size_t at = 0, end; (end = lines.find('\n', at)) != std::string::npos; at = end + 1) {
            const std::string line = lines.substr(at, end - at);
            rapidjson::Document j;
            j.Parse(line.data(), line.size());
            if (j.HasParseError() || !j.IsObject() || !j.HasMember("n") || !j["n"].IsUint64()) break;
            if (j["n"].GetUint64() < count) continue;  // already in the file
            if (j["n"].GetUint64() > count) break;
            ++count;
            if (text) *text += line;
        }
    }
    return count;
}

}  // namespace

TEST_CASE("ws over the real host: echo reply as token then done, persisted on disk; bad frames answered") {
    HostProcess::Options o;
    o.config_json = R"({"security":{"rate_limit_per_minute":0}})";
    HostProcess host(o);
    Watchdog dog(std::chrono::seconds(60));
    WsClient c(host.port());
    dog.watch(c.fd());
    REQUIRE(c.open());
    REQUIRE(c.send(chat_frame("hello over ws", "int-ws-1")));
    auto token = parse(c.read());
    auto done = parse(c.read());
    CHECK(sget(token, "type") == "token");
    CHECK(sget(token, "content") == "echo: hello over ws");
    CHECK(sget(token, "session_id") == "int-ws-1");
    CHECK(sget(done, "type") == "done");
    CHECK(sget(done, "session_id") == "int-ws-1");
    CHECK(sget(done, "id") == sget(token, "id"));
    CHECK(sget(done, "id").size() == 36);
    CHECK(done.HasMember("phase"));
    CHECK(done["duration_ms"].IsNumber());
    std::string text;
    CHECK(session_messages(host, "int-ws-1", &text) == 1);  // durable before "done"
    CHECK(text.find("hello over ws") != std::string::npos);
    CHECK(text.find("\"user_id\":\"web-user\"") != std::string::npos);

    // Bad frames: an error frame each, the socket stays usable.
    REQUIRE(c.send("{not json"));
    CHECK(sget(parse(c.read()), "type") == "error");
    REQUIRE(c.send(chat_frame("binary", ""), true));
    auto bin = parse(c.read());
    CHECK(sget(bin, "type") == "error");
    CHECK(sget(bin, "error").find("binary") != std::string::npos);
    REQUIRE(c.send(chat_frame(std::string(70'000, 'x'), "")));
    CHECK(sget(parse(c.read()), "error").find("exceeds limit of 65536 bytes") != std::string::npos);
    REQUIRE(c.send(chat_frame("still here", "int-ws-1")));
    Tally t;
    read_finals(c, 1, t);
    CHECK(t.done == 1);
    CHECK(session_messages(host, "int-ws-1") == 2);
    CHECK_FALSE(dog.fired());
}

TEST_CASE("ws and sse admission on the real host: 401 without upgrade, ?token= accepted, Origin refused") {
    HostProcess::Options o;
    o.config_json = R"({"security":{"auth_enabled":true,"api_keys":["k-int-1"],"rate_limit_per_minute":0}})";
    HostProcess host(o);
    Watchdog dog(std::chrono::seconds(60));
    {
        WsClient refused(host.port());
        CHECK_FALSE(refused.open());
        // Beast 1.74 does not hand out a declined response: look at it raw.
        auto r = upgrade_request(host.client(), "/api/chat/stream");
        REQUIRE(r);
        CHECK(r->status == 401);
        CHECK(r->body == R"({"error":"unauthorized"})");
        CHECK(r->get_header_value("Upgrade").empty());
        auto bad = upgrade_request(host.client(), "/api/chat/stream?token=nope");
        REQUIRE(bad);
        CHECK(bad->status == 401);
    }
    {
        WsClient ok(host.port(), "/api/chat/stream?token=k-int-1");
        dog.watch(ok.fd());
        CHECK(ok.open());
    }
    {
        WsClient bearer(host.port(), "/api/chat/stream", {{"Authorization", "Bearer k-int-1"}});
        CHECK(bearer.open());
    }
    {
        WsClient evil(host.port(), "/api/chat/stream?token=k-int-1", {{"Origin", "http://evil.example"}});
        CHECK_FALSE(evil.open());
        auto r = upgrade_request(host.client(), "/api/chat/stream?token=k-int-1", {{"Origin", "http://evil.example"}});
        REQUIRE(r);
        CHECK(r->status == 403);
        CHECK(r->body.find("origin") != std::string::npos);
    }
    {
        SseClient s(host.port());
        CHECK(s.status() == 401);
        SseClient t(host.port(), "/api/events?token=k-int-1");
        CHECK(t.status() == 200);
        CHECK(t.head().find("text/event-stream") != std::string::npos);
    }
    CHECK_FALSE(dog.fired());
}

TEST_CASE("sse over the real host: message_received events with id lines, content stripped") {
    HostProcess::Options o;
    o.config_json = R"({"security":{"rate_limit_per_minute":0}})";
    HostProcess host(o);
    SseClient s(host.port());
    REQUIRE(s.status() == 200);
    auto c = host.client();
    auto r = c.Post("/api/chat", R"({"content":"top secret words","session_id":"int-sse-1"})", "application/json");
    REQUIRE(r);
    CHECK(r->status == 200);
    auto has_message = [&] {
        for (const auto& m : s.messages())
            if (m.data.find("\"message_received\"") != std::string::npos) return true;
        return false;
    };
    REQUIRE(s.wait(has_message, std::chrono::seconds(10)));
    for (const auto& m : s.messages()) {
        CHECK(m.id > 0);
        CHECK(m.data.find("top secret") == std::string::npos);
        auto d = parse(m.data);
        CHECK(d["id"].IsString());
        if (sget(d, "type") == "message_received") CHECK(sget(d, "session_id") == "int-sse-1");
    }
    // Reconnecting with Last-Event-ID replays what came after it.
    const uint64_t last = s.last_id();
    SseClient again(host.port(), "/api/events", "Last-Event-ID: " + std::to_string(last - 1) + "\r\n");
    REQUIRE(again.status() == 200);
    CHECK(again.wait([&] { return again.last_id() >= last; }, std::chrono::seconds(5)));
    CHECK(again.messages().front().id == last);

    // A Last-Event-ID from an earlier host process (beyond the bus) starts over
    // instead of filtering every event up to it.
    SseClient stale(host.port(), "/api/events", "Last-Event-ID: 1000000\r\n");
    REQUIRE(stale.status() == 200);
    auto r2 = c.Post("/api/chat", R"({"content":"after restart","session_id":"int-sse-2"})", "application/json");
    REQUIRE(r2);
    CHECK(stale.wait([&] { return stale.last_id() > last; }, std::chrono::seconds(5)));
}

TEST_CASE("reload under open sockets and streams with messages in flight: nothing closes, nothing lost or doubled") {
    HostProcess::Options o;
    o.config_json = R"({"security":{"rate_limit_per_minute":0}})";
    HostProcess host(o);
    Watchdog dog(std::chrono::seconds(150));
    constexpr int kWs = 5, kSse = 5, kReloads = 6, kInFlight = 3;

    std::vector<std::unique_ptr<SseClient>> streams;
    for (int i = 0; i < kSse; ++i) {
        streams.push_back(std::make_unique<SseClient>(host.port()));
        REQUIRE(streams.back()->status() == 200);
        dog.watch(streams.back()->fd());
    }
    std::atomic<bool> stop_sse{false};
    std::vector<std::thread> sse_threads;
    for (auto& s : streams) {
        sse_threads.emplace_back([&stop_sse, sp = s.get()] {
            while (!stop_sse && !sp->closed()) sp->poll_once(50);
        });
    }

    std::vector<std::unique_ptr<WsClient>> sockets;
    for (int i = 0; i < kWs; ++i) {
        sockets.push_back(std::make_unique<WsClient>(host.port()));
        REQUIRE(sockets.back()->open());
        dog.watch(sockets.back()->fd());
    }
    std::atomic<bool> stop_chat{false};
    std::vector<Tally> tallies(kWs);
    std::vector<int> sent(kWs, 0);
    std::vector<std::thread> chatters;
    for (int i = 0; i < kWs; ++i) {
        chatters.emplace_back([&, i] {
            WsClient& c = *sockets[i];
            while (!stop_chat && !tallies[i].closed) {
                for (int k = 0; k < kInFlight; ++k) {
                    if (!c.send(chat_frame("c" + std::to_string(i) + " m" + std::to_string(sent[i]) + ";",
                                           "reload-ws-" + std::to_string(i)))) {
                        tallies[i].closed = true;
                        return;
                    }
                    ++sent[i];
                }
                read_finals(c, kInFlight, tallies[i]);
            }
        });
    }

    const std::string first = env_or("OXIOS_PLUGIN"), next = env_or("OXIOS_PLUGIN_NEXT");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    for (int r = 0; r < kReloads; ++r) {
        const bool to_next = r % 2 == 0;
        host.install_plugin(to_next ? next : first);
        CHECK(host.wait_for_version(to_next ? OXIOS_VERSION "-next" : OXIOS_VERSION));
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    stop_chat = true;
    for (auto& t : chatters) t.join();

    // One last event every stream must reach: a chat over REST.
    auto c = host.client();
    auto last_chat = c.Post("/api/chat", R"({"content":"final","session_id":"reload-final"})", "application/json");
    REQUIRE(last_chat);
    // Wait (generously: a sanitizer build is ~10x slower) until every stream
    // has that chat's message_received, then until every stream has reached
    // the newest id any stream has seen. No fixed pause decides the target.
    const auto saw_final = [](SseClient& s) {
        for (const auto& m : s.messages())
            if (m.data.find("\"message_received\"") != std::string::npos &&
                m.data.find("\"reload-final\"") != std::string::npos)
                return true;
        return false;
    };
    const auto every_stream = [&](const auto& pred) {
        for (auto& s : streams)
            if (!s->closed() && !pred(*s)) return false;
        return true;
    };
    const auto until = Clock::now() + std::chrono::seconds(60);
    while (!every_stream(saw_final) && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    uint64_t top = 0;
    for (auto& s : streams) top = std::max(top, s->last_id());
    while (!every_stream([&](SseClient& s) { return s.last_id() >= top; }) && Clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    stop_sse = true;
    for (auto& t : sse_threads) t.join();

    int total_sent = 0, total_done = 0, total_errors = 0, closed_sockets = 0;
    for (int i = 0; i < kWs; ++i) {
        const Tally& t = tallies[i];
        total_sent += sent[i];
        total_done += t.done;
        total_errors += t.errors;
        closed_sockets += t.closed ? 1 : 0;
        CHECK_MESSAGE(!t.closed, "socket " << i << " closed: " << t.last_error);
        CHECK_MESSAGE(t.errors == 0, "socket " << i << ": " << t.last_error);
        CHECK_MESSAGE(t.done == sent[i], "socket " << i << " sent " << sent[i] << " done " << t.done);
        CHECK(t.ids.size() == static_cast<size_t>(t.done + t.errors));
        // Persisted exactly once each.
        std::string text;
        CHECK(session_messages(host, "reload-ws-" + std::to_string(i), &text) == static_cast<size_t>(sent[i]));
        for (int k = 0; k < sent[i]; ++k) {
            const std::string needle = "\"c" + std::to_string(i) + " m" + std::to_string(k) + ";\"";
            const size_t at = text.find(needle);
            CHECK_MESSAGE(at != std::string::npos, needle);
            if (at != std::string::npos) CHECK_MESSAGE(text.find(needle, at + 1) == std::string::npos, needle);
        }
        CHECK(sockets[i]->open());
    }

    int closed_streams = 0, gaps = 0;
    uint64_t events_seen = 0;
    for (auto& s : streams) {
        uint64_t a = 0, b = 0;
        std::string why;
        const bool ok = consecutive(s->messages(), a, b, why);
        CHECK_MESSAGE(ok, why);
        gaps += ok ? 0 : 1;
        CHECK_FALSE(s->closed());
        closed_streams += s->closed() ? 1 : 0;
        CHECK(saw_final(*s));
        CHECK(b >= top);
        events_seen += b >= a && a > 0 ? b - a + 1 : 0;
        size_t reloaded = 0;
        for (const auto& m : s->messages())
            if (m.data.find("\"plugin_reloaded\"") != std::string::npos) ++reloaded;
        CHECK(reloaded == static_cast<size_t>(kReloads));
    }
    MESSAGE("reload figures: " << kReloads << " reloads; ws: " << kWs << " sockets, " << closed_sockets << " closed, "
                               << total_sent << " messages sent, " << total_done << " done, " << total_errors
                               << " errors; sse: " << kSse << " streams, " << closed_streams << " closed, "
                               << events_seen << " events delivered, " << gaps << " streams with a gap or repeat");
    CHECK_FALSE(dog.fired());
}

TEST_CASE("200 SSE + 200 WebSocket idle clients: /api/status still answers") {
    HostProcess::Options o;
    o.config_json = R"({"security":{"rate_limit_per_minute":0}})";
    HostProcess host(o);
    Watchdog dog(std::chrono::seconds(120));
    constexpr int kEach = 200;
    std::vector<std::unique_ptr<SseClient>> streams;
    std::vector<std::unique_ptr<WsClient>> sockets;
    for (int i = 0; i < kEach; ++i) {
        streams.push_back(std::make_unique<SseClient>(host.port()));
        sockets.push_back(std::make_unique<WsClient>(host.port()));
        dog.watch(streams.back()->fd());
        dog.watch(sockets.back()->fd());
    }
    int sse_ok = 0, ws_ok = 0;
    for (auto& s : streams) sse_ok += s->status() == 200 ? 1 : 0;
    for (auto& w : sockets) ws_ok += w->open() ? 1 : 0;
    CHECK(sse_ok == kEach);
    CHECK(ws_ok == kEach);

    auto c = host.client();
    std::vector<double> ms;
    int ok = 0;
    for (int i = 0; i < 50; ++i) {
        const auto t0 = Clock::now();
        auto r = c.Get("/api/status");
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        ok += r && r->status == 200 ? 1 : 0;
    }
    CHECK(ok == 50);
    std::sort(ms.begin(), ms.end());
    auto metrics = c.Get("/metrics");
    REQUIRE(metrics);
    CHECK(metrics->body.find("oxios_open_websockets " + std::to_string(kEach)) != std::string::npos);
    CHECK(metrics->body.find("oxios_open_sse_streams " + std::to_string(kEach)) != std::string::npos);
    MESSAGE("GET /api/status with " << kEach << " SSE + " << kEach << " WS idle clients: p50 " << ms[ms.size() / 2]
                                    << " ms, max " << ms.back() << " ms");
    // The idle clients are still served: one chat on the last socket.
    WsClient& last = *sockets.back();
    REQUIRE(last.send(chat_frame("still alive", "idle-check")));
    Tally t;
    read_finals(last, 1, t);
    CHECK(t.done == 1);
    CHECK_FALSE(dog.fired());
}
