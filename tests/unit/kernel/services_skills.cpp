// skills.list / get / content / create / delete / enable / disable.
#include "services_test_support.hpp"

#include <doctest/doctest.h>

using namespace services_test;

namespace {

void check_skill_shape(const rapidjson::Value& s) {
    for (const char* key : {"name", "description", "source", "status", "file_path", "format"}) {
        INFO(key);
        REQUIRE(s.HasMember(key));
        CHECK(s[key].IsString());
    }
    for (const char* key : {"author", "version", "emoji", "homepage"}) {
        INFO(key);
        REQUIRE(s.HasMember(key));
        CHECK((s[key].IsString() || s[key].IsNull()));
    }
    for (const char* key : {"bundled", "eligible", "always", "user_invocable"}) {
        INFO(key);
        REQUIRE(s.HasMember(key));
        CHECK(s[key].IsBool());
    }
    for (const char* key : {"requirements", "missing"}) {
        INFO(key);
        REQUIRE(s.HasMember(key));
        REQUIRE(s[key].IsObject());
        for (const char* sub : {"bins", "anyBins", "env", "config"}) {
            INFO(sub);
            REQUIRE(s[key].HasMember(sub));
            CHECK(s[key][sub].IsArray());
        }
    }
    for (const char* key : {"os", "install", "config_checks"}) {
        INFO(key);
        REQUIRE(s.HasMember(key));
        CHECK(s[key].IsArray());
    }
    CHECK(std::string(s["format"].GetString()) == "oxios");
    std::string status = s["status"].GetString();
    CHECK((status == "ready" || status == "needs_setup" || status == "disabled"));
}

const rapidjson::Value* find_skill(const rapidjson::Document& list, const std::string& name) {
    for (auto& s : list["skills"].GetArray())
        if (name == s["name"].GetString()) return &s;
    return nullptr;
}

}  // namespace

TEST_CASE("skills.create, list, get and content") {
    Fixture f;
    CHECK(f.ok("skills.list", Args())["skills"].Size() == 0);

    auto created = f.ok("skills.create", Args()
                                             .set("name", "git-helper")
                                             .set("description", "Helps with \"git\"\nand more")
                                             .set("content", "Use git wisely."));
    CHECK(std::string(created["status"].GetString()) == "created");
    CHECK(std::string(created["name"].GetString()) == "git-helper");
    CHECK(fs::is_regular_file(f.ws / "skills/git-helper/SKILL.md"));
    std::string file = slurp(f.ws / "skills/git-helper/SKILL.md");
    CHECK(file.rfind("---\nname: git-helper\n", 0) == 0);
    CHECK(file.find("Use git wisely.") != std::string::npos);

    auto list = f.ok("skills.list", Args());
    REQUIRE(list["skills"].Size() == 1);
    const auto& s = list["skills"][0];
    check_skill_shape(s);
    CHECK(std::string(s["name"].GetString()) == "git-helper");
    CHECK(std::string(s["description"].GetString()) == "Helps with \"git\"\nand more");
    CHECK(std::string(s["status"].GetString()) == "ready");
    CHECK(s["eligible"].GetBool());
    CHECK_FALSE(s["bundled"].GetBool());
    CHECK(s["user_invocable"].GetBool());
    CHECK(std::string(s["file_path"].GetString()) == (f.ws / "skills/git-helper/SKILL.md").string());

    auto one = f.ok("skills.get", Args().set("name", "git-helper"));
    check_skill_shape(one);
    CHECK(std::string(one["name"].GetString()) == "git-helper");

    auto content = f.ok("skills.content", Args().set("name", "git-helper"));
    CHECK(std::string(content["name"].GetString()) == "git-helper");
    CHECK(std::string(content["content"].GetString()) == file);
}

TEST_CASE("skills.create: validation, conflict and size limit") {
    Fixture f;
    for (const char* bad : {"../evil", "a b", "", "x/y", ".hidden"}) {
        Result r = f.call("skills.create", Args().set("name", bad).set("description", "d").set("content", "c"));
        CHECK_MESSAGE(r.status == OXIOS_E_INVALID, bad);
    }
    CHECK(f.call("skills.create", Args().set("name", std::string(65, 'a')).set("content", "c")).status ==
          OXIOS_E_INVALID);
    CHECK(f.call("skills.create", Args().set("name", std::string(64, 'a')).set("content", "c")).status == OXIOS_OK);
    CHECK_FALSE(fs::exists(f.tmp.path() / "evil"));

    Result big = f.call("skills.create", Args().set("name", "big").set("content", std::string(65537, 'x')));
    CHECK(big.status == OXIOS_E_TOO_LARGE);
    CHECK(error_of(big) == "65537 bytes exceeds limit of 65536 bytes");
    CHECK_FALSE(fs::exists(f.ws / "skills/big"));
    CHECK(f.call("skills.create", Args().set("name", "max").set("content", std::string(65536, 'x'))).status ==
          OXIOS_OK);

    f.ok("skills.create", Args().set("name", "dup").set("description", "d").set("content", "c"));
    Result again = f.call("skills.create", Args().set("name", "dup").set("description", "d").set("content", "other"));
    CHECK(again.status == OXIOS_E_CONFLICT);
    CHECK(slurp(f.ws / "skills/dup/SKILL.md").find("other") == std::string::npos);
}

