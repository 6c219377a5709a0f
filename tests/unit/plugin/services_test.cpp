// Routes served through host call(): success shapes and status mapping.
#include "plugin_fixture.hpp"

using namespace plugin_test;

namespace {
const char* kPage = R"({"items":[{"id":"x1"}],"total":7})";
}

TEST_CASE_FIXTURE(Fixture, "status mapping of host call errors, message passed through") {
    const std::pair<oxios_status, int> cases[] = {
        {OXIOS_E_INVALID, 400},   {OXIOS_E_DENIED, 403}, {OXIOS_E_NOT_FOUND, 404}, {OXIOS_E_CONFLICT, 409},
        {OXIOS_E_TOO_LARGE, 413}, {OXIOS_E_IO, 500},     {OXIOS_E_INTERNAL, 500},  {OXIOS_E_UNSUPPORTED, 501},
        {OXIOS_E_UPSTREAM, 502},  {OXIOS_E_BUSY, 503},   {OXIOS_E_TIMEOUT, 504},
    };
    for (const auto& [s, http] : cases) {
        host.set_call("seeds.get", answer(s, R"({"error":"host says no"})"));
        CHECK(error_of(host.get("/api/seeds/s1"), http) == "host says no");
    }
    // No message from the host: a default one.
    host.set_call("seeds.get", answer(OXIOS_E_NOT_FOUND, ""));
    CHECK(error_of(host.get("/api/seeds/s1"), 404) == "seed not found");
}

TEST_CASE_FIXTURE(Fixture, "paged lists pass page/limit and wrap the result") {
    for (const auto& [path, method] :
         std::vector<std::pair<std::string, std::string>>{{"/api/seeds", "seeds.list"},
                                                          {"/api/agents", "agents.list"},
                                                          {"/api/memory", "memory.list"},
                                                          {"/api/spaces", "spaces.list"}}) {
        CAPTURE(path);
        host.set_call(method, answer(OXIOS_OK, kPage));
        auto d = json_of(host.get(path + "?page=3&limit=2"), 200);
        CHECK(d["items"].Size() == 1);
        CHECK(d["total"].GetInt() == 7);
        CHECK(d["page"].GetInt() == 3);
        CHECK(d["limit"].GetInt() == 2);
        auto in = parse(last_call(host, method));
        CHECK(in["page"].GetInt() == 3);
        CHECK(in["limit"].GetInt() == 2);
        auto def = json_of(host.get(path), 200);
        CHECK(def["page"].GetInt() == 1);
        CHECK(def["limit"].GetInt() == 50);
    }
    host.get("/api/spaces?include_archived=true");
    CHECK(parse(last_call(host, "spaces.list"))["include_archived"].GetBool());
    host.get("/api/spaces");
    CHECK_FALSE(parse(last_call(host, "spaces.list"))["include_archived"].GetBool());
    error_of(host.get("/api/spaces?include_archived=maybe"), 400);
}

TEST_CASE_FIXTURE(Fixture, "spaces") {
    host.set_call("spaces.get", answer(OXIOS_OK, R"({"id":"sp1","name":"sp1"})"));
    CHECK(std::string(json_of(host.get("/api/spaces/sp1"), 200)["id"].GetString()) == "sp1");
    CHECK(std::string(parse(last_call(host, "spaces.get"))["id"].GetString()) == "sp1");
    host.set_call("spaces.get", answer(OXIOS_E_NOT_FOUND, R"({"error":"space not found"})"));
    CHECK(error_of(host.get("/api/spaces/zz"), 404) == "space not found");
    host.set_call("spaces.get", answer(OXIOS_E_INVALID, R"({"error":"invalid space id"})"));
    error_of(host.get("/api/spaces/zz"), 400);
    for (const char* op : {"activate", "archive"}) {
        const std::string method = std::string("spaces.") + op;
        host.set_call(method, answer(OXIOS_OK, R"({"ok":true,"space_id":"sp1"})"));
        auto d = json_of(host.post(std::string("/api/spaces/sp1/") + op, ""), 200);
        CHECK(d["ok"].GetBool());
        host.set_call(method, answer(OXIOS_E_NOT_FOUND, R"({"error":"space not found"})"));
        error_of(host.post(std::string("/api/spaces/sp1/") + op, "{}"), 404);
        host.set_call(method, answer(OXIOS_E_INVALID, R"({"error":"invalid space id"})"));
        error_of(host.post(std::string("/api/spaces/sp1/") + op, "{}"), 400);
    }
}

