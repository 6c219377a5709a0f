// WebSocket and SSE in memory, and their survival across a reload.
#include "common.hpp"

using namespace harness_test;

namespace {
// The plugin's record of close callbacks it received.
std::vector<std::tuple<std::string, uint64_t, int, int>> closes(oxios::harness::MockHost& h) {
    std::vector<std::tuple<std::string, uint64_t, int, int>> out;
    const auto d = parse(h.get("/closes").body);
    for (const auto& c : d["items"].GetArray())
        out.emplace_back(jstring(c, "kind"), c["id"].GetUint64(), jint(c, "reason"), jint(c, "code"));
    return out;
}
}  // namespace

TEST_CASE("WebSocket: admission, open, messages both ways, plugin close") {
    Loaded l;
    auto& h = l.host;
    auto [ws, resp] = h.ws_connect("/ws?x=1");
    REQUIRE(ws != 0);
    CHECK(resp.status == 101);
    CHECK(resp.header("x-admitted") == "yes");
    CHECK(h.ws_open(ws));
    auto frames = h.ws_wait_frames(ws, 1);
    REQUIRE(frames.size() == 1);
    auto hello = parse(frames[0]);
    CHECK(jstring(hello, "type") == "hello");
    CHECK(hello["resumed"].GetBool() == false);
    CHECK(jstring(hello, "path") == "/ws");
    CHECK(jstring(hello, "query") == "x=1");

    h.ws_client_send(ws, "ping");
    frames = h.ws_wait_frames(ws, 2);
    REQUIRE(frames.size() == 2);
    CHECK(jstring(parse(frames[1]), "text") == "ping");

    h.ws_client_send(ws, "chat:hello");  // gateway delivery routed back to this socket
    frames = h.ws_wait_frames(ws, 3);
    REQUIRE(frames.size() == 3);
    CHECK(jstring(parse(frames[2]), "type") == "done");
    CHECK(jstring(parse(frames[2]), "content") == "echo: hello");
    CHECK(h.gateway_messages().back().connection == ws);

    h.ws_client_send(ws, "close");
    CHECK_FALSE(h.ws_open(ws));
    CHECK(h.ws_close_code(ws) == 4000);
    // The plugin is told, asynchronously, that it lost the socket by its own request.
    CHECK(eventually([&] {
        for (const auto& [kind, id, reason, code] : closes(h))
            if (kind == "ws" && id == ws && reason == OXIOS_CLOSE_BY_PLUGIN) return true;
        return false;
    }));
    h.ws_client_send(ws, "ignored after close");
    CHECK(h.ws_frames(ws).size() == 3);
}

TEST_CASE("WebSocket: refusal, wrong kinds, client close") {
    Loaded l;
    auto& h = l.host;
    auto [denied, r] = h.ws_connect("/ws?deny=1");
    CHECK(denied == 0);
    CHECK(r.status == 403);
    auto [plain, r2] = h.ws_connect("/hello");  // not a WebSocket route: served as plain HTTP
    CHECK(plain == 0);
    CHECK(r2.status == 200);
    CHECK(h.get("/ws").status == 426);  // a WebSocket route without upgrade
    CHECK(h.ws_connect("/nope").second.status == 404);

    auto [ws, r3] = h.ws_connect("/ws");
    REQUIRE(ws != 0);
    h.ws_client_close(ws, 1001);
    CHECK_FALSE(h.ws_open(ws));
    CHECK(h.ws_close_code(ws) == 1001);
    const auto c = closes(h);
    REQUIRE(c.size() == 1);
    CHECK(std::get<2>(c[0]) == OXIOS_CLOSE_PEER);
    CHECK(std::get<3>(c[0]) == 1001);
}

TEST_CASE("WebSocket: messages of one socket are serialised, from many client threads") {
    Loaded l;
    auto [ws, r] = l.host.ws_connect("/ws");
    REQUIRE(ws != 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) l.host.ws_client_send(ws, "m" + std::to_string(t * 100 + i));
        });
    for (auto& t : threads) t.join();
    CHECK(l.host.ws_wait_frames(ws, 201).size() == 201);
}

TEST_CASE("SSE: admission, open, events with seq, refusal, client close") {
    Loaded l;
    auto& h = l.host;
    auto [s, resp] = h.sse_connect("/events");
    REQUIRE(s != 0);
    CHECK(resp.status == 200);
    CHECK(resp.content_type == "text/event-stream");
    CHECK(resp.header("x-admitted") == "yes");
    CHECK(h.sse_data(s).find(": open resumed=0 last=0 path=/events") == 0);
    const uint64_t seq = h.publish_event("agent_created", R"({"agent_id":"a1","id":"ignored"})");
    CHECK(seq == 1);
    const auto data = h.sse_wait(s, "id: 1\n");
    REQUIRE(data.find("id: 1\ndata: ") != std::string::npos);
    const auto json =
        data.substr(data.find("data: ") + 6, data.find("\n\n", data.find("data: ")) - data.find("data: ") - 6);
    const auto ev = parse(json);
    CHECK(is_uuid_v4(jstring(ev, "id")));
    CHECK(jstring(ev, "type") == "agent_created");
    CHECK(jstring(ev, "agent_id") == "a1");
    CHECK(jstring(ev, "timestamp").size() == std::string("2026-05-27T10:11:12.123456Z").size());

    CHECK(h.sse_connect("/events?deny=1").second.status == 403);

    h.sse_client_close(s);
    CHECK_FALSE(h.sse_open(s));
    const auto c = closes(h);
    REQUIRE(c.size() == 1);
    CHECK(std::get<2>(c[0]) == OXIOS_CLOSE_PEER);
    h.publish_event("after_close");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK(h.sse_data(s).find("id: 2") == std::string::npos);
}

