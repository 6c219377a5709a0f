// /api/knowledge/*: what each route passes to the host's knowledge.* methods,
// the shapes, statuses and content types it answers.
#include "plugin_fixture.hpp"

using namespace plugin_test;

TEST_CASE_FIXTURE(Fixture, "GET /api/knowledge/file: raw bytes with the UI's content types") {
    host.set_call("knowledge.read", answer(OXIOS_OK, R"({"x":1})"));
    const std::pair<const char*, const char*> types[] = {{"a/Note.md", "text/markdown; charset=utf-8"},
                                                         {"data.json", "text/plain; charset=utf-8"},
                                                         {"pic.PNG", "image/png"},
                                                         {"p.jpeg", "image/jpeg"},
                                                         {"logo.svg", "text/plain; charset=utf-8"},
                                                         {"noext", "text/plain; charset=utf-8"}};
    for (const auto& [path, type] : types) {
        auto r = host.get(std::string("/api/knowledge/file/") + path);
        CHECK(r.status == 200);
        CHECK(r.content_type == type);
        CHECK(r.body == R"({"x":1})");
        CHECK(parse(last_call(host, "knowledge.read"))["path"] == path);
    }
    // Percent-decoded once: %2520 stays %20 in the name.
    host.get("/api/knowledge/file/dir/New%20file%2520x.md");
    CHECK(parse(last_call(host, "knowledge.read"))["path"] == "dir/New file%20x.md");
    host.set_call("knowledge.read", answer(OXIOS_E_NOT_FOUND, "{}"));
    CHECK(error_of(host.get("/api/knowledge/file/x.md"), 404) == "file not found");
    host.set_call("knowledge.read", answer(OXIOS_E_DENIED, R"({"error":"path traversal denied"})"));
    CHECK(error_of(host.get("/api/knowledge/file/..%2F..%2Fetc/passwd"), 403) == "path traversal denied");
    CHECK(parse(last_call(host, "knowledge.read"))["path"] == "../../etc/passwd");
}

TEST_CASE_FIXTURE(Fixture, "PUT and DELETE /api/knowledge/file answer 204; non-UTF-8 is refused first") {
    host.set_call("knowledge.write", answer(OXIOS_OK, "{}"));
    auto r = host.put("/api/knowledge/file/New%20file.md", "# hi\n", {{"Content-Type", "text/markdown"}});
    CHECK(r.status == 204);
    CHECK(r.body.empty());
    auto in = parse(last_call(host, "knowledge.write"));
    CHECK(in["path"] == "New file.md");
    CHECK(in["content"] == "# hi\n");
    const size_t calls = host.calls().size();
    CHECK(error_of(host.put("/api/knowledge/file/a.md", std::string("\xff\xfe", 2)), 400) == "body is not UTF-8");
    CHECK(host.calls().size() == calls);
    const std::pair<oxios_status, int> statuses[] = {
        {OXIOS_E_INVALID, 400}, {OXIOS_E_DENIED, 403}, {OXIOS_E_CONFLICT, 409}, {OXIOS_E_TOO_LARGE, 413}};
    for (const auto& [s, http] : statuses) {
        host.set_call("knowledge.write", answer(s, R"({"error":"from the host"})"));
        CHECK(error_of(host.put("/api/knowledge/file/a.md", "x"), http) == "from the host");
    }
    host.set_call("knowledge.delete", answer(OXIOS_OK, "{}"));
    CHECK(host.del("/api/knowledge/file/dir").status == 204);
    host.set_call("knowledge.delete", answer(OXIOS_E_CONFLICT, R"({"error":"directory not empty"})"));
    CHECK(error_of(host.del("/api/knowledge/file/dir"), 409) == "directory not empty");
}