TEST_CASE_FIXTURE(Fixture, "agents kill") {
    host.set_call("agents.kill", answer(OXIOS_OK, R"({"status":"killed","id":"a1"})"));
    auto d = json_of(host.post("/api/agents/a1/kill", "", {{"Content-Type", "application/json"}}), 200);
    CHECK(std::string(d["status"].GetString()) == "killed");
    CHECK(std::string(d["id"].GetString()) == "a1");
    CHECK(std::string(parse(last_call(host, "agents.kill"))["id"].GetString()) == "a1");
    host.set_call("agents.kill", answer(OXIOS_E_NOT_FOUND, R"({"error":"agent not found"})"));
    CHECK(error_of(host.post("/api/agents/zz/kill", ""), 404) == "agent not found");
}

TEST_CASE_FIXTURE(Fixture, "config get and put") {
    host.set_call("config.get", answer(OXIOS_OK, R"({"gateway":{"port":4200},"engine":{"api_key_set":false}})"));
    CHECK(json_of(host.get("/api/config"), 200)["gateway"]["port"].GetInt() == 4200);
    host.set_call("config.put", answer(OXIOS_OK, R"({"gateway":{"port":4300}})"));
    auto d = json_of(host.put("/api/config", R"({"gateway":{"port":4300}})"), 200);
    CHECK(d["gateway"]["port"].GetInt() == 4300);
    auto in = parse(last_call(host, "config.put"));
    REQUIRE(in["config"].IsObject());
    CHECK(in["config"]["gateway"]["port"].GetInt() == 4300);
    host.set_call("config.put", answer(OXIOS_E_INVALID, R"({"error":"Invalid config: gateway.port: out of range"})"));
    CHECK(error_of(host.put("/api/config", R"({"gateway":{"port":0}})"), 400) ==
          "Invalid config: gateway.port: out of range");
    error_of(host.put("/api/config", "[1,2]"), 400);
    error_of(host.put("/api/config", "{nope"), 400);
}

TEST_CASE_FIXTURE(Fixture, "workspace tree") {
    host.set_call("workspace.tree", answer(OXIOS_OK, R"([{"name":"docs","is_dir":true,"size":0}])"));
    auto d = json_of(host.get("/api/workspace/tree?dir=sub%20dir"), 200);
    REQUIRE(d.IsArray());
    CHECK(std::string(parse(last_call(host, "workspace.tree"))["dir"].GetString()) == "sub dir");
    host.get("/api/workspace/tree");
    CHECK(std::string(parse(last_call(host, "workspace.tree"))["dir"].GetString()).empty());
    host.set_call("workspace.tree", answer(OXIOS_E_NOT_FOUND, R"({"error":"directory not found"})"));
    CHECK(error_of(host.get("/api/workspace/tree?dir=x"), 404) == "directory not found");
    host.set_call("workspace.tree", answer(OXIOS_E_DENIED, R"({"error":"path traversal denied"})"));
    CHECK(error_of(host.get("/api/workspace/tree?dir=../"), 403) == "path traversal denied");
}

TEST_CASE_FIXTURE(Fixture, "workspace file read: raw bytes, type by extension") {
    host.set_call("workspace.read", answer(OXIOS_OK, "# Title\n"));
    const std::pair<const char*, const char*> types[] = {
        {"a/notes.md", "text/markdown"}, {"x.json", "application/json"}, {"c.toml", "text/plain"},
        {"c.yaml", "text/plain"},        {"t.txt", "text/plain"},        {"i.html", "text/html"},
        {"s.css", "text/css"},           {"m.js", "text/javascript"},    {"bin.dat", "text/plain"},
        {"Makefile", "text/plain"},
    };
    for (const auto& [path, type] : types) {
        auto r = host.get(std::string("/api/workspace/file/") + path);
        CHECK(r.status == 200);
        CHECK_MESSAGE(r.content_type == type, path);
        CHECK(r.body == "# Title\n");
    }
    CHECK(std::string(parse(last_call(host, "workspace.read"))["path"].GetString()) == "Makefile");
    host.set_call("workspace.read", answer(OXIOS_E_NOT_FOUND, R"({"error":"file not found"})"));
    CHECK(error_of(host.get("/api/workspace/file/none.md"), 404) == "file not found");
    host.set_call("workspace.read", answer(OXIOS_E_DENIED, R"({"error":"path traversal denied"})"));
    error_of(host.get("/api/workspace/file/x.md"), 403);
}

