// The Cron jobs routes through the mock host: what each route asks the host
// (cron.*), the 422/413 checks made before the host, host errors passed
// through, the aliases (goal, POST .../edit), ?wait=true and the SSE whitelist.
#include "plugin_fixture.hpp"

using namespace plugin_test;

namespace {

const char* kJob =
    R"({"id":"0b6f3c1e-8d1a-4c1e-9f3e-2a7b5d6c4e10","name":"n","schedule":"* * * * *","command":"c",)"
    R"("enabled":true,"last_run":null,"next_run":"2026-05-27T10:12:00.000000Z","run_count":0,)"
    R"("last_result":null,"last_success":null,"last_duration_ms":null,"running":false,)"
    R"("session_id":"cron-0b6f3c1e-8d1a-4c1e-9f3e-2a7b5d6c4e10","created_at":"2026-05-27T10:11:12.000000Z",)"
    R"("updated_at":"2026-05-27T10:11:12.000000Z"})";
const std::string kId = "0b6f3c1e-8d1a-4c1e-9f3e-2a7b5d6c4e10";

}  // namespace

TEST_CASE_FIXTURE(Fixture, "cron jobs: list, create, get, update, delete reach the host's cron.* methods") {
    host.set_call("cron.list", answer(OXIOS_OK, std::string(R"({"jobs":[)") + kJob + "]}"));
    auto l = json_of(host.get("/api/cron-jobs"), 200);
    CHECK(std::string(l["jobs"][0]["name"].GetString()) == "n");

    host.set_call("cron.create", answer(OXIOS_OK, kJob));
    json_of(host.post("/api/cron-jobs", R"({"name":"n","schedule":"* * * * *","command":"c"})"), 200);
    auto in = parse(last_call(host, "cron.create"));
    CHECK(std::string(in["command"].GetString()) == "c");
    CHECK_FALSE(in.HasMember("enabled"));
    json_of(host.post("/api/cron-jobs", R"({"name":"n","schedule":"@daily","goal":"g","enabled":false})"), 200);
    in = parse(last_call(host, "cron.create"));
    CHECK(std::string(in["command"].GetString()) == "g");  // the original's field name
    CHECK_FALSE(in["enabled"].GetBool());

    host.set_call("cron.get", answer(OXIOS_OK, kJob));
    json_of(host.get("/api/cron-jobs/" + kId), 200);
    CHECK(parse(last_call(host, "cron.get"))["id"].GetString() == kId);

    host.set_call("cron.update", answer(OXIOS_OK, kJob));
    json_of(host.put("/api/cron-jobs/" + kId, R"({"enabled":false})"), 200);
    CHECK(last_call(host, "cron.update") == R"({"_actor":"ip:127.0.0.1","id":")" + kId + R"(","enabled":false})");
    json_of(host.post("/api/cron-jobs/" + kId + "/edit", R"({"goal":"new"})"), 200);  // the original's alias
    CHECK(last_call(host, "cron.update") == R"({"_actor":"ip:127.0.0.1","id":")" + kId + R"(","command":"new"})");

    host.set_call("cron.delete", answer(OXIOS_OK, R"({"status":"deleted","id":")" + kId + "\"}"));
    CHECK(std::string(json_of(host.del("/api/cron-jobs/" + kId), 200)["status"].GetString()) == "deleted");
}

TEST_CASE_FIXTURE(Fixture, "cron jobs: trigger, with and without ?wait=true") {
    host.set_call("cron.trigger", answer(OXIOS_OK, R"({"status":"triggered","id":"x","session_id":"cron-x",)"
                                                   R"("message_id":"m"})"));
    json_of(host.post("/api/cron-jobs/x/trigger", ""), 200);
    CHECK(last_call(host, "cron.trigger") == R"({"_actor":"ip:127.0.0.1","id":"x","wait":false})");
    json_of(host.post("/api/cron-jobs/x/trigger?wait=true", ""), 200);
    CHECK(last_call(host, "cron.trigger") == R"({"_actor":"ip:127.0.0.1","id":"x","wait":true})");
    host.set_call("cron.trigger", answer(OXIOS_E_CONFLICT, R"({"error":"cron job is already running"})"));
    CHECK(error_of(host.post("/api/cron-jobs/x/trigger", ""), 409) == "cron job is already running");
    host.set_call("cron.trigger", answer(OXIOS_E_BUSY, R"({"error":"gateway busy"})"));
    CHECK(error_of(host.post("/api/cron-jobs/x/trigger", ""), 503) == "gateway busy");
}

