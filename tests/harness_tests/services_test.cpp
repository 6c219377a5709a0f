// The scripted kernel services behind the host API.
#include "common.hpp"

using namespace harness_test;

namespace {
rapidjson::Document out_of(const oxios::harness::Response& r) { return parse(jstring(parse(r.body), "out")); }
int status_of(const oxios::harness::Response& r) { return jint(parse(r.body), "status"); }
}  // namespace

TEST_CASE("sessions: append builds the session file format; get, list, delete") {
    Loaded l;
    auto& h = l.host;
    const int64_t t0 = 1780000000000000;  // 2026-05-28T...
    auto r = h.post("/sessions", R"({"session_id":"s1","user_id":"u","space_id":"sp","user":"hi","reply":"hello",
        "phase":"execute","passed":1,"user_us":1780000000000000,"reply_us":1780000000500000})");
    CHECK(status_of(r) == OXIOS_OK);
    r = h.post("/sessions", R"({"session_id":"s2","user":"a","reply":"b","user_us":1780000001000000,
        "reply_us":1780000002000000})");
    CHECK(status_of(r) == OXIOS_OK);
    (void)t0;

    const auto s = out_of(h.get("/sessions/s1"));
    CHECK(jstring(s, "id") == "s1");
    CHECK(jstring(s, "user_id") == "u");
    REQUIRE(s["user_messages"].Size() == 1);
    CHECK(jstring(s["user_messages"][0], "content") == "hi");
    CHECK(jstring(s["user_messages"][0], "timestamp") == "2026-05-28T20:26:40.000000Z");
    const auto& ar = s["agent_responses"][0];
    CHECK(jstring(ar, "content") == "hello");
    CHECK(jstring(ar, "session_id") == "s1");
    CHECK(ar["seed_id"].IsNull());
    CHECK(jstring(ar, "phase_reached") == "execute");
    CHECK(ar["evaluation_passed"].GetBool() == true);
    CHECK(jstring(ar, "timestamp") == "2026-05-28T20:26:40.500000Z");
    CHECK(jstring(s, "created_at") == "2026-05-28T20:26:40.000000Z");
    CHECK(jstring(s, "updated_at") == "2026-05-28T20:26:40.500000Z");
    CHECK(s["active_seed_id"].IsNull());
    CHECK(jstring(s["metadata"], "space_id") == "sp");
    CHECK(jstring(s, "space_id") == "sp");  // get adds it at top level

    // The stored file has no top-level space_id and keeps the key order.
    const auto stored = h.sessions().at("s1");
    CHECK(stored.find("\"space_id\":\"sp\"}}") != std::string::npos);
    CHECK(stored.rfind("{\"id\":\"s1\",\"user_id\":\"u\",\"user_messages\":", 0) == 0);
    const auto s2 = out_of(h.get("/sessions/s2"));
    CHECK(jstring(s2, "user_id") == "default");
    CHECK(s2["agent_responses"][0]["evaluation_passed"].IsNull());
    CHECK(s2["space_id"].IsNull());

    auto list = out_of(h.get("/sessions?page=1&limit=10"));
    CHECK(list["total"].GetInt() == 2);
    REQUIRE(list["items"].Size() == 2);
    CHECK(jstring(list["items"][0], "id") == "s2");  // newest updated_at first
    CHECK(list["items"][1]["message_count"].GetInt() == 1);
    CHECK(jstring(list["items"][1], "space_id") == "sp");
    list = out_of(h.get("/sessions?page=2&limit=1"));
    REQUIRE(list["items"].Size() == 1);
    CHECK(jstring(list["items"][0], "id") == "s1");

    CHECK(status_of(h.get("/sessions/nope")) == OXIOS_E_NOT_FOUND);
    CHECK(status_of(h.get("/sessions/..%2Fetc")) == OXIOS_E_INVALID);
    CHECK(status_of(h.del("/sessions/s1")) == OXIOS_OK);
    CHECK(status_of(h.del("/sessions/s1")) == OXIOS_E_NOT_FOUND);
    CHECK(status_of(h.del("/sessions/bad.id")) == OXIOS_E_INVALID);
    CHECK(status_of(h.post("/sessions", R"({"session_id":"a b","user":"x"})")) == OXIOS_E_INVALID);
}

TEST_CASE("sessions: prune keeps the newest session.max_sessions") {
    Loaded l;
    auto& h = l.host;
    auto p = out_of(h.post("/sessions/prune?force", ""));
    CHECK(p["count"].GetInt() == 0);
    CHECK(p["config"]["max_sessions"].GetInt() == 100);
    CHECK(p["config"]["ttl_hours"].GetInt() == 168);
    h.set_config(R"({"session":{"max_sessions":2}})");
    for (int i = 0; i < 5; ++i)
        h.post("/sessions", R"({"session_id":"p)" + std::to_string(i) + R"(","user":"x","reply_us":)" +
                                std::to_string(1780000000000000 + i) + "}");
    p = out_of(h.post("/sessions/prune?force", ""));
    CHECK(p["count"].GetInt() == 3);
    const auto left = h.sessions();
    CHECK(left.size() == 2);
    CHECK(left.count("p4") == 1);
    CHECK(left.count("p3") == 1);
}