TEST_CASE("skills: unknown and invalid names") {
    Fixture f;
    for (const char* m : {"skills.get", "skills.content", "skills.delete", "skills.enable", "skills.disable"}) {
        INFO(m);
        Result nf = f.call(m, Args().set("name", "ghost"));
        CHECK(nf.status == OXIOS_E_NOT_FOUND);
        CHECK(error_of(nf) == "skill not found");
        CHECK(f.call(m, Args().set("name", "../ghost")).status == OXIOS_E_INVALID);
        CHECK(f.call(m, Args()).status == OXIOS_E_INVALID);
    }
}

TEST_CASE("skills.disable / enable persist across a restart; delete removes") {
    Fixture f;
    f.ok("skills.create", Args().set("name", "s1").set("description", "one").set("content", "body"));
    auto dis = f.ok("skills.disable", Args().set("name", "s1"));
    CHECK(std::string(dis["status"].GetString()) == "disabled");
    CHECK(std::string(dis["name"].GetString()) == "s1");
    CHECK(std::string(f.ok("skills.get", Args().set("name", "s1"))["status"].GetString()) == "disabled");

    f.reopen();
    auto list = f.ok("skills.list", Args());
    REQUIRE(find_skill(list, "s1"));
    CHECK(std::string((*find_skill(list, "s1"))["status"].GetString()) == "disabled");

    auto en = f.ok("skills.enable", Args().set("name", "s1"));
    CHECK(std::string(en["status"].GetString()) == "enabled");
    CHECK(std::string(f.ok("skills.get", Args().set("name", "s1"))["status"].GetString()) == "ready");
    f.ok("skills.enable", Args().set("name", "s1"));  // idempotent

    auto del = f.ok("skills.delete", Args().set("name", "s1"));
    CHECK(std::string(del["status"].GetString()) == "deleted");
    CHECK(std::string(del["name"].GetString()) == "s1");
    CHECK_FALSE(fs::exists(f.ws / "skills/s1"));
    CHECK(f.call("skills.get", Args().set("name", "s1")).status == OXIOS_E_NOT_FOUND);
    // The name can be used again.
    f.ok("skills.create", Args().set("name", "s1").set("description", "again").set("content", "body"));
}

TEST_CASE("skills: front matter fields and requirements") {
    Fixture f;
    spit(f.ws / "skills/fancy/SKILL.md",
         "---\n"
         "name: fancy\n"
         "description: 'It''s fancy'\n"
         "version: 1.2.3\n"
         "author: \"Ada\"\n"
         "emoji: 🔧\n"
         "homepage: https://example.org/fancy\n"
         "always: true\n"
         "user_invocable: false\n"
         "os: [linux, darwin]\n"
         "requires:\n"
         "  bins: [sh, oxios-definitely-missing-bin]\n"
         "  anyBins:\n"
         "    - oxios-missing-one\n"
         "    - sh\n"
         "  env: [OXIOS_TEST_SURELY_UNSET_VAR, PATH]\n"
         "  config: [engine.default_model]\n"
         "---\n"
         "# Fancy\nbody\n");
    spit(f.ws / "skills/plain/SKILL.md", "no front matter at all\n");
    spit(f.ws / "skills/winonly/SKILL.md", "---\ndescription: windows only\nos: [windows]\n---\n");
    fs::create_directories(f.ws / "skills/empty-dir");  // not a skill

    auto list = f.ok("skills.list", Args());
    REQUIRE(list["skills"].Size() == 3);
    CHECK(std::string(list["skills"][0]["name"].GetString()) == "fancy");  // sorted by name

    const auto& s = *find_skill(list, "fancy");
    check_skill_shape(s);
    CHECK(std::string(s["description"].GetString()) == "It's fancy");
    CHECK(std::string(s["version"].GetString()) == "1.2.3");
    CHECK(std::string(s["author"].GetString()) == "Ada");
    CHECK(std::string(s["emoji"].GetString()) == "🔧");
    CHECK(std::string(s["homepage"].GetString()) == "https://example.org/fancy");
    CHECK(s["always"].GetBool());
    CHECK_FALSE(s["user_invocable"].GetBool());
    CHECK(s["os"].Size() == 2);
    CHECK(s["requirements"]["bins"].Size() == 2);
    CHECK(s["requirements"]["anyBins"].Size() == 2);
    CHECK(s["requirements"]["env"].Size() == 2);
    CHECK(s["requirements"]["config"].Size() == 1);
    REQUIRE(s["missing"]["bins"].Size() == 1);
    CHECK(std::string(s["missing"]["bins"][0].GetString()) == "oxios-definitely-missing-bin");
    CHECK(s["missing"]["anyBins"].Size() == 0);  // sh is there
    REQUIRE(s["missing"]["env"].Size() == 1);
    CHECK(std::string(s["missing"]["env"][0].GetString()) == "OXIOS_TEST_SURELY_UNSET_VAR");
    CHECK(std::string(s["status"].GetString()) == "needs_setup");
    CHECK_FALSE(s["eligible"].GetBool());

    const auto& p = *find_skill(list, "plain");
    check_skill_shape(p);
    CHECK(std::string(p["description"].GetString()).empty());
    CHECK(p["author"].IsNull());
    CHECK(std::string(p["status"].GetString()) == "ready");

    const auto& w = *find_skill(list, "winonly");
    CHECK(std::string(w["status"].GetString()) == "needs_setup");
    CHECK_FALSE(w["eligible"].GetBool());

    // Disabled wins over needs_setup.
    f.ok("skills.disable", Args().set("name", "fancy"));
    CHECK(std::string(f.ok("skills.get", Args().set("name", "fancy"))["status"].GetString()) == "disabled");
}
