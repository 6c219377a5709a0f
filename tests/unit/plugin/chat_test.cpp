// POST /api/chat: reply shape, persistence before the answer, error mapping.
#include "plugin_fixture.hpp"

#include <chrono>
#include <regex>

using namespace plugin_test;
using oxios::harness::ChatMessage;
using oxios::harness::GatewayReply;

TEST_CASE_FIXTURE(Fixture, "chat answers the full shape and persists before answering") {
    host.set_gateway([](const ChatMessage& m) {
        GatewayReply r;
        r.content = "hello back";
        r.session_id = m.session_id.empty() ? "s-new" : m.session_id;
        r.space_id = "space-1";
        r.phase = "execute";
        r.seed_id = "seed-9";
        r.space_tag = "work";
        r.evaluation_passed = 1;
        return r;
    });
    auto r =
        host.post("/api/chat", R"({"content":"hi there","session_id":"s1"})", {{"Content-Type", "application/json"}});
    auto d = json_of(r, 200);
    // Persisted by the time the answer exists.
    const auto sessions = host.sessions();
    REQUIRE(sessions.count("s1") == 1);
    auto s = parse(sessions.at("s1"));
    REQUIRE(s["user_messages"].IsArray());
    REQUIRE(s["user_messages"].Size() == 1);
    CHECK(std::string(s["user_messages"][0]["content"].GetString()) == "hi there");
    REQUIRE(s["agent_responses"].Size() == 1);
    CHECK(std::string(s["agent_responses"][0]["content"].GetString()) == "hello back");
    CHECK(std::string(s["user_id"].GetString()) == "default");

    const std::regex uuid("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
    CHECK(std::regex_match(std::string(d["id"].GetString()), uuid));
    CHECK(std::string(d["echo"].GetString()) == "hi there");
    CHECK(std::string(d["reply"].GetString()) == "hello back");
    CHECK(std::string(d["session_id"].GetString()) == "s1");
    CHECK(std::string(d["space_id"].GetString()) == "space-1");
    CHECK(std::string(d["phase"].GetString()) == "execute");
    CHECK(std::string(d["seed_id"].GetString()) == "seed-9");
    CHECK(std::string(d["space_tag"].GetString()) == "work");
    CHECK(d["evaluation_passed"].GetBool());
    CHECK(d["duration_ms"].IsNumber());

    const auto msgs = host.gateway_messages();
    REQUIRE(msgs.size() == 1);
    CHECK(msgs[0].id == d["id"].GetString());
    CHECK(msgs[0].user_id == "default");
    CHECK(msgs[0].session_id == "s1");
    CHECK(msgs[0].connection == 0);
}

TEST_CASE_FIXTURE(Fixture, "chat omits absent optional fields and accepts the alias 'message'") {
    host.set_gateway([](const ChatMessage&) {
        GatewayReply r;
        r.content = "ok";
        r.session_id = "abc";
        r.phase = "";
        r.evaluation_passed = -1;
        return r;
    });
    auto d = json_of(host.post("/api/chat", R"({"message":"yo","user_id":"u7","space_id":""})"), 200);
    CHECK(std::string(d["echo"].GetString()) == "yo");
    CHECK(std::string(d["session_id"].GetString()) == "abc");
    CHECK_FALSE(d.HasMember("space_id"));
    CHECK_FALSE(d.HasMember("phase"));
    CHECK_FALSE(d.HasMember("seed_id"));
    CHECK_FALSE(d.HasMember("space_tag"));
    CHECK_FALSE(d.HasMember("evaluation_passed"));
    REQUIRE(host.gateway_messages().size() == 1);
    CHECK(host.gateway_messages()[0].user_id == "u7");
    CHECK(host.gateway_messages()[0].space_id.empty());
    CHECK(host.sessions().count("abc") == 1);
}

TEST_CASE_FIXTURE(Fixture, "chat error mapping: 504, 503, 502") {
    SUBCASE("timeout -> 504") {
        host.set_gateway([](const ChatMessage&) {
            GatewayReply r;
            r.error = OXIOS_E_TIMEOUT;
            r.error_text = "no reply";
            return r;
        });
        error_of(host.post("/api/chat", R"({"content":"x"})"), 504);
    }
    SUBCASE("queue full -> 503") {
        host.set_gateway_busy(true);
        error_of(host.post("/api/chat", R"({"content":"x"})"), 503);
    }
    SUBCASE("engine failure -> 502 with its message") {
        host.set_gateway([](const ChatMessage&) {
            GatewayReply r;
            r.error = OXIOS_E_UPSTREAM;
            r.error_text = "provider exploded";
            return r;
        });
        CHECK(contains(error_of(host.post("/api/chat", R"({"content":"x"})"), 502), "provider exploded"));
    }
    CHECK(host.sessions().empty());
}

TEST_CASE_FIXTURE(Fixture, "chat request validation") {
    SUBCASE("malformed JSON -> 400") { error_of(host.post("/api/chat", R"({"content":)"), 400); }
    SUBCASE("not an object -> 400") { error_of(host.post("/api/chat", R"(["content"])"), 400); }
    SUBCASE("a number out of double range -> 400 (RapidJSON would read it as infinity)") {
        const std::string huge = "3" + std::string(200, '4') + "E233";
        CHECK(contains(error_of(host.post("/api/chat", R"({"content":"x","n":)" + huge + "}"), 400), "out of range"));
    }
    SUBCASE("missing content -> 422 naming it") {
        CHECK(contains(error_of(host.post("/api/chat", R"({"user_id":"u"})"), 422), "content"));
    }
    SUBCASE("no body at all -> 422 naming the field it needs") {
        CHECK(error_of(host.post("/api/chat", ""), 422) == "missing required field 'content'");
    }
    SUBCASE("wrong type -> 422 naming the field") {
        CHECK(contains(error_of(host.post("/api/chat", R"({"content":5})"), 422), "content"));
        CHECK(contains(error_of(host.post("/api/chat", R"({"content":"x","session_id":7})"), 422), "session_id"));
    }
    SUBCASE("over 65536 bytes -> 413 with sizes") {
        const std::string big(65'537, 'a');
        CHECK(error_of(host.post("/api/chat", R"({"content":")" + big + R"("})"), 413) ==
              "65537 bytes exceeds limit of 65536 bytes");
        // Exactly at the limit is fine.
        const std::string ok(65'536, 'a');
        CHECK(host.post("/api/chat", R"({"content":")" + ok + R"("})").status == 200);
    }
    SUBCASE("invalid session id -> 400") {
        CHECK(error_of(host.post("/api/chat", R"({"content":"x","session_id":"../etc"})"), 400) ==
              "invalid session id");
    }
}

TEST_CASE_FIXTURE(Fixture, "chat without session id gets the engine's session, stored") {
    auto d = json_of(host.post("/api/chat", R"({"content":"hello"})"), 200);
    const std::string sid = d["session_id"].GetString();
    CHECK(!sid.empty());
    CHECK(host.sessions().count(sid) == 1);
    CHECK(std::string(d["reply"].GetString()) == "echo: hello");
}

TEST_CASE_FIXTURE(Fixture, "chat user time is when the request came in") {
    host.set_now_us(1'780'000'000'000'000);  // 2026-05-28T...
    auto d = json_of(host.post("/api/chat", R"({"content":"hello","session_id":"t1"})"), 200);
    auto s = parse(host.sessions().at("t1"));
    CHECK(std::string(s["user_messages"][0]["timestamp"].GetString()).rfind("2026-05-28T", 0) == 0);
}

TEST_CASE_FIXTURE(Fixture, "chat times out after gateway.reply_timeout_secs -> 504") {
    host.set_config(R"({"gateway":{"reply_timeout_secs":1}})");
    host.set_gateway([](const ChatMessage&) {
        GatewayReply r;
        r.never = true;
        return r;
    });
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(contains(error_of(host.post("/api/chat", R"({"content":"x","session_id":"late"})"), 504), "in time"));
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
    CHECK(host.sessions().count("late") == 0);
}

TEST_CASE_FIXTURE(Fixture, "chat triggers auto-prune when session.auto_prune") {
    auto old_session = [](const std::string& id) {
        return R"({"id":")" + id + R"(","user_id":"default","user_messages":[],"agent_responses":[],)" +
               R"("created_at":"2020-01-01T00:00:00.000000Z","updated_at":"2020-01-01T00:00:00.000000Z",)" +
               R"("active_seed_id":null,"metadata":{}})";
    };
    for (const char* id : {"o1", "o2", "o3"}) host.put_session(id, old_session(id));
    SUBCASE("on") {
        host.set_config(R"({"session":{"max_sessions":2,"auto_prune":true}})");
        json_of(host.post("/api/chat", R"({"content":"x","session_id":"fresh"})"), 200);
        const auto s = host.sessions();
        CHECK(s.size() == 2);
        CHECK(s.count("fresh") == 1);
    }
    SUBCASE("off") {
        host.set_config(R"({"session":{"max_sessions":2,"auto_prune":false}})");
        json_of(host.post("/api/chat", R"({"content":"x","session_id":"fresh"})"), 200);
        CHECK(host.sessions().size() == 4);
    }
}
