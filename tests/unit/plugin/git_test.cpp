// /api/git/*: what each route passes to the host's git.* methods, the shapes
// it answers, and its error statuses.
#include "plugin_fixture.hpp"

using namespace plugin_test;

namespace {

const char* kLog =
    R"({"entries":[{"hash":"0123456789abcdef0123456789abcdef01234567","short_hash":"0123456","message":"workspace: write a.md","author":"oxios","timestamp":"2026-05-28T10:00:00.000000Z"}]})";
const char* kRestored =
    R"({"status":"restored","from":"0123456789abcdef0123456789abcdef01234567","commit":"89abcdef0123456789abcdef0123456789abcdef","snapshot":null,"path":"a.md","files_changed":1})";

}  // namespace

TEST_CASE_FIXTURE(Fixture, "GET /api/git/log passes the limit, clamped, and answers the entries") {
    host.set_call("git.log", answer(OXIOS_OK, kLog));
    auto d = json_of(host.get("/api/git/log"), 200);
    CHECK(d["entries"][0]["short_hash"] == "0123456");
    CHECK(parse(last_call(host, "git.log"))["limit"].GetInt() == 100);
    host.get("/api/git/log?limit=7");
    CHECK(parse(last_call(host, "git.log"))["limit"].GetInt() == 7);
    host.get("/api/git/log?limit=100000");
    CHECK(parse(last_call(host, "git.log"))["limit"].GetInt() == 500);
    host.get("/api/git/log?limit=0");
    CHECK(parse(last_call(host, "git.log"))["limit"].GetInt() == 1);
    const size_t calls = host.calls().size();
    CHECK(error_of(host.get("/api/git/log?limit=ten"), 400).find("limit") != std::string::npos);
    CHECK(host.calls().size() == calls);  // refused before the host is asked

    host.set_call("git.log", answer(OXIOS_E_BUSY, R"({"error":"git is disabled"})"));
    CHECK(error_of(host.get("/api/git/log"), 503) == "git is disabled");
}

TEST_CASE_FIXTURE(Fixture, "GET and POST /api/git/tags") {
    host.set_call("git.tags", answer(OXIOS_OK, R"({"tags":["a","b"]})"));
    CHECK(json_of(host.get("/api/git/tags"), 200)["tags"].Size() == 2);

    host.set_call(
        "git.tag",
        answer(OXIOS_OK, R"({"status":"created","tag":"v1","hash":"0123456789abcdef0123456789abcdef01234567"})"));
    auto d = json_of(host.post("/api/git/tags", R"({"tag":"v1"})"), 200);
    CHECK(d["status"] == "created");
    auto in = parse(last_call(host, "git.tag"));
    CHECK(in["tag"] == "v1");
    CHECK_FALSE(in.HasMember("hash"));
    host.post("/api/git/tags", R"({"tag":"v1","hash":"abcd1234"})");
    CHECK(parse(last_call(host, "git.tag"))["hash"] == "abcd1234");
    host.post("/api/git/tags", R"({"tag":"v1","hash":null})");
    CHECK_FALSE(parse(last_call(host, "git.tag")).HasMember("hash"));

    const size_t calls = host.calls().size();
    error_of(host.post("/api/git/tags", "{}"), 422);
    error_of(host.post("/api/git/tags", R"({"tag":5})"), 422);
    error_of(host.post("/api/git/tags", R"({"tag":"v","hash":[]})"), 422);
    error_of(host.post("/api/git/tags", "{not json"), 400);
    error_of(host.post("/api/git/tags", "[]"), 400);
    CHECK(host.calls().size() == calls);

    const std::pair<oxios_status, int> statuses[] = {
        {OXIOS_E_INVALID, 400}, {OXIOS_E_NOT_FOUND, 404}, {OXIOS_E_CONFLICT, 409}, {OXIOS_E_BUSY, 503}};
    for (const auto& [s, http] : statuses) {
        host.set_call("git.tag", answer(s, R"({"error":"from the host"})"));
        CHECK(error_of(host.post("/api/git/tags", R"({"tag":"v1"})"), http) == "from the host");
    }
}

