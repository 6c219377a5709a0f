// /api/sessions: list, get, delete, prune.
#include "plugin_fixture.hpp"

using namespace plugin_test;

namespace {
std::string session_file(const std::string& id, const std::string& space) {
    std::string meta = space.empty() ? "{}" : R"({"space_id":")" + space + R"("})";
    return R"({"id":")" + id + R"(","user_id":"default",)" +
           R"("user_messages":[{"content":"hi","timestamp":"2026-05-27T10:11:12.000000Z"}],)" +
           R"("agent_responses":[{"content":"yo","session_id":")" + id +
           R"(","seed_id":null,"phase_reached":"execute","evaluation_passed":true,"timestamp":"2026-05-27T10:11:13.000000Z"}],)" +
           R"("created_at":"2026-05-27T10:11:12.000000Z","updated_at":"2026-05-27T10:11:13.000000Z",)" +
           R"("active_seed_id":null,"metadata":)" + meta + "}";
}
}  // namespace

TEST_CASE_FIXTURE(Fixture, "list is a page with page and limit") {
    host.put_session("a1", session_file("a1", "sp"));
    host.put_session("b2", session_file("b2", ""));
    auto d = json_of(host.get("/api/sessions"), 200);
    REQUIRE(d["items"].IsArray());
    CHECK(d["items"].Size() == 2);
    CHECK(d["total"].GetInt() == 2);
    CHECK(d["page"].GetInt() == 1);
    CHECK(d["limit"].GetInt() == 50);
    const auto& item = d["items"][0];
    for (const char* k : {"id", "user_id", "message_count", "created_at", "updated_at"}) {
        CHECK_MESSAGE(item.HasMember(k), k);
    }

    auto p = json_of(host.get("/api/sessions?page=2&limit=1"), 200);
    CHECK(p["items"].Size() == 1);
    CHECK(p["total"].GetInt() == 2);
    CHECK(p["page"].GetInt() == 2);
    CHECK(p["limit"].GetInt() == 1);

    auto c = json_of(host.get("/api/sessions?limit=100000&page=0"), 200);
    CHECK(c["limit"].GetInt() == 500);
    CHECK(c["page"].GetInt() == 1);
    auto z = json_of(host.get("/api/sessions?limit=0"), 200);
    CHECK(z["limit"].GetInt() == 1);
    CHECK(contains(error_of(host.get("/api/sessions?page=abc"), 400), "page"));
}

TEST_CASE_FIXTURE(Fixture, "get adds the top-level space_id") {
    host.put_session("a1", session_file("a1", "sp-7"));
    auto d = json_of(host.get("/api/sessions/a1"), 200);
    CHECK(std::string(d["id"].GetString()) == "a1");
    CHECK(std::string(d["space_id"].GetString()) == "sp-7");
    CHECK(d["user_messages"].Size() == 1);
    host.put_session("b2", session_file("b2", ""));
    auto e = json_of(host.get("/api/sessions/b2"), 200);
    CHECK(e["space_id"].IsNull());
}

TEST_CASE_FIXTURE(Fixture, "get/delete: 400 invalid id, 404 missing") {
    CHECK(error_of(host.get("/api/sessions/bad.id"), 400) == "invalid session id");
    CHECK(error_of(host.get("/api/sessions/..%2F..%2Fetc"), 400) == "invalid session id");
    CHECK(error_of(host.del("/api/sessions/bad.id"), 400) == "invalid session id");
    CHECK(error_of(host.get("/api/sessions/nope"), 404) == "session not found");
    CHECK(error_of(host.del("/api/sessions/nope"), 404) == "session not found");
}

TEST_CASE_FIXTURE(Fixture, "delete answers a JSON object") {
    host.put_session("a1", session_file("a1", ""));
    auto d = json_of(host.del("/api/sessions/a1", {{"Content-Type", "application/json"}}), 200);
    CHECK(std::string(d["status"].GetString()) == "deleted");
    CHECK(std::string(d["id"].GetString()) == "a1");
    CHECK(host.sessions().count("a1") == 0);
}

TEST_CASE_FIXTURE(Fixture, "prune answers status, count and config; ignores any body") {
    host.put_session("a1", session_file("a1", ""));
    auto d = json_of(host.post("/api/sessions/prune", "not json at all", {{"Content-Type", "application/json"}}), 200);
    CHECK(std::string(d["status"].GetString()) == "pruned");
    CHECK(d["count"].IsNumber());
    REQUIRE(d["config"].IsObject());
    CHECK(d["config"].HasMember("max_sessions"));
    CHECK(d["config"].HasMember("ttl_hours"));
}
