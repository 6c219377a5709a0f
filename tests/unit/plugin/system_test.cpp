// /health, /health/ready, /api/status, /metrics.
#include "plugin_fixture.hpp"

using namespace plugin_test;

namespace {
std::string status_json(bool store_healthy) {
    return std::string(R"({"version":"host-1","uptime_secs":5025,)") + R"("state_store":{"healthy":)" +
           (store_healthy ? "true" : "false") + R"(,"detail":"ok"},)" +
           R"("event_bus":{"healthy":true,"detail":"3 subscribers"},)" +
           R"("memory":{"enabled":true,"index_size":4,"total_entries":7},)" +
           R"("agents":{"active_count":1,"total_forked":2,"total_completed":3,"total_failed":0},)" +
           R"("spaces_active":1,)" +
           R"("plugins":{"loaded":[{"name":"web","version":"0.4.0","file":"web_plugin.so"}],"reloads":2,"failed_reloads":1,"last_error":"bad elf"},)" +
           R"("gateway":{"queue_depth":0,"in_flight":0},"engine":{"name":"echo"}})";
}
}  // namespace

TEST_CASE_FIXTURE(Fixture, "/health is public and plain") {
    host.set_config(R"({"security":{"auth_enabled":true}})");
    auto d = json_of(host.get("/health"), 200);
    CHECK(d.MemberCount() == 2);
    CHECK(std::string(d["status"].GetString()) == "ok");
}

TEST_CASE_FIXTURE(Fixture, "/health/ready healthy") {
    host.set_call("system.status", answer(OXIOS_OK, status_json(true)));
    host.set_config(R"({"security":{"auth_enabled":true}})");  // public
    auto d = json_of(host.get("/health/ready"), 200);
    CHECK(std::string(d["status"].GetString()) == "healthy");
    CHECK(std::string(d["version"].GetString()) == host.plugin_version());
    CHECK(d["uptime_secs"].GetInt() == 5025);
    REQUIRE(d["components"].IsObject());
    CHECK(d["components"]["state_store"]["healthy"].GetBool());
    REQUIRE(d["components"].HasMember("plugins"));
    CHECK(d["components"]["plugins"]["failed_reloads"].GetInt() == 1);
    CHECK(d["components"]["plugins"]["loaded"].IsArray());
}

TEST_CASE_FIXTURE(Fixture, "/health/ready 503 when the state store is unhealthy") {
    host.set_call("system.status", answer(OXIOS_OK, status_json(false)));
    auto d = json_of(host.get("/health/ready"), 503);
    CHECK(std::string(d["status"].GetString()) == "degraded");
    CHECK_FALSE(d["components"]["state_store"]["healthy"].GetBool());
    CHECK(d.HasMember("version"));
}

TEST_CASE_FIXTURE(Fixture, "/health/ready degraded but 200 when another component is unhealthy") {
    std::string s = status_json(true);
    s.replace(s.find(R"("healthy":true,"detail":"3)"), 14, R"("healthy":false)");
    host.set_call("system.status", answer(OXIOS_OK, s));
    auto d = json_of(host.get("/health/ready"), 200);
    CHECK(std::string(d["status"].GetString()) == "degraded");
}

TEST_CASE_FIXTURE(Fixture, "/health/ready 503 when the host cannot report") {
    host.set_call("system.status", answer(OXIOS_E_INTERNAL, R"({"error":"boom"})"));
    auto d = json_of(host.get("/health/ready"), 503);
    CHECK(std::string(d["status"].GetString()) == "degraded");
}

TEST_CASE_FIXTURE(Fixture, "/api/status shape") {
    host.set_call("system.status", answer(OXIOS_OK, status_json(true)));
    auto d = json_of(host.get("/api/status"), 200);
    CHECK(std::string(d["service"].GetString()) == "oxios");
    CHECK(std::string(d["status"].GetString()) == "running");
    CHECK(std::string(d["version"].GetString()) == host.plugin_version());
    REQUIRE(d["channels"].IsArray());
    CHECK(std::string(d["channels"][0].GetString()) == "web");
    CHECK(std::string(d["uptime"].GetString()) == "1h 23m 45s");
    const auto& c = d["components"];
    CHECK(c["state_store"]["healthy"].GetBool());
    CHECK(std::string(c["state_store"]["detail"].GetString()) == "ok");
    CHECK(c["event_bus"]["healthy"].GetBool());
    CHECK(c["memory"]["enabled"].GetBool());
    CHECK(c["memory"]["index_size"].GetInt() == 4);
    CHECK(c["memory"]["total_entries"].GetInt() == 7);
    CHECK(c["agents"]["active_count"].GetInt() == 1);
    CHECK(c["agents"]["total_forked"].GetInt() == 2);
    CHECK(c["agents"]["total_completed"].GetInt() == 3);
    CHECK(c["agents"]["total_failed"].GetInt() == 0);
    CHECK(c["spaces_active"].GetInt() == 1);
}

TEST_CASE_FIXTURE(Fixture, "/api/status reads system.components when the host has it") {
    std::string components = status_json(true);
    components.replace(components.find("5025"), 4, "61");
    host.set_call("system.components", answer(OXIOS_OK, components));
    host.set_call("system.status", answer(OXIOS_E_INTERNAL, R"({"error":"not this one"})"));
    auto d = json_of(host.get("/api/status"), 200);
    CHECK(std::string(d["uptime"].GetString()) == "0h 1m 1s");
    CHECK(d["components"]["memory"]["total_entries"].GetInt() == 7);

    host.set_call("system.components", answer(OXIOS_E_IO, R"({"error":"disk on fire"})"));
    CHECK(error_of(host.get("/api/status"), 500) == "disk on fire");
}

TEST_CASE_FIXTURE(Fixture, "/api/status maps host failures") {
    host.set_call("system.status", answer(OXIOS_E_IO, R"({"error":"disk on fire"})"));
    CHECK(error_of(host.get("/api/status"), 500) == "disk on fire");
}

TEST_CASE_FIXTURE(Fixture, "/metrics is Prometheus text, public") {
    host.set_config(R"({"security":{"auth_enabled":true}})");
    const std::string text = "# TYPE oxios_requests_total counter\noxios_requests_total{route=\"/health\"} 3\n";
    host.set_call("system.metrics", answer(OXIOS_OK, text));
    auto r = host.get("/metrics");
    CHECK(r.status == 200);
    CHECK(r.content_type == "text/plain; version=0.0.4");
    CHECK(r.body == text);
}
