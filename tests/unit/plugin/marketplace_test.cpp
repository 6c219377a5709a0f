// The Marketplace routes through the mock host: the calls they make, the
// bare array answered, host errors mapped, bad bodies refused, and the
// skill_installed SSE whitelist.
#include "plugin_fixture.hpp"

using namespace plugin_test;

TEST_CASE_FIXTURE(Fixture, "marketplace: search passes q and limit and answers the bare array") {
    host.set_call("marketplace.search",
                  answer(OXIOS_OK, R"([{"score":1.0,"slug":"git","displayName":"Git",)"
                                   R"("summary":"s","version":null,"updatedAt":null,"installed":false}])"));
    auto r = json_of(host.get("/api/marketplace/search?q=git%20help&limit=5"), 200);
    REQUIRE(r.IsArray());
    CHECK(std::string(r[0]["slug"].GetString()) == "git");
    auto args = parse(last_call(host, "marketplace.search"));
    CHECK(std::string(args["q"].GetString()) == "git help");
    CHECK(args["limit"].GetInt() == 5);
    CHECK(error_of(host.get("/api/marketplace/search?q=x&limit=ten"), 400).find("limit") != std::string::npos);
    host.set_call("marketplace.search", answer(OXIOS_E_INVALID, R"({"error":"q is required"})"));
    CHECK(error_of(host.get("/api/marketplace/search"), 400) == "q is required");
}

TEST_CASE_FIXTURE(Fixture, "marketplace: install sends slug, version and actor; host errors map to statuses") {
    host.set_call("marketplace.install",
                  answer(OXIOS_OK, R"({"ok":true,"status":"installed","slug":"git",)"
                                   R"("version":"1.0","targetDir":"skills/git","changelog":null})"));
    auto r = json_of(host.post("/api/marketplace/skills/git/install", R"({"version":"1.0"})"), 200);
    CHECK(std::string(r["targetDir"].GetString()) == "skills/git");
    CHECK(last_call(host, "marketplace.install") == R"({"_actor":"ip:127.0.0.1","slug":"git","version":"1.0"})");
    json_of(host.post("/api/marketplace/skills/git/install", "{}"), 200);
    CHECK(last_call(host, "marketplace.install") == R"({"_actor":"ip:127.0.0.1","slug":"git"})");
    CHECK(host.post("/api/marketplace/skills/git/install", "{").status == 400);
    CHECK(host.post("/api/marketplace/skills/git/install", std::string(5000, ' ')).status == 413);
    CHECK(host.post("/api/marketplace/skills/git/install", R"({"version":7})").status == 422);
    const std::pair<oxios_status, int> mapped[] = {{OXIOS_E_CONFLICT, 409},
                                                   {OXIOS_E_TOO_LARGE, 413},
                                                   {OXIOS_E_UPSTREAM, 502},
                                                   {OXIOS_E_NOT_FOUND, 404},
                                                   {OXIOS_E_INVALID, 400}};
    for (const auto& [status, http] : mapped) {
        host.set_call("marketplace.install", answer(status, R"({"error":"why"})"));
        CHECK(error_of(host.post("/api/marketplace/skills/git/install", "{}"), http) == "why");
    }
    CHECK(host.get("/api/marketplace/skills/git/install").status == 405);
}

TEST_CASE_FIXTURE(Fixture, "sse: skill_installed keeps name, version, source only") {
    auto [s, resp] = host.sse_connect("/api/events");
    REQUIRE(s != 0);
    host.publish_event("skill_installed", R"({"name":"git","version":"1","source":"marketplace","dir":"/secret"})");
    const std::string data = host.sse_wait(s, "skill_installed");
    CHECK_FALSE(contains(data, "secret"));
    CHECK(contains(data, "\"source\":\"marketplace\""));
}