TEST_CASE_FIXTURE(Fixture, "workspace file write: raw body, any content type, 413") {
    host.set_call("workspace.write", answer(OXIOS_OK, R"({"status":"saved","path":"a/b.md","bytes":5})"));
    auto d = json_of(host.put("/api/workspace/file/a/b.md", "hello", {{"Content-Type", "text/markdown"}}), 200);
    CHECK(std::string(d["status"].GetString()) == "saved");
    auto in = parse(last_call(host, "workspace.write"));
    CHECK(std::string(in["path"].GetString()) == "a/b.md");
    CHECK(std::string(in["content"].GetString()) == "hello");
    // A JSON-looking body is content, not parsed.
    json_of(host.put("/api/workspace/file/c.json", R"({"x":1})", {{"Content-Type", "application/json"}}), 200);
    CHECK(std::string(parse(last_call(host, "workspace.write"))["content"].GetString()) == R"({"x":1})");
    CHECK(error_of(host.put("/api/workspace/file/big.txt", std::string(1'048'577, 'x')), 413) ==
          "1048577 bytes exceeds limit of 1048576 bytes");
    host.set_call("workspace.write", answer(OXIOS_E_DENIED, R"({"error":"path traversal denied"})"));
    error_of(host.put("/api/workspace/file/x.md", "a"), 403);
    host.set_call("workspace.write", answer(OXIOS_E_IO, R"({"error":"disk full"})"));
    error_of(host.put("/api/workspace/file/x.md", "a"), 500);
}

TEST_CASE_FIXTURE(Fixture, "seeds") {
    host.set_call(
        "seeds.get",
        answer(OXIOS_OK,
               R"({"id":"s1","goal":"g","constraints":[],"generation":0,"parent_seed_id":null,"created_at":"t"})"));
    CHECK(std::string(json_of(host.get("/api/seeds/s1"), 200)["goal"].GetString()) == "g");
    host.set_call(
        "seeds.evolution",
        answer(OXIOS_OK, R"([{"id":"s1","generation":0,"goal":"g","parent_id":null,"score":0.5,"passed":false}])"));
    CHECK(json_of(host.get("/api/seeds/s1/evolution"), 200).IsArray());
    host.set_call("seeds.evolution", answer(OXIOS_E_NOT_FOUND, R"({"error":"seed evolution not found"})"));
    CHECK(error_of(host.get("/api/seeds/s1/evolution"), 404) == "seed evolution not found");
}

