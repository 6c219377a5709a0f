// The git page's calls over HTTP against the real host: workspace edits
// become commits, tags, a restore that keeps everything, verify, bad input.
#include "host_process.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <filesystem>
#include <string>
#include <vector>

using oxios::test::HostProcess;
using oxios::test::read_file;

namespace {

rapidjson::Document json_body(const httplib::Result& r, int status) {
    REQUIRE(r);
    CHECK_MESSAGE(r->status == status, r->status << " " << r->body);
    rapidjson::Document d;
    d.Parse(r->body.c_str(), r->body.size());
    REQUIRE_MESSAGE(!d.HasParseError(), r->body);
    return d;
}

std::string error_of(const httplib::Result& r, int status) {
    auto d = json_body(r, status);
    REQUIRE(d.IsObject());
    REQUIRE(d.HasMember("error"));
    return d["error"].GetString();
}

std::vector<std::string> messages(httplib::Client& c) {
    auto d = json_body(c.Get("/api/git/log"), 200);
    std::vector<std::string> out;
    for (const auto& e : d["entries"].GetArray()) out.push_back(e["message"].GetString());
    return out;
}

std::string hash_at(httplib::Client& c, int i) {
    return json_body(c.Get("/api/git/log"), 200)["entries"][i]["hash"].GetString();
}

}  // namespace

TEST_CASE("git over HTTP: edits become commits, tags, a restore that loses nothing, verify") {
    HostProcess::Options o;
    o.config_json = R"({"git":{"commit_delay_ms":600000,"max_commit_delay_ms":600000}})";  // batches end at a flush
    HostProcess host(o);
    auto c = host.client();
    const char* json = "application/json";

    CHECK(messages(c) == std::vector<std::string>{"oxios: initial snapshot"});
    REQUIRE(c.Put("/api/workspace/file/notes/a.md", "v1", "text/markdown"));
    CHECK(messages(c).front() == "workspace: write notes/a.md");
    const std::string v1 = hash_at(c, 0);
    REQUIRE(c.Put("/api/workspace/file/notes/a.md", "v2", "text/markdown"));
    REQUIRE(c.Put("/api/workspace/file/notes/b.md", "written after v1", "text/markdown"));
    auto log = json_body(c.Get("/api/git/log?limit=1"), 200);
    REQUIRE(log["entries"].Size() == 1);
    CHECK(std::string(log["entries"][0]["message"].GetString()) == "workspace: 2 changes");
    CHECK(std::string(log["entries"][0]["author"].GetString()) == "oxios");

    auto tag = json_body(c.Post("/api/git/tags", R"({"tag":"first","hash":")" + v1.substr(0, 8) + R"("})", json), 200);
    CHECK(std::string(tag["hash"].GetString()) == v1);
    CHECK(error_of(c.Post("/api/git/tags", R"({"tag":"first"})", json), 409) == "tag exists: first");
    CHECK(error_of(c.Post("/api/git/tags", R"({"tag":"../x"})", json), 400) == "invalid tag name");
    auto tags = json_body(c.Get("/api/git/tags"), 200);
    REQUIRE(tags["tags"].Size() == 1);
    CHECK(std::string(tags["tags"][0].GetString()) == "first");

    const std::string before = hash_at(c, 0);
    auto restored = json_body(c.Post("/api/git/restore", R"({"hash":"first"})", json), 200);
    CHECK(std::string(restored["status"].GetString()) == "restored");
    CHECK(std::string(restored["from"].GetString()) == v1);
    CHECK(restored["files_changed"].GetInt() == 2);
    CHECK(restored["path"].IsNull());
    auto a = c.Get("/api/workspace/file/notes/a.md");
    REQUIRE(a);
    CHECK(a->body == "v1");
    CHECK(c.Get("/api/workspace/file/notes/b.md")->status == 404);
    const auto after = messages(c);
    CHECK(after[0] == "oxios: restore to " + v1.substr(0, 7));
    CHECK(hash_at(c, 1) == before);  // the state with b.md stays in the history
    // ... and comes back.
    auto back = json_body(c.Post("/api/git/restore", R"({"hash":")" + before + R"(","path":"notes/b.md"})", json), 200);
    CHECK(std::string(back["path"].GetString()) == "notes/b.md");
    CHECK(c.Get("/api/workspace/file/notes/b.md")->body == "written after v1");

    auto verify = json_body(c.Post("/api/git/verify", "", json), 200);
    CHECK(verify["valid"].GetBool());
    CHECK(std::string(verify["head"].GetString()) == hash_at(c, 0));
    CHECK(verify["commits"].GetInt() == static_cast<int>(messages(c).size()));

    auto ready = json_body(c.Get("/health/ready"), 200);
    CHECK(ready["components"]["git"]["healthy"].GetBool());
    auto metrics = c.Get("/metrics");
    REQUIRE(metrics);
    CHECK(metrics->body.find("oxios_git_commit_failures_total 0") != std::string::npos);
}

