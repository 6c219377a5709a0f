#include "spaces.hpp"
#include "agents.hpp"
#include "infra/clock.hpp"
#include "services/service_registry.hpp"
#include "store/file_record_store.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include <fstream>

using namespace oxios::kernel;
using namespace oxios::kernel::test;

TEST_CASE("spaces: list/get/activate/archive through the registry") {
    TempDir dir;
    std::vector<std::string> events;
    auto publish = [&](std::string_view type, const rapidjson::Value&) { events.emplace_back(type); };
    FileRecordStore records(dir.path(), clock::now_us, nullptr);
    SpaceStore spaces(records, publish, clock::now_us);
    ServiceRegistry reg;
    register_spaces_methods(reg, spaces);
    std::string id;
    REQUIRE(spaces.resolve_for_chat("alpha", id) == OXIOS_OK);
    REQUIRE(spaces.resolve_for_chat("beta", id) == OXIOS_OK);
    CHECK(spaces.resolve_for_chat("../bad", id) == OXIOS_E_INVALID);

    CHECK(reg.call("spaces.get", R"({"id":"nope"})").status == OXIOS_E_NOT_FOUND);
    CHECK(reg.call("spaces.get", R"({"id":"a/b"})").status == OXIOS_E_INVALID);
    CHECK(reg.call("spaces.activate", R"({"id":"nope"})").status == OXIOS_E_NOT_FOUND);

    auto r = reg.call("spaces.activate", R"({"id":"alpha"})");
    REQUIRE(r.ok());
    CHECK(std::string(parse(r.body)["space_id"].GetString()) == "alpha");
    CHECK(parse(r.body)["ok"].GetBool());
    REQUIRE(reg.call("spaces.activate", R"({"id":"beta"})").ok());
    CHECK(!parse(reg.call("spaces.get", R"({"id":"alpha"})").body)["active"].GetBool());
    CHECK(parse(reg.call("spaces.get", R"({"id":"beta"})").body)["active"].GetBool());
    CHECK(*spaces.active_id() == "beta");

    auto list = parse(reg.call("spaces.list", R"({"page":1,"limit":50})").body);
    CHECK(list["total"].GetInt() == 2);
    CHECK(std::string(list["items"][0]["id"].GetString()) == "beta");  // most recently active first
    for (const char* key : {"id", "name", "source", "active", "archived", "tags", "paths", "interaction_count",
                            "created_at", "last_active_at"})
        CHECK(list["items"][0].HasMember(key));

    REQUIRE(reg.call("spaces.archive", R"({"id":"beta"})").ok());
    CHECK(!spaces.active_id().has_value());
    CHECK(parse(reg.call("spaces.list", "{}").body)["total"].GetInt() == 1);
    CHECK(parse(reg.call("spaces.list", R"({"include_archived":true})").body)["total"].GetInt() == 2);
    // Activating an archived space restores it.
    REQUIRE(reg.call("spaces.activate", R"({"id":"beta"})").ok());
    auto beta = parse(reg.call("spaces.get", R"({"id":"beta"})").body);
    CHECK(!beta["archived"].GetBool());
    CHECK(beta["active"].GetBool());
    CHECK(std::count(events.begin(), events.end(), "space_archived") == 1);
    CHECK(std::count(events.begin(), events.end(), "space_created") == 2);

    // State survives a restart.
    SpaceStore again(records, publish, clock::now_us);
    CHECK(*again.active_id() == "beta");
    CHECK(again.count_unarchived() == 2);
}

TEST_CASE("agents: list and kill through the registry") {
    AgentRegistry agents(nullptr, clock::now_us);
    ServiceRegistry reg;
    register_agents_methods(reg, agents);
    bool killed = false;
    const auto id = agents.start("chat-echo", "", [&] { killed = true; });
    auto list = parse(reg.call("agents.list", R"({"page":1,"limit":10})").body);
    REQUIRE(list["total"].GetInt() == 1);
    for (const char* key : {"id", "name", "status", "created_at", "seed_id"}) CHECK(list["items"][0].HasMember(key));
    auto r = reg.call("agents.kill", "{\"id\":\"" + id + "\"}");
    REQUIRE(r.ok());
    CHECK(std::string(parse(r.body)["status"].GetString()) == "killed");
    CHECK(std::string(parse(r.body)["id"].GetString()) == id);
    CHECK(killed);
    auto missing = reg.call("agents.kill", R"({"id":"nope"})");
    CHECK(missing.status == OXIOS_E_NOT_FOUND);
    CHECK(missing.body.find("agent not found") != std::string::npos);
    agents.finish(id, false, "agent killed");
    CHECK(agents.counts().failed == 1);
    CHECK(agents.counts().forked == 1);
    CHECK(agents.counts().active == 0);
}
