// The Resources and Scheduler routes through the mock host: the host call
// each one makes, its answer passed through, bad input and host errors
// mapped to JSON errors, and the overload events' SSE whitelist.
#include "plugin_fixture.hpp"

using namespace plugin_test;

namespace {

const char* kSample =
    R"({"timestamp":"2026-05-27T10:11:12.123456Z","cpu_percent":12.5,"memory_percent":40.0,)"
    R"("disk_percent":70.25,"memory_used_mb":100.0,"memory_total_mb":250.0,"disk_used_gb":7.0,)"
    R"("disk_total_gb":10.0,"load_avg_1m":0.5,"active_agents":1,"pending_tasks":0,"total_token_usage":42})";

}  // namespace

TEST_CASE_FIXTURE(Fixture, "resources: current, history and overload answer the host's JSON") {
    host.set_call("resources.current", answer(OXIOS_OK, kSample));
    auto d = json_of(host.get("/api/resources"), 200);
    CHECK(d["cpu_percent"].GetDouble() == 12.5);
    CHECK(d["total_token_usage"].GetInt() == 42);

    const std::string history = std::string(R"({"snapshots":[)") + kSample + R"(],"count":1})";
    host.set_call("resources.history", answer(OXIOS_OK, history));
    auto h = json_of(host.get("/api/resources/history?last_n=30"), 200);
    CHECK(h["count"].GetInt() == 1);
    CHECK(h["snapshots"][0]["disk_percent"].GetDouble() == 70.25);
    CHECK(parse(last_call(host, "resources.history"))["last_n"].GetInt() == 30);
    json_of(host.get("/api/resources/history"), 200);
    CHECK(last_call(host, "resources.history") == "{}");  // the host's default (30)
    json_of(host.get("/api/resources/history?last_n=-4"), 200);
    CHECK(parse(last_call(host, "resources.history"))["last_n"].GetInt() == -4);  // the host clamps
    json_of(host.get("/api/resources/history?last_n=99999999999999999999999"), 200);
    CHECK(parse(last_call(host, "resources.history"))["last_n"].GetInt64() == INT64_MAX);

    const std::string overload = std::string(R"({"overloaded":true,"reasons":["cpu_percent 95.2 > 90"],)") +
                                 R"("threshold":{"cpu_percent":90,"memory_percent":90,"disk_percent":95,)" +
                                 R"("load_avg":4},"current":)" + kSample + "}";
    host.set_call("resources.overload", answer(OXIOS_OK, overload));
    auto o = json_of(host.get("/api/resources/overload"), 200);
    CHECK(o["overloaded"].GetBool());
    CHECK(std::string(o["reasons"][0].GetString()) == "cpu_percent 95.2 > 90");
}

TEST_CASE_FIXTURE(Fixture, "resources: a non-numeric last_n is 400 and never reaches the host") {
    host.set_call("resources.history", answer(OXIOS_OK, R"({"snapshots":[],"count":0})"));
    for (const char* bad : {"abc", "1.5", "3x", "%ff%fe", "%00", "0x10", "+"}) {
        CAPTURE(bad);
        CHECK(contains(error_of(host.get(std::string("/api/resources/history?last_n=") + bad), 400), "last_n"));
    }
    CHECK(last_call(host, "resources.history").empty());
}

TEST_CASE_FIXTURE(Fixture, "resources and scheduler: host errors, wrong methods, auth") {
    host.set_call("resources.current", answer(OXIOS_E_INTERNAL, R"({"error":"internal error: boom"})"));
    CHECK(error_of(host.get("/api/resources"), 500) == "internal error: boom");
    host.set_call("resources.current", answer(OXIOS_OK, "not json"));
    error_of(host.get("/api/resources"), 500);
    // An older host without the methods.
    error_of(host.get("/api/resources/overload"), 501);
    error_of(host.get("/api/scheduler/stats"), 501);
    error_of(host.get("/api/scheduler/tasks"), 501);

    for (const char* path : {"/api/resources", "/api/resources/history", "/api/resources/overload",
                             "/api/scheduler/stats", "/api/scheduler/tasks"}) {
        CAPTURE(path);
        error_of(host.post(path, "{}"), 405);
        error_of(host.del(path), 405);
    }
    error_of(host.get("/api/scheduler"), 404);
    error_of(host.get("/api/resources/history/x"), 404);

    host.set_config(R"({"security":{"auth_enabled":true}})");
    host.set_tokens({"tok"});
    host.set_call("scheduler.stats", answer(OXIOS_OK, "{}"));
    error_of(host.get("/api/scheduler/stats"), 401);
    error_of(host.get("/api/resources"), 401);
    json_of(host.get("/api/scheduler/stats", {{"Authorization", "Bearer tok"}}), 200);
}

TEST_CASE_FIXTURE(Fixture, "scheduler: stats and tasks answer the host's JSON") {
    const char* stats =
        R"({"queued":2,"running":1,"max_concurrent":32,"queue_capacity":1024,"completed_total":5,"failed_total":1})";
    host.set_call("scheduler.stats", answer(OXIOS_OK, stats));
    auto s = json_of(host.get("/api/scheduler/stats"), 200);
    CHECK(s["queued"].GetInt() == 2);
    CHECK(s["failed_total"].GetInt() == 1);
    const char* tasks = R"({"queued":[{"id":"m2","description":"hi","priority":"normal","status":"queued",)"
                        R"("created_at":"2026-05-27T10:11:12.123456Z","started_at":null,"user_id":"default",)"
                        R"("session_id":null,"agent_id":null,"error":null}],"running":[]})";
    host.set_call("scheduler.tasks", answer(OXIOS_OK, tasks));
    auto t = json_of(host.get("/api/scheduler/tasks", {{"Content-Type", "application/json"}}), 200);
    CHECK(std::string(t["queued"][0]["status"].GetString()) == "queued");
    CHECK(t["running"].Size() == 0);
}

TEST_CASE_FIXTURE(Fixture, "sse: resources events keep exactly their listed fields") {
    auto [s, resp] = host.sse_connect("/api/events");
    REQUIRE(s != 0);
    host.publish_event("resources_overloaded",
                       R"({"cpu_percent":95.2,"memory_percent":10,"disk_percent":20,"load_avg_1m":1.5,)"
                       R"("reasons":["cpu_percent 95.2 > 90"],"hostname":"secret-box","pid":77})");
    host.publish_event("resources_recovered",
                       R"({"cpu_percent":5,"memory_percent":10,"disk_percent":20,"load_avg_1m":1.5,"reasons":[],)"
                       R"("extra":"secret"})");
    const std::string data = host.sse_wait(s, "resources_recovered");
    CHECK_FALSE(contains(data, "secret"));
    CHECK_FALSE(contains(data, "\"pid\""));
    size_t found = 0;
    for (size_t pos = data.find("data: "); pos != std::string::npos; pos = data.find("data: ", pos + 1)) {
        const std::string line = data.substr(pos + 6, data.find('\n', pos) - pos - 6);
        auto d = parse(line);
        const std::string type = d["type"].GetString();
        if (type != "resources_overloaded" && type != "resources_recovered") continue;
        ++found;
        CHECK(d.MemberCount() == 8);  // id, timestamp, type + the five listed fields
        for (const char* k : {"cpu_percent", "memory_percent", "disk_percent", "load_avg_1m", "reasons"})
            CHECK(d.HasMember(k));
    }
    CHECK(found == 2);
}
