// knowledge.history / knowledge.restore through the git service (rule 21):
// tree-diff history of knowledge/<path>, a restore that moves history forward
// and brings the link index along.
#include "git_test_support.hpp"

#include "services/knowledge_vault.hpp"

#include <doctest/doctest.h>

using namespace git_test;

namespace {

struct VaultGit : GitFixture {
    explicit VaultGit(bool enabled = true) : GitFixture(600000, enabled) {
        oxios::kernel::ServiceContext ctx;
        ctx.workspace = ws.string();
        ctx.publish = [this](std::string_view type, std::string_view fields) {
            std::lock_guard lock(mutex);
            events.push_back({std::string(type), std::string(fields)});
            return static_cast<uint64_t>(events.size());
        };
        ctx.git = git.get();
        oxios::kernel::register_knowledge_service(*registry, ctx, [] { return oxios::kernel::KnowledgeSettings{}; });
    }
    Result put(const char* path, const char* content) {
        return registry->call("knowledge.write", Args().set("path", path).set("content", content).str());
    }
    rapidjson::Document json(const char* method, const Args& args) {
        Result r = registry->call(method, args.str());
        REQUIRE_MESSAGE(r.status == OXIOS_OK, method << " -> " << r.body);
        return parse(r.body);
    }
};

}  // namespace

TEST_CASE("knowledge history lists the commits that touched the note; restore brings an old version back") {
    VaultGit f;
    REQUIRE(f.put("Note.md", "v1 links [[Target]]").status == OXIOS_OK);
    REQUIRE(f.put("Other.md", "unrelated").status == OXIOS_OK);
    REQUIRE(f.git->flush());
    REQUIRE(f.put("Note.md", "v2 no link").status == OXIOS_OK);
    REQUIRE(f.put("Other.md", "unrelated, changed").status == OXIOS_OK);

    auto h = f.json("knowledge.history", Args().set("path", "Note.md"));  // flushes first
    REQUIRE(h["count"].GetInt() == 2);
    const std::string first = h["history"][1]["hash"].GetString();
    CHECK(std::string(h["history"][1]["message"].GetString()) == "knowledge: 2 changes");
    CHECK(f.json("knowledge.history", Args().set("path", "Missing.md"))["count"].GetInt() == 0);
    CHECK(f.registry->call("knowledge.history", Args().set("path", "../x").str()).status == OXIOS_E_DENIED);
    CHECK(f.json("knowledge.backlinks", Args().set("path", "Target.md")).Size() == 0);

    auto r = f.json("knowledge.restore", Args().set("path", "Note.md").set("hash", first.substr(0, 8)));
    CHECK(std::string(r["status"].GetString()) == "restored");
    CHECK(std::string(r["path"].GetString()) == "Note.md");
    CHECK(std::string(r["from"].GetString()) == first);
    CHECK(slurp(f.ws / "knowledge/Note.md") == "v1 links [[Target]]");
    CHECK(slurp(f.ws / "knowledge/Other.md") == "unrelated, changed");                  // one file only
    CHECK(f.json("knowledge.backlinks", Args().set("path", "Target.md")).Size() == 1);  // the index followed
    CHECK(f.events.back().type == "knowledge_changed");
    CHECK(f.events.back().fields == R"({"path":"Note.md","change":"restored","source":"file"})");
    CHECK(f.json("knowledge.history", Args().set("path", "Note.md"))["count"].GetInt() == 3);  // forward only

    CHECK(f.registry->call("knowledge.restore", Args().set("path", "Note.md").set("hash", "ffffffff").str()).status ==
          OXIOS_E_NOT_FOUND);
}

TEST_CASE("knowledge history is empty and restore unavailable when git is off") {
    VaultGit f(false);
    REQUIRE(f.put("Note.md", "x").status == OXIOS_OK);
    auto h = f.json("knowledge.history", Args().set("path", "Note.md"));
    CHECK(h["count"].GetInt() == 0);
    CHECK(f.registry->call("knowledge.restore", Args().set("path", "Note.md").set("hash", "abcd").str()).status ==
          OXIOS_E_BUSY);
}
