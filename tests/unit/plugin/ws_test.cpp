// WebSocket /api/chat/stream through the mock host: protocol shapes, one
// socket's replies never reach another, messages in flight, bad frames,
// reply errors, busy, admission (auth, ?token=, Origin, rate limit) and a
// reload with messages in flight.
#include "plugin_fixture.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <regex>
#include <set>
#include <thread>

using namespace plugin_test;
using oxios::harness::ChatMessage;
using oxios::harness::GatewayReply;

namespace {

const std::regex kUuid("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");

std::string message(const std::string& content, const std::string& session = "", const std::string& space = "") {
    rapidjson::StringBuffer b;
    rapidjson::Writer<rapidjson::StringBuffer> w(b);
    w.StartObject();
    w.Key("type");
    w.String("message");
    w.Key("content");
    w.String(content.c_str(), static_cast<rapidjson::SizeType>(content.size()));
    w.Key("session_id");
    w.String(session.c_str());
    w.Key("space_id");
    w.String(space.c_str());
    w.EndObject();
    return b.GetString();
}

std::string sget(const rapidjson::Value& v, const char* key) {
    REQUIRE_MESSAGE(v.HasMember(key), "missing " << key << " in " << str(v));
    REQUIRE_MESSAGE(v[key].IsString(), key << " is not a string in " << str(v));
    return v[key].GetString();
}

bool is_null(const rapidjson::Value& v, const char* key) { return v.HasMember(key) && v[key].IsNull(); }

// Frames of a socket, parsed.
std::vector<rapidjson::Document> parsed(const std::vector<std::string>& frames) {
    std::vector<rapidjson::Document> out;
    for (const auto& f : frames) out.push_back(parse(f));
    return out;
}

size_t count_final(const std::vector<std::string>& frames) {
    size_t n = 0;
    for (const auto& f : frames) {
        auto d = parse(f);
        const std::string t = d["type"].GetString();
        if (t == "done" || t == "error") ++n;
    }
    return n;
}

// Waits until the socket got `n` done/error frames; returns all frames.
std::vector<std::string> wait_final(MockHost& host, uint64_t ws, size_t n,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto frames = host.ws_frames(ws);
        if (count_final(frames) >= n || std::chrono::steady_clock::now() > until) return frames;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

size_t user_messages(MockHost& host, const std::string& session) {
    auto all = host.sessions();
    if (!all.count(session)) return 0;
    auto d = parse(all.at(session));
    CHECK(d["user_messages"].Size() == d["agent_responses"].Size());
    return d["user_messages"].Size();
}

}  // namespace

TEST_CASE_FIXTURE(Fixture, "ws: the routes are registered with their kinds") {
    const auto routes = host.routes();
    CHECK(std::find(routes.begin(), routes.end(), "GET /api/chat/stream websocket") != routes.end());
    CHECK(std::find(routes.begin(), routes.end(), "GET /api/events sse") != routes.end());
}

TEST_CASE_FIXTURE(Fixture, "ws: one message -> token then done, persisted before done, web-user") {
    host.set_gateway([](const ChatMessage& m) {
        GatewayReply r;
        r.content = "hello back";
        r.session_id = m.session_id;
        r.phase = "execute";
        r.seed_id = "seed-1";
        r.evaluation_passed = 1;
        return r;
    });
    auto [ws, resp] = host.ws_connect("/api/chat/stream");
    REQUIRE(ws != 0);
    CHECK(resp.status == 101);
    host.ws_client_send(ws, message("hi there", "s1"));
    auto frames = wait_final(host, ws, 1);
    REQUIRE(frames.size() == 2);
    auto token = parse(frames[0]);
    auto done = parse(frames[1]);
    CHECK(sget(token, "type") == "token");
    CHECK(sget(token, "content") == "hello back");
    CHECK(sget(token, "session_id") == "s1");
    CHECK(is_null(token, "space_id"));
    const std::string id = sget(token, "id");
    CHECK(std::regex_match(id, kUuid));

    CHECK(sget(done, "type") == "done");
    CHECK(sget(done, "id") == id);
    CHECK(sget(done, "session_id") == "s1");
    CHECK(is_null(done, "space_id"));
    CHECK(sget(done, "phase") == "execute");
    CHECK(done["evaluation_passed"].IsBool());
    CHECK(done["evaluation_passed"].GetBool());
    CHECK(is_null(done, "space_tag"));
    CHECK(sget(done, "seed_id") == "seed-1");
    CHECK(done["duration_ms"].IsNumber());
    CHECK_FALSE(done.HasMember("usage"));  // the harness reports no token counts

    // Persisted (the frame is sent only after the durable append).
    REQUIRE(host.sessions().count("s1") == 1);
    auto s = parse(host.sessions().at("s1"));
    CHECK(std::string(s["user_id"].GetString()) == "web-user");
    CHECK(std::string(s["user_messages"][0]["content"].GetString()) == "hi there");
    CHECK(std::string(s["agent_responses"][0]["content"].GetString()) == "hello back");

    const auto msgs = host.gateway_messages();
    REQUIRE(msgs.size() == 1);
    CHECK(msgs[0].id == id);
    CHECK(msgs[0].user_id == "web-user");
    CHECK(msgs[0].connection == ws);
    CHECK(msgs[0].session_id == "s1");
    CHECK(host.ws_open(ws));
}

TEST_CASE_FIXTURE(Fixture, "ws: the user id is configurable (web.ws_user_id)") {
    host.set_config(R"({"web":{"ws_user_id":"alice"}})");
    auto [ws, resp] = host.ws_connect("/api/chat/stream");
    REQUIRE(ws != 0);
    host.ws_client_send(ws, message("x", "s-alice"));
    wait_final(host, ws, 1);
    REQUIRE(host.gateway_messages().size() == 1);
    CHECK(host.gateway_messages()[0].user_id == "alice");
    CHECK(std::string(parse(host.sessions().at("s-alice"))["user_id"].GetString()) == "alice");
}

TEST_CASE_FIXTURE(Fixture, "ws: streamed tokens are forwarded and the reply is not sent twice") {
    host.set_gateway([](const ChatMessage&) {
        GatewayReply r;
        r.tokens = {"hel", "lo ", "world"};
        r.content = "hello world";
        r.space_id = "sp";
        r.delay = std::chrono::milliseconds(20);
        return r;
    });
    auto [ws, resp] = host.ws_connect("/api/chat/stream");
    host.ws_client_send(ws, message("go", "st1"));
    auto frames = wait_final(host, ws, 1);
    REQUIRE(frames.size() == 4);
    std::string text;
    for (int i = 0; i < 3; ++i) {
        auto t = parse(frames[i]);
        CHECK(sget(t, "type") == "token");
        CHECK(sget(t, "space_id") == "sp");
        text += sget(t, "content");
    }
    CHECK(text == "hello world");
    auto done = parse(frames[3]);
    CHECK(sget(done, "type") == "done");
    CHECK(sget(done, "space_id") == "sp");
    auto s = parse(host.sessions().at("st1"));
    CHECK(std::string(s["agent_responses"][0]["content"].GetString()) == "hello world");
    CHECK(std::string(s["metadata"]["space_id"].GetString()) == "sp");
}

TEST_CASE_FIXTURE(Fixture, "ws: two sockets never see each other's replies") {
    auto [a, ra] = host.ws_connect("/api/chat/stream");
    auto [b, rb] = host.ws_connect("/api/chat/stream");
    REQUIRE(a != 0);
    REQUIRE(b != 0);
    for (int i = 0; i < 5; ++i) {
        host.ws_client_send(a, message("from a " + std::to_string(i)));
        host.ws_client_send(b, message("from b " + std::to_string(i)));
    }
    auto fa = wait_final(host, a, 5);
    auto fb = wait_final(host, b, 5);
    std::set<std::string> ids_a, ids_b;
    for (const auto& m : host.gateway_messages()) (m.connection == a ? ids_a : ids_b).insert(m.id);
    REQUIRE(ids_a.size() == 5);
    REQUIRE(ids_b.size() == 5);
    for (const auto& d : parsed(fa)) {
        CHECK(ids_a.count(sget(d, "id")) == 1);
        if (sget(d, "type") == "token") CHECK(sget(d, "content").rfind("echo: from a", 0) == 0);
    }
    for (const auto& d : parsed(fb)) {
        CHECK(ids_b.count(sget(d, "id")) == 1);
        if (sget(d, "type") == "token") CHECK(sget(d, "content").rfind("echo: from b", 0) == 0);
    }
    CHECK(fa.size() == 10);
    CHECK(fb.size() == 10);
}

TEST_CASE_FIXTURE(Fixture, "ws: 10 messages in flight on one socket are all answered and all persisted") {
    host.set_gateway([](const ChatMessage& m) {
        GatewayReply r;
        // Later messages answer first.
        const int n = std::stoi(m.content.substr(m.content.find('#') + 1));
        r.delay = std::chrono::milliseconds((10 - n) * 15);
        return r;
    });
    auto [ws, resp] = host.ws_connect("/api/chat/stream");
    for (int i = 0; i < 10; ++i) host.ws_client_send(ws, message("msg #" + std::to_string(i), "multi"));
    auto frames = wait_final(host, ws, 10);
    std::map<std::string, int> done_per_id, token_per_id;
    for (const auto& d : parsed(frames)) {
        const std::string t = sget(d, "type");
        if (t == "done") ++done_per_id[sget(d, "id")];
        if (t == "token") ++token_per_id[sget(d, "id")];
        if (t == "done") CHECK(sget(d, "session_id") == "multi");
    }
    CHECK(done_per_id.size() == 10);
    CHECK(token_per_id.size() == 10);
    for (const auto& [id, n] : done_per_id) CHECK(n == 1);
    CHECK(user_messages(host, "multi") == 10);
}

TEST_CASE_FIXTURE(Fixture, "ws: a message without session id gets one; the next one lands in the same session") {
    auto [ws, resp] = host.ws_connect("/api/chat/stream");
    host.ws_client_send(ws, R"({"type":"message","content":"first"})");
    auto frames = wait_final(host, ws, 1);
    auto done = parse(frames.back());
    REQUIRE(sget(done, "type") == "done");
    const std::string sid = sget(done, "session_id");
    CHECK(std::regex_match(sid, kUuid));
    CHECK(user_messages(host, sid) == 1);
    host.ws_client_send(ws, message("second", sid));
    frames = wait_final(host, ws, 2);
    CHECK(sget(parse(frames.back()), "session_id") == sid);
    CHECK(user_messages(host, sid) == 2);
    CHECK(host.sessions().size() == 1);
}

TEST_CASE_FIXTURE(Fixture, "ws: frames that are not a message get an error frame and the socket stays open") {
    auto [ws, resp] = host.ws_connect("/api/chat/stream");
    const std::string big_content(65'537, 'a');
    const std::vector<std::string> bad = {
        "not json",
        "[1,2,3]",
        "42",
        "{}",
        R"({"type":"hello","content":"x"})",
        R"({"type":7,"content":"x"})",
        R"({"type":"message"})",
        R"({"type":"message","content":""})",
        R"({"type":"message","content":5})",
        R"({"type":"message","content":"x","session_id":"../etc"})",
        R"({"type":"message","content":"x","session_id":12})",
        R"({"type":"message","content":"x","space_id":"a b"})",
        "{\"type\":\"message\",\"content\":\"\xC3\x28\"}",  // invalid UTF-8
        message(big_content),                               // content over 65,536 bytes
        std::string(500'000, ' ') + message("x"),           // frame over the frame cap
    };
    for (const auto& f : bad) host.ws_client_send(ws, f);
    auto frames = host.ws_wait_frames(ws, bad.size());
    REQUIRE(frames.size() == bad.size());
    for (size_t i = 0; i < frames.size(); ++i) {
        auto d = parse(frames[i]);
        CHECK_MESSAGE(sget(d, "type") == "error", "frame " << i);
        CHECK(!sget(d, "error").empty());
        CHECK_FALSE(d.HasMember("id"));
    }
    CHECK(contains(frames[13], "65537 bytes exceeds limit of 65536 bytes"));
    CHECK(host.gateway_messages().empty());
    CHECK(host.ws_open(ws));
    // Content of exactly 65,536 bytes is accepted.
    host.ws_client_send(ws, message(std::string(65'536, 'b'), "at-limit"));
    frames = wait_final(host, ws, bad.size() + 1);
    CHECK(sget(parse(frames.back()), "type") == "done");
    CHECK(host.ws_open(ws));
}

TEST_CASE_FIXTURE(Fixture, "ws: a reply error ends in one error frame with the id, nothing persisted") {
    host.set_gateway([](const ChatMessage&) {
        GatewayReply r;
        r.error = OXIOS_E_TIMEOUT;
        r.error_text = "engine too slow";
        return r;
    });
    auto [ws, resp] = host.ws_connect("/api/chat/stream");
    host.ws_client_send(ws, message("hi", "se1"));
    auto frames = wait_final(host, ws, 1);
    REQUIRE(frames.size() == 1);
    auto e = parse(frames[0]);
    CHECK(sget(e, "type") == "error");
    CHECK(sget(e, "id") == host.gateway_messages().at(0).id);
    CHECK(sget(e, "session_id") == "se1");
    CHECK(contains(sget(e, "error"), "no reply from the engine in time"));
    CHECK(contains(sget(e, "error"), "engine too slow"));
    CHECK(host.sessions().empty());
    CHECK(host.ws_open(ws));
}

TEST_CASE_FIXTURE(Fixture, "ws: a full gateway queue answers an error frame with the id at once") {
    host.set_gateway_busy(true);
    auto [ws, resp] = host.ws_connect("/api/chat/stream");
    host.ws_client_send(ws, message("hi"));
    auto frames = host.ws_wait_frames(ws, 1);
    REQUIRE(frames.size() == 1);
    auto e = parse(frames[0]);
    CHECK(sget(e, "type") == "error");
    CHECK(std::regex_match(sget(e, "id"), kUuid));
    CHECK(is_null(e, "session_id"));
    CHECK(contains(sget(e, "error"), "queue is full"));
    host.set_gateway_busy(false);
    host.ws_client_send(ws, message("again"));
    frames = wait_final(host, ws, 2);
    CHECK(sget(parse(frames.back()), "type") == "done");
}

TEST_CASE_FIXTURE(Fixture, "ws: a persistence failure ends in an error frame instead of done") {
    // The harness refuses session ids it cannot store: the engine answers with one.
    host.set_gateway([](const ChatMessage&) {
        GatewayReply r;
        r.session_id = "bad id!";
        return r;
    });
    auto [ws, resp] = host.ws_connect("/api/chat/stream");
    host.ws_client_send(ws, message("hi"));
    auto frames = wait_final(host, ws, 1);
    auto last = parse(frames.back());
    CHECK(sget(last, "type") == "error");
    CHECK(sget(last, "id") == host.gateway_messages().at(0).id);
    CHECK(count_final(frames) == 1);
}

TEST_CASE_FIXTURE(Fixture, "ws: admission with auth: 401 JSON without upgrade; Bearer or ?token= admits") {
    host.set_config(R"({"security":{"auth_enabled":true}})");
    host.set_tokens({"tok-1"});
    auto [id0, r0] = host.ws_connect("/api/chat/stream");
    CHECK(id0 == 0);
    CHECK(error_of(r0, 401) == "unauthorized");
    auto [id1, r1] = host.ws_connect("/api/chat/stream?token=wrong");
    CHECK(id1 == 0);
    CHECK(error_of(r1, 401) == "unauthorized");
    auto [id2, r2] = host.ws_connect("/api/chat/stream", {{"Authorization", "Bearer wrong"}});
    CHECK(id2 == 0);
    CHECK(r2.status == 401);
    auto [id3, r3] = host.ws_connect("/api/chat/stream?token=tok-1");
    CHECK(id3 != 0);
    CHECK(r3.status == 101);
    auto [id4, r4] = host.ws_connect("/api/chat/stream", {{"Authorization", "Bearer tok-1"}});
    CHECK(id4 != 0);
    CHECK(r4.status == 101);
    host.ws_client_send(id3, message("authorised"));
    CHECK(count_final(wait_final(host, id3, 1)) == 1);
}

TEST_CASE_FIXTURE(Fixture, "ws: Origin check: same-origin and allow-listed pass, others get 403") {
    auto [a, ra] = host.ws_connect("/api/chat/stream", {{"Origin", "http://evil.example"}, {"Host", "127.0.0.1:4200"}});
    CHECK(a == 0);
    CHECK(contains(error_of(ra, 403), "origin"));
    auto [b, rb] =
        host.ws_connect("/api/chat/stream", {{"Origin", "http://127.0.0.1:4200"}, {"Host", "127.0.0.1:4200"}});
    CHECK(b != 0);
    auto [c, rc] = host.ws_connect("/api/chat/stream", {{"Origin", "http://myhost:9000"}, {"Host", "myhost:9000"}});
    CHECK(c != 0);  // same origin, not on the list
    auto [d, rd] = host.ws_connect("/api/chat/stream", {{"Origin", "http://localhost:4200"}, {"Host", "other:1"}});
    CHECK(d != 0);  // on the default allow-list
    CHECK(rd.header("Access-Control-Allow-Origin") == "http://localhost:4200");
    auto [e, re] = host.ws_connect("/api/chat/stream");
    CHECK(e != 0);  // no Origin
}

TEST_CASE_FIXTURE(Fixture, "ws: one rate-limit token at connect, none per message") {
    host.set_config(R"({"security":{"rate_limit_per_minute":2}})");
    auto [a, ra] = host.ws_connect("/api/chat/stream");
    auto [b, rb] = host.ws_connect("/api/chat/stream");
    auto [c, rc] = host.ws_connect("/api/chat/stream");
    CHECK(a != 0);
    CHECK(b != 0);
    CHECK(c == 0);
    CHECK(rc.status == 429);
    CHECK(!rc.header("Retry-After").empty());
    for (int i = 0; i < 5; ++i) host.ws_client_send(a, message("m" + std::to_string(i)));
    CHECK(count_final(wait_final(host, a, 5)) == 5);
}

TEST_CASE_FIXTURE(Fixture, "ws: reload with messages in flight: every message answered once and persisted once") {
    const std::string next = next_plugin_path();
    REQUIRE(!next.empty());
    host.set_gateway([](const ChatMessage& m) {
        GatewayReply r;
        const int n = std::stoi(m.content.substr(m.content.find('#') + 1));
        if (n % 3 == 0) r.tokens = {"tok-" + std::to_string(n) + "-a ", "b"};
        r.content = "reply #" + std::to_string(n);
        r.delay = std::chrono::milliseconds(5 + (n % 7) * 25);
        return r;
    });
    auto [a, ra] = host.ws_connect("/api/chat/stream");
    auto [b, rb] = host.ws_connect("/api/chat/stream");
    REQUIRE(a != 0);
    REQUIRE(b != 0);
    constexpr int kPerRound = 10, kRounds = 4;
    int sent = 0;
    for (int round = 0; round < kRounds; ++round) {
        for (int i = 0; i < kPerRound; ++i, ++sent) {
            host.ws_client_send(sent % 2 ? b : a,
                                message("msg #" + std::to_string(sent), "reload-s" + std::to_string(sent)));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        host.reload(round % 2 == 0 ? next : plugin_path());
    }
    auto fa = wait_final(host, a, kRounds * kPerRound / 2);
    auto fb = wait_final(host, b, kRounds * kPerRound / 2);
    CHECK(host.ws_open(a));
    CHECK(host.ws_open(b));

    std::map<std::string, int> final_per_id;
    std::map<std::string, std::string> text_per_id;
    for (const auto* frames : {&fa, &fb}) {
        for (const auto& d : parsed(*frames)) {
            const std::string t = sget(d, "type");
            const std::string id = sget(d, "id");
            if (t == "token")
                text_per_id[id] += sget(d, "content");
            else
                ++final_per_id[id];
            CHECK_MESSAGE(t != "error", str(d));
        }
    }
    REQUIRE(host.gateway_messages().size() == static_cast<size_t>(sent));
    for (const auto& m : host.gateway_messages()) {
        const int n = std::stoi(m.content.substr(m.content.find('#') + 1));
        CHECK_MESSAGE(final_per_id[m.id] == 1, "message " << n);
        // Streamed replies are not repeated as a whole after a reload.
        const std::string want = n % 3 == 0 ? "tok-" + std::to_string(n) + "-a b" : "reply #" + std::to_string(n);
        CHECK_MESSAGE(text_per_id[m.id] == want, "message " << n);
        CHECK_MESSAGE(user_messages(host, "reload-s" + std::to_string(n)) == 1, "message " << n);
    }
    MESSAGE("ws reload: " << sent << " messages, " << final_per_id.size()
                          << " answered, sockets open: " << host.ws_open(a) + host.ws_open(b));
}

TEST_CASE_FIXTURE(Fixture, "ws: a closed socket does not lose the exchange") {
    host.set_gateway([](const ChatMessage&) {
        GatewayReply r;
        r.delay = std::chrono::milliseconds(80);
        return r;
    });
    auto [ws, resp] = host.ws_connect("/api/chat/stream");
    host.ws_client_send(ws, message("bye", "gone-1"));
    host.ws_client_close(ws);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (user_messages(host, "gone-1") == 0 && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    CHECK(user_messages(host, "gone-1") == 1);
}