TEST_CASE("config: dotted keys, not found, api_key hidden, generation") {
    Loaded l;
    auto& h = l.host;
    auto d = parse(h.get("/config?key=a.b").body);
    CHECK(jint(d, "status") == OXIOS_E_NOT_FOUND);
    const auto gen = d["generation"].GetUint64();
    h.set_config(R"({"a":{"b":[1,2]},"engine":{"api_key":"sk-secret","default_model":"m"}})");
    d = parse(h.get("/config?key=a.b").body);
    CHECK(jint(d, "status") == OXIOS_OK);
    CHECK(jstring(d, "value") == "[1,2]");
    CHECK(d["generation"].GetUint64() > gen);
    CHECK(jint(parse(h.get("/config?key=engine.api_key").body), "status") == OXIOS_E_NOT_FOUND);
    CHECK(jstring(parse(h.get("/config?key=engine").body), "value") == R"({"default_model":"m"})");
    const auto whole = jstring(parse(h.get("/config?key=").body), "value");
    CHECK(whole.find("sk-secret") == std::string::npos);
    CHECK(whole.find("default_model") != std::string::npos);
    CHECK(jint(parse(h.get("/config?key=a.b.c").body), "status") == OXIOS_E_NOT_FOUND);
    CHECK_THROWS(h.set_config("[1]"));
}

TEST_CASE("tokens: only configured ones pass") {
    Loaded l;
    auto& h = l.host;
    CHECK(status_of(h.get("/token?t=abc")) == OXIOS_E_DENIED);
    h.set_tokens({"abc", "def"});
    CHECK(status_of(h.get("/token?t=abc")) == OXIOS_OK);
    CHECK(status_of(h.get("/token?t=def")) == OXIOS_OK);
    CHECK(status_of(h.get("/token?t=ab")) == OXIOS_E_DENIED);
    CHECK(status_of(h.get("/token?t=abcd")) == OXIOS_E_DENIED);
    CHECK(status_of(h.get("/token?t=")) == OXIOS_E_DENIED);
}

TEST_CASE("call: scripted methods, unsupported ones, recorded") {
    Loaded l;
    auto& h = l.host;
    auto r = parse(h.post("/call/seeds.list", R"({"page":1})").body);
    CHECK(jint(r, "status") == OXIOS_E_UNSUPPORTED);
    CHECK(jstring(parse(jstring(r, "out")), "error") == "unsupported method: seeds.list");
    h.set_call("seeds.list", [](const std::string& in) {
        return std::make_pair(OXIOS_OK, std::string(R"({"items":[],"total":0,"in":)") + in + "}");
    });
    r = parse(h.post("/call/seeds.list", R"({"page":1})").body);
    CHECK(jint(r, "status") == OXIOS_OK);
    CHECK(parse(jstring(r, "out"))["in"]["page"].GetInt() == 1);
    h.set_call("agents.kill",
               [](const std::string&) -> std::pair<oxios_status, std::string> { throw std::runtime_error("boom"); });
    r = parse(h.post("/call/agents.kill", "{}").body);
    CHECK(jint(r, "status") == OXIOS_E_INTERNAL);
    const auto calls = h.calls();
    REQUIRE(calls.size() == 3);
    CHECK(calls[0].first == "seeds.list");
    CHECK(calls[0].second == R"({"page":1})");
}

TEST_CASE("log and clock") {
    Loaded l;
    auto& h = l.host;
    h.post("/log?level=2", "something odd");
    const auto logs = h.logs();
    REQUIRE_FALSE(logs.empty());
    CHECK(logs.back().level == OXIOS_LOG_WARN);
    CHECK(logs.back().message == "something odd");
    h.set_now_us(1234567);
    CHECK(jstring(parse(h.get("/now").body), "out") == "1234567");
    h.set_now_us(std::nullopt);
    CHECK(std::stoll(jstring(parse(h.get("/now").body), "out")) > 1700000000000000LL);
}

TEST_CASE("events: plugin publish, bad fields, ring of 256 with missed count") {
    Loaded l;
    auto& h = l.host;
    auto [s, r] = h.sse_connect("/events");
    REQUIRE(s != 0);
    CHECK(jint(parse(h.post("/publish?type=custom", R"({"k":"v"})").body), "status") == OXIOS_OK);
    const auto data = h.sse_wait(s, "id: 1\n");
    CHECK(data.find("\"type\":\"custom\",\"k\":\"v\"") != std::string::npos);
    CHECK(jint(parse(h.post("/publish?type=custom", "[1]").body), "status") == OXIOS_E_INVALID);
    CHECK(jint(parse(h.post("/publish?type=", "{}").body), "status") == OXIOS_E_INVALID);
    for (int i = 0; i < 300; ++i) h.publish_event("bulk");
    const uint64_t last = 301;
    h.sse_wait(s, "id: 301\n");
    // A fresh client that saw seq 10 missed 301-256-10 events that are no longer buffered.
    auto [s2, r2] = h.sse_connect("/events", {{"Last-Event-ID", "10"}});
    const auto d2 = h.sse_wait(s2, "id: " + std::to_string(last) + "\n");
    CHECK(count_of(d2, "\ndata: ") == 256);
    CHECK(d2.find("id: 45\n") == std::string::npos);
    CHECK(d2.find("id: 46\n") != std::string::npos);
}