TEST_CASE_FIXTURE(Fixture, "skills") {
    host.set_call("skills.list", answer(OXIOS_OK, R"({"skills":[]})"));
    CHECK(json_of(host.get("/api/skills"), 200)["skills"].IsArray());
    host.set_call("skills.get", answer(OXIOS_OK, R"({"name":"k","description":"d"})"));
    CHECK(std::string(json_of(host.get("/api/skills/k"), 200)["name"].GetString()) == "k");
    host.set_call("skills.get", answer(OXIOS_E_NOT_FOUND, R"({"error":"skill not found"})"));
    CHECK(error_of(host.get("/api/skills/zz"), 404) == "skill not found");
    host.set_call("skills.content", answer(OXIOS_OK, R"({"name":"k","content":"body"})"));
    CHECK(std::string(json_of(host.get("/api/skills/k/content"), 200)["content"].GetString()) == "body");
    host.set_call("skills.content", answer(OXIOS_E_NOT_FOUND, R"({"error":"skill not found"})"));
    error_of(host.get("/api/skills/k/content"), 404);

    for (const auto& [verb, word] :
         std::vector<std::pair<std::string, std::string>>{{"enable", "enabled"}, {"disable", "disabled"}}) {
        host.set_call("skills." + verb, answer(OXIOS_OK, R"({"status":")" + word + R"(","name":"k"})"));
        CHECK(std::string(json_of(host.post("/api/skills/k/" + verb, ""), 200)["status"].GetString()) == word);
        CHECK(std::string(parse(last_call(host, "skills." + verb))["name"].GetString()) == "k");
        host.set_call("skills." + verb, answer(OXIOS_E_NOT_FOUND, R"({"error":"skill not found"})"));
        error_of(host.post("/api/skills/k/" + verb, ""), 404);
        host.set_call("skills." + verb, answer(OXIOS_E_INVALID, R"({"error":"invalid skill name"})"));
        error_of(host.post("/api/skills/k/" + verb, ""), 400);
    }
    host.set_call("skills.delete", answer(OXIOS_OK, R"({"status":"deleted","name":"k"})"));
    CHECK(std::string(json_of(host.del("/api/skills/k"), 200)["status"].GetString()) == "deleted");
    host.set_call("skills.delete", answer(OXIOS_E_NOT_FOUND, R"({"error":"skill not found"})"));
    error_of(host.del("/api/skills/k"), 404);
    host.set_call("skills.delete", answer(OXIOS_E_INVALID, R"({"error":"invalid skill name"})"));
    error_of(host.del("/api/skills/k"), 400);
}

TEST_CASE_FIXTURE(Fixture, "skills create: validation and limits") {
    host.set_call("skills.create", answer(OXIOS_OK, R"({"status":"created","name":"k"})"));
    auto d = json_of(host.post("/api/skills", R"({"name":"k","description":"d","content":"c"})"), 200);
    CHECK(std::string(d["status"].GetString()) == "created");
    auto in = parse(last_call(host, "skills.create"));
    CHECK(std::string(in["name"].GetString()) == "k");
    CHECK(std::string(in["description"].GetString()) == "d");
    CHECK(std::string(in["content"].GetString()) == "c");
    CHECK(contains(error_of(host.post("/api/skills", R"({"description":"d","content":"c"})"), 422), "name"));
    CHECK(contains(error_of(host.post("/api/skills", R"({"name":"k"})"), 422), "content"));
    CHECK(contains(error_of(host.post("/api/skills", R"({"name":1,"content":"c"})"), 422), "name"));
    error_of(host.post("/api/skills", "{bad"), 400);
    CHECK(error_of(host.post("/api/skills", R"({"name":"k","content":")" + std::string(65'537, 'z') + R"("})"), 413) ==
          "65537 bytes exceeds limit of 65536 bytes");
    host.set_call("skills.create", answer(OXIOS_E_INVALID, R"({"error":"invalid skill name"})"));
    CHECK(error_of(host.post("/api/skills", R"({"name":"../k","content":"c"})"), 400) == "invalid skill name");
    host.set_call("skills.create", answer(OXIOS_E_CONFLICT, R"({"error":"skill exists"})"));
    error_of(host.post("/api/skills", R"({"name":"k","content":"c"})"), 409);
}

TEST_CASE_FIXTURE(Fixture, "memory create") {
    host.set_call("memory.create", answer(OXIOS_OK, R"({"id":"m1","status":"created"})"));
    auto d = json_of(host.post("/api/memory", R"({"content":"the sky is blue"})"), 200);
    CHECK(std::string(d["status"].GetString()) == "created");
    auto in = parse(last_call(host, "memory.create"));
    CHECK(std::string(in["memory_type"].GetString()) == "fact");
    CHECK(in["importance"].GetDouble() == doctest::Approx(0.5));
    CHECK(in["tags"].IsArray());
    host.post("/api/memory", R"({"content":"c","memory_type":"episode","tags":["a","b"],"importance":0.9})");
    in = parse(last_call(host, "memory.create"));
    CHECK(std::string(in["memory_type"].GetString()) == "episode");
    CHECK(in["tags"].Size() == 2);
    CHECK(error_of(host.post("/api/memory", R"({"content":"c","memory_type":"dream"})"), 400) ==
          "memory_type must be fact, episode, or knowledge");
    CHECK(contains(error_of(host.post("/api/memory", R"({"memory_type":"fact"})"), 422), "content"));
    CHECK(contains(error_of(host.post("/api/memory", R"({"content":"c","tags":"x"})"), 422), "tags"));
    CHECK(contains(error_of(host.post("/api/memory", R"({"content":"c","importance":"high"})"), 422), "importance"));
    CHECK(error_of(host.post("/api/memory", R"({"content":")" + std::string(32'769, 'm') + R"("})"), 413) ==
          "32769 bytes exceeds limit of 32768 bytes");
    error_of(host.post("/api/memory", "nope"), 400);
}

