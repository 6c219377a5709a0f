// Workspace files the host cannot parse: skipped, left untouched, listed by
// system.status (components.workspace of /health/ready) until read again.
#include "kernel.hpp"
#include "services_test_support.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <map>

using namespace oxios::kernel;
using namespace oxios::kernel::test;
namespace fs = std::filesystem;
using services_test::slurp;
using services_test::spit;

namespace {

// path -> reason of components.workspace.unreadable.
std::map<std::string, std::string> unreadable(Kernel& k) {
    auto status = parse(k.call("system.status", "{}").body);
    const auto& w = status["workspace"];
    std::map<std::string, std::string> out;
    for (const auto& f : w["unreadable"].GetArray()) out[f["path"].GetString()] = f["reason"].GetString();
    CHECK(w["healthy"].GetBool() == out.empty());
    return out;
}

}  // namespace

TEST_CASE("unreadable workspace files: every kind reported with its reason, none rewritten") {
    TempDir dir;
    const fs::path ws = dir.path() / "ws";
    const std::map<std::string, std::string> bad = {
        {"sessions/s1.json", "{\"id\":\"s1\",\"user_messages\":["},
        {"spaces/sp1.json", "[1,2]"},
        {"seeds/seed1.json", "not json"},
        {"memory/fact/m1.json", "{\"content\":"},
    };
    for (const auto& [path, text] : bad) spit(ws / path, text);
    spit(ws / "seeds/good.json", R"({"id":"good","goal":"g","constraints":[]})");
    spit(ws / "skills/dir-skill/SKILL.md/.keep", "");  // SKILL.md is a directory: not a skill, not reported

    Kernel::Options o;
    o.workspace_override = ws.string();
    {
        Kernel k(o);
        auto listed = unreadable(k);
        CHECK(listed.size() == 4);
        CHECK(listed["sessions/s1.json"].find("not a session file") == 0);
        CHECK(listed["spaces/sp1.json"].find("not a record of spaces") == 0);
        CHECK(listed["seeds/seed1.json"].find("not a seed") == 0);
        CHECK(listed["memory/fact/m1.json"].find("not a record of memory/fact") == 0);
        CHECK(parse(k.call("seeds.list", "{}").body)["total"].GetInt() == 1);

        // Fixed by hand: listed no more once read again.
        spit(ws / "seeds/seed1.json", R"({"id":"seed1","goal":"fixed","constraints":[]})");
        CHECK(parse(k.call("seeds.list", "{}").body)["total"].GetInt() == 2);
        CHECK(unreadable(k).count("seeds/seed1.json") == 0);
    }
    for (const auto& [path, text] : bad)
        if (path != "seeds/seed1.json") CHECK(slurp(ws / path) == text);
}
