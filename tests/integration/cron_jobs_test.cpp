// The Cron jobs page over HTTP against the real host (echo engine): a job
// firing every 2 s runs, its exchange is stored in session cron-<id> as a web
// chat is, and a manual trigger with ?wait=true answers the run's outcome.
#include "host_process.hpp"
#include "json_answer.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

using oxios::test::HostProcess;
using oxios::test::parse;

namespace {

rapidjson::Document answer(const httplib::Result& r, int status, const std::string& what) {
    REQUIRE_MESSAGE(r, what);
    CHECK_MESSAGE(r->status == status, what << " -> " << r->status << " " << r->body);
    return parse(r->body);
}

std::string str(const rapidjson::Value& v, const char* key) {
    REQUIRE(v.HasMember(key));
    REQUIRE(v[key].IsString());
    return v[key].GetString();
}

}  // namespace

TEST_CASE("cron jobs over HTTP: a scheduled run lands in session cron-<id>; trigger ?wait=true") {
    HostProcess::Options o;
    o.config_json = R"({"cron":{"timezone":"UTC"},"git":{"enabled":false}})";
    HostProcess host(o);
    auto c = host.client();
    c.set_read_timeout(30, 0);

    auto bad =
        answer(c.Post("/api/cron-jobs", R"({"name":"x","schedule":"0 0 30 2 *","command":"c"})", "application/json"),
               400, "never fires");
    CHECK(str(bad, "error") == "schedule never fires");
    bad =
        answer(c.Post("/api/cron-jobs", R"({"name":"x","schedule":"* * * * * * *","command":"c"})", "application/json"),
               400, "7 fields");
    CHECK(str(bad, "error").rfind("invalid schedule: ", 0) == 0);

    const auto job =
        answer(c.Post("/api/cron-jobs", R"({"name":"tick","schedule":"*/2 * * * * *","command":"hello cron"})",
                      "application/json"),
               200, "create");
    const std::string id = str(job, "id");
    CHECK(str(job, "session_id") == "cron-" + id);
    CHECK(job["next_run"].IsString());
    CHECK(job["last_run"].IsNull());

    // It fires within ~2 s; give a loaded machine some slack.
    rapidjson::Document seen;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
        seen = answer(c.Get(("/api/cron-jobs/" + id).c_str()), 200, "get");
        if (seen["run_count"].GetInt() >= 1) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE(seen["run_count"].GetInt() >= 1);
    CHECK(seen["last_success"].GetBool());
    CHECK(str(seen, "last_result") == "echo: hello cron");
    CHECK(seen["last_run"].IsString());

    const auto sessions = answer(c.Get("/api/sessions?limit=100"), 200, "sessions");
    bool listed = false;
    for (const auto& s : sessions["items"].GetArray()) listed |= str(s, "id") == "cron-" + id;
    CHECK(listed);
    const auto session = answer(c.Get(("/api/sessions/cron-" + id).c_str()), 200, "session");
    CHECK(str(session, "user_id") == "cron");
    CHECK(str(session["user_messages"][0], "content") == "hello cron");
    CHECK(str(session["agent_responses"][0], "content") == "echo: hello cron");

    // Disabled: no next run; a trigger still runs it and, with wait, answers the outcome.
    const auto off =
        answer(c.Put(("/api/cron-jobs/" + id).c_str(), R"({"enabled":false})", "application/json"), 200, "disable");
    CHECK(off["next_run"].IsNull());
    CHECK_FALSE(off["enabled"].GetBool());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a run in flight finishes
    const auto done = answer(c.Post(("/api/cron-jobs/" + id + "/trigger?wait=true").c_str(), "", "application/json"),
                             200, "trigger wait");
    CHECK(str(done, "status") == "completed");
    CHECK(done["success"].GetBool());
    CHECK(str(done, "summary") == "echo: hello cron");
    CHECK(done["duration_ms"].IsInt64());
    const auto fired =
        answer(c.Post(("/api/cron-jobs/" + id + "/trigger").c_str(), "", "application/json"), 200, "trigger");
    CHECK(str(fired, "status") == "triggered");
    CHECK(str(fired, "session_id") == "cron-" + id);
    CHECK(fired["message_id"].IsString());

    answer(c.Get("/api/cron-jobs/not-a-job"), 404, "unknown id");
    CHECK(std::filesystem::exists(host.workspace() / ".oxios" / "cron.json"));

    const auto gone = answer(c.Delete(("/api/cron-jobs/" + id).c_str()), 200, "delete");
    CHECK(str(gone, "status") == "deleted");
    CHECK(answer(c.Get("/api/cron-jobs"), 200, "list")["jobs"].Size() == 0);
}