TEST_CASE_FIXTURE(Fixture, "one wildcard handler: …/history (GET) and …/restore (POST) by suffix") {
    host.set_call("knowledge.history", answer(OXIOS_OK, R"({"history":[],"count":0})"));
    auto d = json_of(host.get("/api/knowledge/file/dir/Note%20x.md/history"), 200);
    CHECK(d["count"].GetInt() == 0);
    CHECK(parse(last_call(host, "knowledge.history"))["path"] == "dir/Note x.md");
    host.set_call("knowledge.read", answer(OXIOS_OK, "plain"));
    CHECK(host.get("/api/knowledge/file/history").body == "plain");  // a file named history

    host.set_call("knowledge.restore",
                  answer(OXIOS_OK, R"({"status":"restored","path":"a.md","from":"0123abcd","commit":"89ab"})"));
    d = json_of(host.post("/api/knowledge/file/a.md/restore", R"({"hash":"0123abcd"})"), 200);
    CHECK(d["status"] == "restored");
    auto in = parse(last_call(host, "knowledge.restore"));
    CHECK(in["path"] == "a.md");
    CHECK(in["hash"] == "0123abcd");
    error_of(host.post("/api/knowledge/file/a.md/restore", "{}"), 422);
    host.set_call("knowledge.restore", answer(OXIOS_E_BUSY, R"({"error":"git is disabled"})"));
    CHECK(error_of(host.post("/api/knowledge/file/a.md/restore", R"({"hash":"0123abcd"})"), 503) == "git is disabled");
    CHECK(host.post("/api/knowledge/file/a.md", "{}").status == 404);
}

TEST_CASE_FIXTURE(Fixture, "tree, search, backlinks, graph") {
    host.set_call("knowledge.tree", answer(OXIOS_OK, R"([{"name":"a","is_dir":true,"size":0}])"));
    CHECK(json_of(host.get("/api/knowledge/tree?dir=x%20y"), 200).Size() == 1);
    CHECK(parse(last_call(host, "knowledge.tree"))["dir"] == "x y");
    host.set_call("knowledge.tree", answer(OXIOS_E_NOT_FOUND, "{}"));
    CHECK(error_of(host.get("/api/knowledge/tree?dir=nope"), 404) == "directory not found");

    host.set_call("knowledge.search", answer(OXIOS_OK, R"({"results":[],"count":0,"query":"q"})"));
    CHECK(json_of(host.post("/api/knowledge/search", R"({"query":"q","limit":20})"), 200)["count"].GetInt() == 0);
    CHECK(parse(last_call(host, "knowledge.search"))["limit"].GetInt() == 20);
    error_of(host.post("/api/knowledge/search", "{}"), 422);
    error_of(host.post("/api/knowledge/search", R"({"query":5})"), 422);
    CHECK(error_of(host.post("/api/knowledge/search", R"({"query":")" + std::string(1025, 'q') + "\"}"), 413) ==
          "query exceeds 1024 bytes");

    host.set_call("knowledge.backlinks", answer(OXIOS_OK, R"([{"source_path":"b.md","link_text":"A","context":"x"}])"));
    CHECK(json_of(host.get("/api/knowledge/backlinks?path=a.md"), 200).IsArray());
    CHECK(error_of(host.get("/api/knowledge/backlinks"), 400) == "path is required");

    host.set_call("knowledge.graph", answer(OXIOS_OK, R"({"nodes":[],"edges":[]})"));
    CHECK(json_of(host.get("/api/knowledge/graph"), 200)["edges"].IsArray());
}

TEST_CASE_FIXTURE(Fixture, "routes the UI never calls are not provided") {
    for (const char* path : {"/api/knowledge/chat/move", "/api/knowledge/stats/today", "/api/knowledge/emoji",
                             "/api/knowledge/worker/nightly", "/api/knowledge/checklist/items"}) {
        CAPTURE(path);
        auto r = host.get(path);
        CHECK(r.status == 404);
        CHECK(r.content_type == "application/json");
    }
}