TEST_CASE_FIXTURE(Fixture, "POST /api/git/restore: whole tree or one path") {
    host.set_call("git.restore", answer(OXIOS_OK, kRestored));
    auto d = json_of(host.post("/api/git/restore", R"({"hash":"0123"})", {{"Content-Type", "application/json"}}), 200);
    CHECK(d["status"] == "restored");
    CHECK(d["files_changed"].GetInt() == 1);
    CHECK(d["snapshot"].IsNull());
    auto in = parse(last_call(host, "git.restore"));
    CHECK(in["hash"] == "0123");
    CHECK_FALSE(in.HasMember("path"));
    host.post("/api/git/restore", R"({"hash":"0123","path":"../../etc/passwd"})");
    CHECK(parse(last_call(host, "git.restore"))["path"] == "../../etc/passwd");  // the host decides

    const size_t calls = host.calls().size();
    error_of(host.post("/api/git/restore", "{}"), 422);
    error_of(host.post("/api/git/restore", R"({"hash":1})"), 422);
    error_of(host.post("/api/git/restore", R"({"hash":"0123","path":false})"), 422);
    error_of(host.post("/api/git/restore", "nope"), 400);
    CHECK(host.calls().size() == calls);

    const std::pair<oxios_status, int> statuses[] = {{OXIOS_E_INVALID, 400},   {OXIOS_E_DENIED, 403},
                                                     {OXIOS_E_NOT_FOUND, 404}, {OXIOS_E_CONFLICT, 409},
                                                     {OXIOS_E_BUSY, 503},      {OXIOS_E_IO, 500}};
    for (const auto& [s, http] : statuses) {
        host.set_call("git.restore", answer(s, R"({"error":"path traversal denied"})"));
        CHECK(error_of(host.post("/api/git/restore", R"({"hash":"0123","path":"x"})"), http) ==
              "path traversal denied");
    }
    host.set_call("git.restore", answer(OXIOS_E_NOT_FOUND, ""));
    CHECK(error_of(host.post("/api/git/restore", R"({"hash":"0123"})"), 404) == "commit not found");
}

TEST_CASE_FIXTURE(Fixture, "POST /api/git/verify ignores any body; 504 passes through") {
    host.set_call("git.verify",
                  answer(OXIOS_OK, R"({"valid":false,"head":null,"commits":0,"objects":1,"errors":["x: bad"]})"));
    auto d = json_of(host.post("/api/git/verify", "garbage", {{"Content-Type", "application/json"}}), 200);
    CHECK_FALSE(d["valid"].GetBool());
    CHECK(last_call(host, "git.verify") == R"({"_actor":"ip:127.0.0.1"})");  // body ignored, actor added
    host.set_call("git.verify", answer(OXIOS_E_TIMEOUT, R"({"error":"verify timed out"})"));
    CHECK(error_of(host.post("/api/git/verify", ""), 504) == "verify timed out");
    CHECK(error_of(host.get("/api/git/verify"), 405).size() > 0);
}

TEST_CASE_FIXTURE(Fixture, "git routes need the token when auth is on") {
    host.set_config(R"({"security":{"auth_enabled":true}})");
    host.set_tokens({"s3cret"});
    host.set_call("git.log", answer(OXIOS_OK, kLog));
    error_of(host.get("/api/git/log"), 401);
    json_of(host.get("/api/git/log", {{"Authorization", "Bearer s3cret"}}), 200);
}

TEST_CASE_FIXTURE(Fixture, "git events reach the SSE stream with their listed fields only") {
    auto [stream, resp] = host.sse_connect("/api/events");
    REQUIRE(resp.status == 200);
    host.publish_event(
        "git_committed",
        R"({"hash":"h","short_hash":"s","source":"workspace","files":2,"message":"secret","paths":["a"]})");
    const std::string data = host.sse_wait(stream, "git_committed");
    CHECK(contains(data, R"("source":"workspace","files":2)"));
    CHECK_FALSE(contains(data, "secret"));
    CHECK_FALSE(contains(data, "paths"));
    host.publish_event("git_restored",
                       R"({"from":"f","commit":"c","snapshot":null,"path":"a.md","files_changed":1,"content":"x"})");
    const std::string restored = host.sse_wait(stream, "git_restored");
    CHECK(contains(restored, R"("path":"a.md","files_changed":1)"));
    CHECK_FALSE(contains(restored, "content"));
    host.sse_client_close(stream);
}