TEST_CASE_FIXTURE(Fixture, "memory search, semantic, get") {
    host.set_call("memory.search", answer(OXIOS_OK, R"({"count":0,"entries":[]})"));
    auto d = json_of(host.post("/api/memory/search", R"({"query":"sky"})"), 200);
    CHECK(d["count"].GetInt() == 0);
    auto in = parse(last_call(host, "memory.search"));
    CHECK(std::string(in["query"].GetString()) == "sky");
    CHECK(in["limit"].GetInt() == 10);
    CHECK_FALSE(in.HasMember("memory_type"));
    host.post("/api/memory/search", R"({"query":"sky","memory_type":"knowledge","limit":3})");
    in = parse(last_call(host, "memory.search"));
    CHECK(std::string(in["memory_type"].GetString()) == "knowledge");
    CHECK(in["limit"].GetInt() == 3);
    CHECK(contains(error_of(host.post("/api/memory/search", "{}"), 422), "query"));
    error_of(host.post("/api/memory/search", "{"), 400);

    // No semantic engine in the host: 501 with a JSON error.
    error_of(host.post("/api/memory/semantic", R"({"query":"sky"})"), 501);
    host.set_call("memory.semantic", answer(OXIOS_E_UNSUPPORTED, R"({"error":"no semantic engine"})"));
    CHECK(error_of(host.post("/api/memory/semantic", R"({"query":"sky"})"), 501) == "no semantic engine");
    host.set_call("memory.semantic", answer(OXIOS_OK, R"({"count":0,"entries":[],"engine":"x"})"));
    json_of(host.post("/api/memory/semantic", R"({"query":"sky"})"), 200);

    host.set_call(
        "memory.get",
        answer(
            OXIOS_OK,
            R"({"id":"m1","name":"m1","category":"fact","content":"c","tags":[],"importance":0.5,"created_at":"t"})"));
    CHECK(std::string(json_of(host.get("/api/memory/m1"), 200)["name"].GetString()) == "m1");
    host.set_call("memory.get", answer(OXIOS_E_NOT_FOUND, R"({"error":"memory not found"})"));
    error_of(host.get("/api/memory/m1"), 404);
}

TEST_CASE_FIXTURE(Fixture, "approvals") {
    host.set_call("approvals.list", answer(OXIOS_OK, R"([{"id":"p1","status":"pending"}])"));
    CHECK(json_of(host.get("/api/approvals"), 200).IsArray());
    for (const auto& [verb, word] :
         std::vector<std::pair<std::string, std::string>>{{"approve", "approved"}, {"reject", "rejected"}}) {
        host.set_call("approvals." + verb, answer(OXIOS_OK, R"({"status":")" + word + R"(","id":"p1"})"));
        auto d = json_of(host.post("/api/approvals/p1/" + verb, "", {{"Content-Type", "application/json"}}), 200);
        CHECK(std::string(d["status"].GetString()) == word);
        CHECK(std::string(parse(last_call(host, "approvals." + verb))["id"].GetString()) == "p1");
        host.set_call("approvals." + verb, answer(OXIOS_E_INVALID, R"({"error":"invalid approval id"})"));
        error_of(host.post("/api/approvals/xx/" + verb, ""), 400);
        host.set_call("approvals." + verb, answer(OXIOS_E_NOT_FOUND, R"({"error":"approval not pending"})"));
        error_of(host.post("/api/approvals/p1/" + verb, ""), 404);
    }
}

TEST_CASE_FIXTURE(Fixture, "a host result that is not JSON is a 500, not garbage") {
    host.set_call("approvals.list", answer(OXIOS_OK, "definitely not json"));
    error_of(host.get("/api/approvals"), 500);
}