TEST_CASE("SSE: Last-Event-ID replays only what the client missed") {
    Loaded l;
    auto& h = l.host;
    for (int i = 0; i < 3; ++i) h.publish_event("e" + std::to_string(i));
    auto [s, resp] = h.sse_connect("/events", {{"Last-Event-ID", "1"}});
    REQUIRE(s != 0);
    const auto data = h.sse_wait(s, "id: 3\n");
    CHECK(data.find(": open resumed=0 last=1") == 0);
    CHECK(count_of(data, "id: 1\n") == 0);
    CHECK(count_of(data, "id: 2\n") == 1);
    CHECK(count_of(data, "id: 3\n") == 1);
}

TEST_CASE("SSE: a plain request to a stream route gets what opening wrote") {
    Loaded l;
    const auto r = l.host.get("/events");
    CHECK(r.status == 200);
    CHECK(r.content_type == "text/event-stream");
    CHECK(r.body.find(": open resumed=0") == 0);
}

TEST_CASE("reload re-attaches a WebSocket: the new instance sees it resumed") {
    Loaded l;
    auto& h = l.host;
    auto [ws, r] = h.ws_connect("/ws");
    REQUIRE(ws != 0);
    REQUIRE(h.ws_wait_frames(ws, 1).size() == 1);
    h.get("/hello");
    h.reload(plugin_path());
    CHECK(h.ws_open(ws));
    const auto frames = h.ws_wait_frames(ws, 2);
    REQUIRE(frames.size() == 2);
    const auto hello = parse(frames[1]);
    CHECK(jstring(hello, "type") == "hello");
    CHECK(hello["resumed"].GetBool() == true);
    CHECK(jstring(hello, "path") == "/ws");  // the original upgrade request again
    // export_state of the old instance reached import_state of the new one
    // before the re-attach.
    CHECK(jstring(hello, "imported").rfind("served=", 0) == 0);
    CHECK(jstring(parse(h.get("/state").body), "imported") == jstring(hello, "imported"));
    // The new instance serves the socket.
    h.ws_client_send(ws, "after");
    const auto more = h.ws_wait_frames(ws, 3);
    REQUIRE(more.size() == 3);
    CHECK(jstring(parse(more[2]), "text") == "after");
    // The new instance never got a close for it.
    CHECK(closes(h).empty());
}

TEST_CASE("reload re-attaches an SSE stream: no seq written twice, none lost") {
    Loaded l;
    auto& h = l.host;
    auto [s, r] = h.sse_connect("/events");
    REQUIRE(s != 0);
    for (int i = 0; i < 3; ++i) h.publish_event("before");
    REQUIRE(h.sse_wait(s, "id: 3\n").find("id: 3\n") != std::string::npos);
    h.reload(plugin_path());
    CHECK(h.sse_open(s));
    // The new instance was opened with the last written seq, and replayed
    // the whole buffer from 0: the host dropped every repeat.
    CHECK(h.sse_data(s).find(": open resumed=1 last=3 path=/events") != std::string::npos);
    for (int i = 0; i < 2; ++i) h.publish_event("after");
    const auto data = h.sse_wait(s, "id: 5\n");
    for (int i = 1; i <= 5; ++i) {
        INFO("seq " << i);
        CHECK(count_of(data, "id: " + std::to_string(i) + "\n") == 1);
    }
    // seq order preserved
    CHECK(data.find("id: 3\n") < data.find("id: 4\n"));
}

TEST_CASE("reload with both kinds open, under client traffic") {
    Loaded l;
    auto& h = l.host;
    auto [ws, r1] = h.ws_connect("/ws");
    auto [s, r2] = h.sse_connect("/events");
    REQUIRE(ws != 0);
    REQUIRE(s != 0);
    std::atomic<bool> stop{false};
    std::thread traffic([&] {
        int i = 0;
        while (!stop) {
            h.ws_client_send(ws, "t" + std::to_string(i++));
            h.publish_event("tick");
            CHECK(h.get("/hello").status == 200);
            // Paced: an unpaced publisher outruns the 256-event replay ring
            // during a reload, and the right answer then is a resync.
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    });
    for (int i = 0; i < 5; ++i) h.reload(plugin_path());
    stop = true;
    traffic.join();
    CHECK(h.ws_open(ws));
    CHECK(h.sse_open(s));
    const uint64_t last = h.publish_event("final");
    const auto data = h.sse_wait(s, "id: " + std::to_string(last) + "\n");
    for (uint64_t i = 1; i <= last; ++i) {
        INFO("seq " << i);
        CHECK(count_of(data, "id: " + std::to_string(i) + "\n") == 1);
    }
}

TEST_CASE("unload closes held connections with SHUTDOWN (1001)") {
    oxios::harness::MockHost h;
    h.load(plugin_path());
    auto [ws, r1] = h.ws_connect("/ws");
    auto [s, r2] = h.sse_connect("/events");
    h.unload();
    CHECK_FALSE(h.ws_open(ws));
    CHECK(h.ws_close_code(ws) == 1001);
    CHECK_FALSE(h.sse_open(s));
}