TEST_CASE("git over HTTP: bad hashes, paths and bodies get a JSON error and touch nothing") {
    HostProcess host;
    auto c = host.client();
    const char* json = "application/json";
    const std::filesystem::path outside = host.root() / "outside.txt";
    {
        std::FILE* f = std::fopen(outside.c_str(), "w");
        REQUIRE(f);
        std::fputs("outside", f);
        std::fclose(f);
    }
    REQUIRE(c.Put("/api/workspace/file/a.md", "a", "text/plain"));
    const std::string head = hash_at(c, 0);
    const size_t commits = messages(c).size();
    const std::string h = R"({"hash":")" + head + R"(","path":")";
    struct Case {
        std::string body;
        int status;
        std::string error;
    };
    const std::vector<Case> cases = {
        {R"({"hash":"zz!"})", 400, "invalid hash: expected 4 to 40 hex digits or a tag name"},
        {R"({"hash":"deadbeef"})", 404, ""},
        {R"({"hash":"nosuchtag"})", 404, ""},
        {h + R"(../outside.txt"})", 403, "path traversal denied"},
        {h + R"(a.md/../../outside.txt"})", 403, "path traversal denied"},
        {h + R"(/etc/passwd"})", 403, "path traversal denied"},
        {h + R"(.git/config"})", 403, "path is reserved"},
        {h + R"(sessions/x.json"})", 400, "path is not tracked"},
        {h + R"(%2e%2e/outside.txt"})", 404, ""},
        {h + R"(missing.md"})", 404, ""},
        {R"({})", 422, ""},
        {R"({"hash":7})", 422, ""},
        {R"({"hash":)", 400, ""},
    };
    for (const auto& k : cases) {
        CAPTURE(k.body);
        const std::string e = error_of(c.Post("/api/git/restore", k.body, json), k.status);
        if (!k.error.empty()) CHECK(e == k.error);
    }
    // Workspace writes into the repository or the host's state are refused.
    for (const char* p : {"/api/workspace/file/.git/config", "/api/workspace/file/.git%2Fconfig",
                          "/api/workspace/file/.oxios/cron.json", "/api/workspace/file/x/%2e%2e/.git/HEAD"}) {
        CAPTURE(p);
        CHECK(error_of(c.Put(p, "x", "text/plain"), 403) == "path is reserved");
    }
    CHECK(error_of(c.Put("/api/workspace/file/%2e%2e/outside.txt", "x", "text/plain"), 403) == "path traversal denied");
    CHECK(read_file(outside) == "outside");
    CHECK(read_file(host.workspace() / ".git/HEAD") == "ref: refs/heads/main\n");
    CHECK_FALSE(std::filesystem::exists(host.workspace() / ".oxios" / "cron.json"));  // (.oxios/audit is the host's)
    CHECK(messages(c).size() == commits);
    auto a = c.Get("/api/workspace/file/a.md");
    REQUIRE(a);
    CHECK(a->body == "a");
}

TEST_CASE("git over HTTP: pending changes are committed at shutdown; disabled answers 503") {
    std::filesystem::path kept;
    HostProcess::Options o;
    o.config_json = R"({"git":{"commit_delay_ms":600000,"max_commit_delay_ms":600000}})";
    HostProcess first(o);
    kept = first.workspace();
    REQUIRE(first.client().Put("/api/workspace/file/late.md", "just before SIGTERM", "text/plain"));
    CHECK(first.stop() == 0);

    HostProcess::Options again;
    again.pass_workspace = false;
    again.extra_args = {"--workspace", kept.string()};
    {
        HostProcess second(again);
        auto c = second.client();
        CHECK(messages(c).front() == "workspace: write late.md");
    }

    again.config_json = R"({"git":{"enabled":false}})";
    HostProcess disabled(again);
    auto c = disabled.client();
    CHECK(error_of(c.Get("/api/git/log"), 503) == "git is disabled");
    CHECK(error_of(c.Post("/api/git/restore", R"({"hash":"abcd"})", "application/json"), 503) == "git is disabled");
    auto ready = json_body(c.Get("/health/ready"), 200);
    CHECK(ready["components"]["git"]["detail"] == "disabled");
}