TEST_CASE_FIXTURE(Fixture, "chat, checklist and journal routes: 204s, 413 and 422 before the host") {
    host.set_call("knowledge.chat_messages", answer(OXIOS_OK, R"(["#### 07 June, Sunday","- [ ] `09:00` a"])"));
    CHECK(json_of(host.get("/api/knowledge/chat/messages"), 200).Size() == 2);
    host.set_call("knowledge.chat_append", answer(OXIOS_OK, "{}"));
    CHECK(host.post("/api/knowledge/chat/append", R"({"message":"hi"})").status == 204);
    CHECK(parse(last_call(host, "knowledge.chat_append"))["message"] == "hi");
    const size_t calls = host.calls().size();
    CHECK(error_of(host.post("/api/knowledge/chat/append", R"({"message":" \n "})"), 422) == "message is required");
    error_of(host.post("/api/knowledge/chat/append", "{}"), 422);
    error_of(host.post("/api/knowledge/chat/append", R"({"message":")" + std::string(65537, 'm') + "\"}"), 413);
    CHECK(host.calls().size() == calls);

    host.set_call("knowledge.chat_delete", answer(OXIOS_OK, R"({"deleted":true})"));
    CHECK(json_of(host.post("/api/knowledge/chat/delete", R"({"msg_hash":"519984d180c"})"), 200)["deleted"].GetBool());
    host.set_call("knowledge.chat_delete", answer(OXIOS_E_INVALID, R"({"error":"msg_hash must be 11 hex digits"})"));
    CHECK(error_of(host.post("/api/knowledge/chat/delete", R"({"msg_hash":"x"})"), 400) ==
          "msg_hash must be 11 hex digits");

    host.set_call("knowledge.checklist_add", answer(OXIOS_OK, "{}"));
    CHECK(host.post("/api/knowledge/checklist/add", R"({"path":"Shop.md","item":"milk"})").status == 204);
    auto in = parse(last_call(host, "knowledge.checklist_add"));
    CHECK(in["checked"].GetBool() == false);
    CHECK(in["item"] == "milk");
    host.set_call("knowledge.checklist_add", answer(OXIOS_E_INVALID, R"({"error":"path must end in .md"})"));
    CHECK(error_of(host.post("/api/knowledge/checklist/add", R"({"path":"a","item":"x"})"), 400) ==
          "path must end in .md");

    host.set_call("knowledge.journal_today", answer(OXIOS_OK, R"({"path":"journal/2026.06 June.md","exists":false})"));
    CHECK(json_of(host.get("/api/knowledge/journal/today"), 200)["path"] == "journal/2026.06 June.md");
    host.set_call("knowledge.journal_add", answer(OXIOS_OK, "{}"));
    CHECK(host.post("/api/knowledge/journal/add", R"({"record":"ran jj"})").status == 204);
    error_of(host.post("/api/knowledge/journal/add", R"({"record":""})"), 422);
}

TEST_CASE_FIXTURE(Fixture, "habits and config routes") {
    host.set_call("knowledge.habits", answer(OXIOS_OK, R"({"Run":{"1":1}})"));
    CHECK(json_of(host.get("/api/knowledge/habits?year=2025"), 200)["Run"]["1"].GetInt() == 1);
    CHECK(parse(last_call(host, "knowledge.habits"))["year"].GetInt() == 2025);
    host.get("/api/knowledge/habits");
    CHECK_FALSE(parse(last_call(host, "knowledge.habits")).HasMember("year"));
    error_of(host.get("/api/knowledge/habits?year=soon"), 400);
    host.set_call("knowledge.config_get", answer(OXIOS_OK, R"({"mode":"full"})"));
    CHECK(json_of(host.get("/api/knowledge/config"), 200)["mode"] == "full");
    host.set_call("knowledge.config_put", answer(OXIOS_OK, "{}"));
    CHECK(host.put("/api/knowledge/config", R"({"mode":"tasks"})").status == 204);
    CHECK(parse(last_call(host, "knowledge.config_put"))["config"]["mode"] == "tasks");
    host.set_call("knowledge.config_put",
                  answer(OXIOS_E_INVALID, R"({"error":"mode: must be one of chat, full, tasks, notes, journal"})"));
    CHECK(error_of(host.put("/api/knowledge/config", R"({"mode":"zen"})"), 400).rfind("mode: ", 0) == 0);
    error_of(host.put("/api/knowledge/config", "[1]"), 400);
}

TEST_CASE_FIXTURE(Fixture, "copilot: question forwarded, budget refusal is 429, other failures mapped") {
    host.set_call("knowledge.copilot", answer(OXIOS_OK, R"({"content":"echo: x","referenced_notes":["a.md"]})"));
    auto d = json_of(host.post("/api/knowledge/copilot", R"({"question":"why?","context_path":"a.md"})"), 200);
    CHECK(d["referenced_notes"][0] == "a.md");
    auto in = parse(last_call(host, "knowledge.copilot"));
    CHECK(in["question"] == "why?");
    CHECK(in["context_path"] == "a.md");
    error_of(host.post("/api/knowledge/copilot", "{}"), 422);
    error_of(host.post("/api/knowledge/copilot", R"({"question":")" + std::string(10241, 'q') + "\"}"), 413);
    const std::pair<oxios_status, int> statuses[] = {
        {OXIOS_E_DENIED, 429}, {OXIOS_E_UPSTREAM, 502}, {OXIOS_E_BUSY, 503}, {OXIOS_E_TIMEOUT, 504}};
    for (const auto& [s, http] : statuses) {
        host.set_call("knowledge.copilot", answer(s, R"({"error":"from the host"})"));
        CHECK(error_of(host.post("/api/knowledge/copilot", R"({"question":"q"})"), http) == "from the host");
    }
}