TEST_CASE_FIXTURE(Fixture, "cron jobs: missing/empty 422, over-size 413, bad JSON 400, never reaching the host") {
    host.set_call("cron.create", answer(OXIOS_OK, kJob));
    host.set_call("cron.update", answer(OXIOS_OK, kJob));
    CHECK(error_of(host.post("/api/cron-jobs", R"({"schedule":"* * * * *","command":"c"})"), 422) ==
          "missing required field 'name'");
    CHECK(error_of(host.post("/api/cron-jobs", R"({"name":"n","schedule":"* * * * *"})"), 422) ==
          "missing required field 'command'");
    CHECK(error_of(host.post("/api/cron-jobs", R"({"name":"","schedule":"* * * * *","command":"c"})"), 422) ==
          "field 'name' must not be empty");
    error_of(host.post("/api/cron-jobs", R"({"name":5,"schedule":"* * * * *","command":"c"})"), 422);
    error_of(host.put("/api/cron-jobs/x", R"({"command":""})"), 422);
    error_of(host.put("/api/cron-jobs/x", R"({"enabled":"yes"})"), 422);
    const std::string big_name(129, 'n'), big_schedule(257, '*'), big_command(65'537, 'c');
    error_of(host.post("/api/cron-jobs", R"({"name":")" + big_name + R"(","schedule":"* * * * *","command":"c"})"),
             413);
    error_of(host.post("/api/cron-jobs", R"({"name":"n","schedule":")" + big_schedule + R"(","command":"c"})"), 413);
    error_of(host.put("/api/cron-jobs/x", R"({"command":")" + big_command + "\"}"), 413);
    error_of(host.post("/api/cron-jobs", "{not json"), 400);
    error_of(host.post("/api/cron-jobs", std::string("{\"name\":\"\xff\xfe\"}")), 400);  // invalid UTF-8
    CHECK(last_call(host, "cron.create").empty());
    CHECK(last_call(host, "cron.update").empty());
}

TEST_CASE_FIXTURE(Fixture, "cron jobs: host errors are passed through") {
    host.set_call("cron.create", answer(OXIOS_E_INVALID, R"({"error":"invalid schedule: @reboot is not supported"})"));
    CHECK(error_of(host.post("/api/cron-jobs", R"({"name":"n","schedule":"@reboot","command":"c"})"), 400) ==
          "invalid schedule: @reboot is not supported");
    host.set_call("cron.create", answer(OXIOS_E_CONFLICT, R"({"error":"too many cron jobs"})"));
    CHECK(error_of(host.post("/api/cron-jobs", R"({"name":"n","schedule":"* * * * *","command":"c"})"), 409) ==
          "too many cron jobs");
    host.set_call("cron.get", answer(OXIOS_E_NOT_FOUND, R"({"error":"cron job not found"})"));
    CHECK(error_of(host.get("/api/cron-jobs/nope"), 404) == "cron job not found");
    host.set_call("cron.delete", answer(OXIOS_E_NOT_FOUND, ""));
    CHECK(error_of(host.del("/api/cron-jobs/nope"), 404) == "cron job not found");
    host.set_call("cron.list", answer(OXIOS_E_BUSY, R"({"error":"state store unavailable"})"));
    CHECK(error_of(host.get("/api/cron-jobs"), 503) == "state store unavailable");
    error_of(host.del("/api/cron-jobs"), 405);
}

TEST_CASE_FIXTURE(Fixture, "sse: cron events keep exactly their listed fields") {
    auto [s, resp] = host.sse_connect("/api/events");
    REQUIRE(s != 0);
    host.publish_event("cron_job_started", R"({"job_id":"j","name":"n","trigger":"manual","session_id":"cron-j",)"
                                           R"("message_id":"m","command":"secret command"})");
    host.publish_event("cron_job_completed", R"({"job_id":"j","name":"n","success":true,"duration_ms":5,)"
                                             R"("run_count":1,"last_result":"secret reply"})");
    const std::string data = host.sse_wait(s, "cron_job_completed");
    CHECK_FALSE(contains(data, "secret"));
    CHECK(contains(data, "\"message_id\":\"m\""));
    CHECK(contains(data, "\"run_count\":1"));
}
