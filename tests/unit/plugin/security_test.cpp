// The Security routes through the mock host: the host calls they make, bad
// query input, the "_actor" every mutating call carries, the auth-failure
// throttle, session audit entries and the audit_recorded SSE whitelist.
#include "plugin_fixture.hpp"

using namespace plugin_test;

TEST_CASE_FIXTURE(Fixture, "security: list, entries, verify and permissions call the host") {
    host.set_call("audit.list", answer(OXIOS_OK, R"({"items":[{"seq":2,"timestamp":"t","agent_name":"host",)"
                                                 R"("action":"host.start","resource":"","allowed":true,)"
                                                 R"("reason":null,"hash":"h"}],"total":1})"));
    auto page = json_of(host.get("/api/audit?page=1&limit=20"), 200);
    CHECK(page["total"].GetInt() == 1);
    CHECK(page["limit"].GetInt() == 20);
    CHECK(std::string(page["items"][0]["agent_name"].GetString()) == "host");
    CHECK(parse(last_call(host, "audit.list"))["limit"].GetInt() == 20);

    host.set_call("audit.entries", answer(OXIOS_OK, R"({"entries":[],"count":0})"));
    json_of(host.get("/api/audit/entries?from_seq=5&to_seq=9"), 200);
    auto args = parse(last_call(host, "audit.entries"));
    CHECK(args["from_seq"].GetInt() == 5);
    CHECK(args["to_seq"].GetInt() == 9);
    CHECK(error_of(host.get("/api/audit/entries?from_seq=abc"), 400).find("from_seq") != std::string::npos);
    host.set_call("audit.entries", answer(OXIOS_E_INVALID, R"({"error":"to_seq must be >= from_seq"})"));
    CHECK(error_of(host.get("/api/audit/entries?from_seq=9&to_seq=1"), 400) == "to_seq must be >= from_seq");

    host.set_call("audit.verify", answer(OXIOS_OK, R"({"valid":true,"entry_count":0,"head_hash":null})"));
    CHECK(json_of(host.get("/api/audit/verify"), 200)["valid"].GetBool());
    host.set_call("security.permissions",
                  answer(OXIOS_OK, R"({"roles":["public"],"policies":[],"auth_enabled":false,)"
                                   R"("api_keys_count":0,"rate_limit_per_minute":600,"cors_origins":[]})"));
    CHECK(json_of(host.get("/api/security/permissions"), 200)["rate_limit_per_minute"].GetInt() == 600);
    CHECK(host.post("/api/audit/verify", "{}").status == 405);
}

TEST_CASE_FIXTURE(Fixture, "security: mutating calls carry _actor (token hash with auth, else ip)") {
    host.set_call("skills.delete", answer(OXIOS_OK, R"({"status":"deleted","name":"x"})"));
    REQUIRE(host.del("/api/skills/x").status == 200);
    CHECK(last_call(host, "skills.delete") == R"({"_actor":"ip:127.0.0.1","name":"x"})");

    host.set_config(R"({"security":{"auth_enabled":true}})");
    host.set_tokens({"s3cret"});
    REQUIRE(host.del("/api/skills/x", {{"Authorization", "Bearer s3cret"}}).status == 200);
    // sha256("s3cret") starts with 1ec1c26b (printf s3cret | sha256sum).
    CHECK(std::string(parse(last_call(host, "skills.delete"))["_actor"].GetString()) == "token:1ec1c26b");
    CHECK(last_call(host, "skills.delete").find("s3cret") == std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "security: auth failures are recorded once per address per window, then counted") {
    host.set_config(R"({"security":{"auth_enabled":true},"audit":{"auth_failure_window_secs":60}})");
    host.set_tokens({"s3cret"});
    int64_t now = 1'000'000'000'000;
    host.set_now_us(now);
    auto failures = [&] {
        size_t n = 0;
        for (const auto& [m, j] : host.calls()) n += m == "audit.record";
        return n;
    };
    for (int i = 0; i < 3; ++i) host.get("/api/skills", {{"Authorization", "Bearer wrong"}});
    CHECK(failures() == 1);
    auto first = parse(last_call(host, "audit.record"));
    CHECK(std::string(first["reason"].GetString()) == "invalid token");
    CHECK(std::string(first["resource"].GetString()) == "GET /api/skills");
    CHECK(first["metadata"]["count"].GetInt() == 1);
    CHECK_FALSE(first["allowed"].GetBool());
    host.set_now_us(now + 61'000'000);
    host.get("/api/skills");
    CHECK(failures() == 2);
    auto next = parse(last_call(host, "audit.record"));
    CHECK(next["metadata"]["count"].GetInt() == 3);  // this one and the two held back
    CHECK(std::string(next["reason"].GetString()) == "missing token");
}

TEST_CASE_FIXTURE(Fixture, "security: session delete and prune are audited") {
    const std::string id = "a1";
    host.put_session(id, R"({"id":")" + id + R"(","messages":[]})");
    REQUIRE(host.del("/api/sessions/" + id).status == 200);
    auto e = parse(last_call(host, "audit.record"));
    CHECK(std::string(e["action"].GetString()) == "session.delete");
    CHECK(std::string(e["actor"].GetString()) == "ip:127.0.0.1");
    CHECK(std::string(e["resource"].GetString()) == id);
    REQUIRE(host.post("/api/sessions/prune", "{}").status == 200);
    CHECK(std::string(parse(last_call(host, "audit.record"))["action"].GetString()) == "session.prune");
}

TEST_CASE_FIXTURE(Fixture, "sse: audit_recorded keeps seq, action, allowed only") {
    auto [s, resp] = host.sse_connect("/api/events");
    REQUIRE(s != 0);
    host.publish_event("audit_recorded",
                       R"({"seq":4,"action":"config.update","allowed":true,"actor":"token:secret","resource":"r"})");
    const std::string data = host.sse_wait(s, "audit_recorded");
    CHECK_FALSE(contains(data, "secret"));
    CHECK_FALSE(contains(data, "\"resource\""));
    CHECK(contains(data, "\"seq\":4"));
}
