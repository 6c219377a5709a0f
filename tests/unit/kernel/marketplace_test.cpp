// The marketplace (docs/api-operator.md, "Marketplace") over a registry directory:
// the search scoring table, slug checks before any I/O (traversal included),
// concurrent installs (one 409), installs that fail leave nothing, and an
// installed skill listed as managed.
#include "marketplace/marketplace.hpp"
#include "services_test_support.hpp"

#include <thread>

using namespace services_test;
using oxios::kernel::marketplace::Settings;

namespace {

struct Market : Fixture {
    Settings settings;
    fs::path registry_dir = ws / "marketplace";

    Market() {
        settings.max_files = 8;
        settings.max_skill_bytes = 4096;
        oxios::kernel::register_marketplace_service(*registry, context(), [this] { return settings; });
        spit(registry_dir / "git-helper" / "SKILL.md", skill_md("Git Helper", "Commits and branches"));
        spit(registry_dir / "docker" / "SKILL.md", skill_md("Docker", "Containers; works with git repos"));
        spit(registry_dir / "notes" / "SKILL.md", skill_md("Notes", "Write notes with git history"));
        spit(registry_dir / "notes" / "templates" / "daily.md", "# day\n");
        spit(registry_dir / ".hidden" / "SKILL.md", skill_md("Hidden", "git"));
    }
    rapidjson::Document search(const std::string& q) { return ok("marketplace.search", Args().set("q", q)); }
};

}  // namespace

TEST_CASE_FIXTURE(Market, "marketplace: search scores by rule 1 and orders by score, then slug") {
    auto r = search("git");
    REQUIRE(r.IsArray());
    REQUIRE(r.Size() == 3);  // .hidden skipped
    CHECK(std::string(r[0]["slug"].GetString()) == "git-helper");
    CHECK(r[0]["score"].GetDouble() == 1.0);
    CHECK(std::string(r[1]["slug"].GetString()) == "docker");  // summary only: 0.4, ties by slug
    CHECK(r[1]["score"].GetDouble() == 0.4);
    CHECK(std::string(r[2]["slug"].GetString()) == "notes");
    CHECK(std::string(r[0]["displayName"].GetString()) == "Git Helper");
    CHECK(std::string(r[0]["summary"].GetString()) == "Commits and branches");
    CHECK(std::string(r[0]["version"].GetString()) == "1.0.0");
    CHECK(r[0]["updatedAt"].IsInt64());
    CHECK_FALSE(r[0]["installed"].GetBool());

    // Two terms: "HELP" inside the name 0.7... no: "help" is inside the slug (0.7), "git" a prefix (1.0).
    auto two = search("HELP git");
    REQUIRE(two.Size() == 1);
    CHECK(two[0]["score"].GetDouble() == 0.85);
    // A term nowhere drops the skill; three decimals: (1 + 0.4 + 0.4) / 3 = 0.6.
    CHECK(search("git zebra").Size() == 0);
    auto three = search("notes write history");
    REQUIRE(three.Size() == 1);
    CHECK(three[0]["score"].GetDouble() == 0.6);
    CHECK(error_of(call("marketplace.search", Args().set("q", "   "))) == "q is required");
    CHECK(call("marketplace.search", Args().set("q", std::string(257, 'a'))).status == OXIOS_E_INVALID);
}

TEST_CASE_FIXTURE(Market, "marketplace: install copies the skill, writes .origin.json, lists it as managed") {
    auto r = ok("marketplace.install", Args().set("slug", "notes").set("_actor", "ip:1.2.3.4"));
    CHECK(std::string(r["status"].GetString()) == "installed");
    CHECK(std::string(r["targetDir"].GetString()) == "skills/notes");
    CHECK(r["changelog"].IsNull());
    CHECK(slurp(ws / "skills" / "notes" / "templates" / "daily.md") == "# day\n");
    auto origin = parse(slurp(ws / "skills" / "notes" / ".origin.json"));
    CHECK(std::string(origin["version"].GetString()) == "1.0.0");
    auto listed = ok("skills.get", Args().set("name", "notes"));
    CHECK(std::string(listed["source"].GetString()) == "managed");
    CHECK(search("notes")[0]["installed"].GetBool());
    CHECK(events.back().type == "skill_installed");
    CHECK(events.back().fields == R"({"name":"notes","version":"1.0.0","source":"marketplace"})");
    // Never overwrites.
    CHECK(call("marketplace.install", Args().set("slug", "notes")).status == OXIOS_E_CONFLICT);
}

TEST_CASE_FIXTURE(Market, "marketplace: bad slugs are refused before any I/O; unknown and wrong versions 404") {
    const std::vector<std::string> bad_slugs{"../outside", "..", "a/b", "", ".hidden", "x%2f..", std::string(65, 'a')};
    for (const auto& bad : bad_slugs) {
        CAPTURE(bad);
        CHECK(call("marketplace.install", Args().set("slug", bad)).status == OXIOS_E_INVALID);
    }
    CHECK_FALSE(fs::exists(ws / "skills"));
    CHECK(error_of(call("marketplace.install", Args().set("slug", "nope"))) == "skill not in registry");
    CHECK(error_of(call("marketplace.install", Args().set("slug", "docker").set("version", "9.9"))) ==
          "version 9.9 not available");
}

TEST_CASE_FIXTURE(Market, "marketplace: a failed install leaves nothing (symlink, no name, too many files, too big)") {
    fs::create_symlink(outside / "secret.txt", registry_dir / "docker" / "link");
    const std::string why = error_of(call("marketplace.install", Args().set("slug", "docker")));
    CHECK_MESSAGE(why.find("symlink") != std::string::npos, why);
    spit(registry_dir / "nameless" / "SKILL.md", "---\ndescription: x\n---\n");
    CHECK(call("marketplace.install", Args().set("slug", "nameless")).status == OXIOS_E_UPSTREAM);
    for (int i = 0; i < 9; ++i) spit(registry_dir / "many" / ("f" + std::to_string(i)), "x");
    spit(registry_dir / "many" / "SKILL.md", skill_md("Many", "m"));
    CHECK(call("marketplace.install", Args().set("slug", "many")).status == OXIOS_E_TOO_LARGE);
    spit(registry_dir / "big" / "SKILL.md", skill_md("Big", std::string(5000, 'b')));
    CHECK(call("marketplace.install", Args().set("slug", "big")).status == OXIOS_E_TOO_LARGE);
    spit(registry_dir / "dotted" / "SKILL.md", skill_md("Dotted", "d"));
    spit(registry_dir / "dotted" / ".env", "SECRET=1");
    CHECK(call("marketplace.install", Args().set("slug", "dotted")).status == OXIOS_E_UPSTREAM);
    CHECK(listing(ws / "skills").empty());  // no skill, no staging directory
}

TEST_CASE_FIXTURE(Market, "marketplace: of two concurrent installs one wins, the other is 409") {
    for (int round = 0; round < 5; ++round) {
        fs::remove_all(ws / "skills");
        Result a, b;
        std::thread t1([&] { a = call("marketplace.install", Args().set("slug", "notes")); });
        std::thread t2([&] { b = call("marketplace.install", Args().set("slug", "notes")); });
        t1.join();
        t2.join();
        CHECK(((a.ok() && b.status == OXIOS_E_CONFLICT) || (b.ok() && a.status == OXIOS_E_CONFLICT)));
        CHECK(listing(ws / "skills") == std::vector<std::string>{"notes", "notes/.origin.json", "notes/SKILL.md",
                                                                 "notes/templates", "notes/templates/daily.md"});
    }
}
