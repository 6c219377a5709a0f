// seeds.list / seeds.get / seeds.evolution.
#include "services_test_support.hpp"

#include <doctest/doctest.h>

using namespace services_test;

namespace {

void write_seed(Fixture& f, const std::string& id, const std::string& goal, const std::string& created_at,
                const char* parent = nullptr, int generation = 1, std::vector<std::string> constraints = {}) {
    rapidjson::Document d;
    d.SetObject();
    auto& a = d.GetAllocator();
    d.AddMember("id", rapidjson::Value(id.c_str(), a), a);
    d.AddMember("goal", rapidjson::Value(goal.c_str(), a), a);
    rapidjson::Value cs(rapidjson::kArrayType);
    for (auto& c : constraints) cs.PushBack(rapidjson::Value(c.c_str(), a), a);
    d.AddMember("constraints", cs, a);
    d.AddMember("generation", generation, a);
    if (parent)
        d.AddMember("parent_seed_id", rapidjson::Value(parent, a), a);
    else
        d.AddMember("parent_seed_id", rapidjson::Value(), a);
    d.AddMember("created_at", rapidjson::Value(created_at.c_str(), a), a);
    d.AddMember("extra", "kept", a);
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    d.Accept(w);
    spit(f.ws / "seeds" / (id + ".json"), buf.GetString());
}

}  // namespace

TEST_CASE("seeds.list: empty workspace") {
    Fixture f;
    auto doc = f.ok("seeds.list", Args());
    CHECK(doc["items"].IsArray());
    CHECK(doc["items"].Size() == 0);
    CHECK(doc["total"].GetUint64() == 0);
}

TEST_CASE("seeds.list: newest first, paged, with constraint counts") {
    Fixture f;
    write_seed(f, "s1", "first", "2026-01-01T00:00:00.000000Z", nullptr, 1, {"a"});
    write_seed(f, "s2", "second", "2026-03-01T00:00:00.000000Z", "s1", 2, {"a", "b", "c"});
    write_seed(f, "s3", "third", "2026-02-01T00:00:00.000000Z");
    spit(f.ws / "seeds/broken.json", "{not json");
    spit(f.ws / "seeds/readme.txt", "ignored");

    auto all = f.ok("seeds.list", Args());
    CHECK(all["total"].GetUint64() == 3);
    REQUIRE(all["items"].Size() == 3);
    CHECK(std::string(all["items"][0]["id"].GetString()) == "s2");
    CHECK(std::string(all["items"][1]["id"].GetString()) == "s3");
    CHECK(std::string(all["items"][2]["id"].GetString()) == "s1");
    CHECK(std::string(all["items"][0]["goal"].GetString()) == "second");
    CHECK(all["items"][0]["constraints_count"].GetUint64() == 3);
    CHECK(std::string(all["items"][0]["created_at"].GetString()) == "2026-03-01T00:00:00.000000Z");

    auto page2 = f.ok("seeds.list", Args().set("page", 2).set("limit", 1));
    CHECK(page2["total"].GetUint64() == 3);
    REQUIRE(page2["items"].Size() == 1);
    CHECK(std::string(page2["items"][0]["id"].GetString()) == "s3");

    auto beyond = f.ok("seeds.list", Args().set("page", 9).set("limit", 50));
    CHECK(beyond["items"].Size() == 0);
    CHECK(beyond["total"].GetUint64() == 3);
}

TEST_CASE("seeds.get: the stored seed, or NOT_FOUND / INVALID") {
    Fixture f;
    write_seed(f, "seed-1", "a goal", "2026-01-01T00:00:00.000000Z", nullptr, 1, {"x", "y"});
    auto doc = f.ok("seeds.get", Args().set("id", "seed-1"));
    CHECK(std::string(doc["id"].GetString()) == "seed-1");
    CHECK(std::string(doc["goal"].GetString()) == "a goal");
    CHECK(doc["constraints"].Size() == 2);
    CHECK(doc["generation"].GetInt() == 1);
    CHECK(doc["parent_seed_id"].IsNull());
    CHECK(std::string(doc["extra"].GetString()) == "kept");

    Result missing = f.call("seeds.get", Args().set("id", "nope"));
    CHECK(missing.status == OXIOS_E_NOT_FOUND);
    CHECK(error_of(missing) == "seed not found");

    for (const char* bad : {"../seeds/seed-1", "a b", "", "x/y"}) {
        Result r = f.call("seeds.get", Args().set("id", bad));
        CHECK_MESSAGE(r.status == OXIOS_E_INVALID, bad);
    }
    CHECK(f.call("seeds.get", Args().set("id", std::string(129, 'a'))).status == OXIOS_E_INVALID);
    CHECK(f.call("seeds.get", Args()).status == OXIOS_E_INVALID);

    spit(f.ws / "seeds/corrupt.json", "[1,2]");
    CHECK(f.call("seeds.get", Args().set("id", "corrupt")).status == OXIOS_E_IO);
}

TEST_CASE("seeds.evolution: root first, with evaluation scores") {
    Fixture f;
    write_seed(f, "root", "g0", "2026-01-01T00:00:00.000000Z", nullptr, 0);
    write_seed(f, "child", "g1", "2026-01-02T00:00:00.000000Z", "root", 1);
    write_seed(f, "grandchild", "g2", "2026-01-03T00:00:00.000000Z", "child", 2);
    spit(f.ws / "evals/root-eval.md", "# Evaluation\n\nscore: 0.42\npassed: false\n");
    spit(f.ws / "evals/child-eval.md", "# Evaluation\n- **Score**: 0.9\n- **Passed**: true\nscore: 0.1\n");

    auto doc = f.ok("seeds.evolution", Args().set("id", "grandchild"));
    REQUIRE(doc.IsArray());
    REQUIRE(doc.Size() == 3);
    CHECK(std::string(doc[0]["id"].GetString()) == "root");
    CHECK(doc[0]["generation"].GetInt() == 0);
    CHECK(std::string(doc[0]["goal"].GetString()) == "g0");
    CHECK(doc[0]["parent_id"].IsNull());
    CHECK(doc[0]["score"].GetDouble() == doctest::Approx(0.42));
    CHECK(doc[0]["passed"].GetBool() == false);
    CHECK(std::string(doc[1]["id"].GetString()) == "child");
    CHECK(std::string(doc[1]["parent_id"].GetString()) == "root");
    CHECK(doc[1]["score"].GetDouble() == doctest::Approx(0.9));
    CHECK(doc[1]["passed"].GetBool() == true);
    CHECK(std::string(doc[2]["id"].GetString()) == "grandchild");
    CHECK(doc[2]["generation"].GetInt() == 2);
    CHECK(doc[2]["score"].IsNull());
    CHECK(doc[2]["passed"].IsNull());

    auto single = f.ok("seeds.evolution", Args().set("id", "root"));
    CHECK(single.Size() == 1);
}

TEST_CASE("seeds.evolution: missing seed, missing ancestor, invalid id, cycles") {
    Fixture f;
    Result missing = f.call("seeds.evolution", Args().set("id", "ghost"));
    CHECK(missing.status == OXIOS_E_NOT_FOUND);
    CHECK(error_of(missing) == "seed evolution not found");
    CHECK(f.call("seeds.evolution", Args().set("id", "../x")).status == OXIOS_E_INVALID);

    // The parent is gone: the chain starts at the oldest seed still present.
    write_seed(f, "orphan", "o", "2026-01-01T00:00:00.000000Z", "deleted-parent", 3);
    auto orphan = f.ok("seeds.evolution", Args().set("id", "orphan"));
    REQUIRE(orphan.Size() == 1);
    CHECK(std::string(orphan[0]["parent_id"].GetString()) == "deleted-parent");

    // a -> b -> a, and a seed that is its own parent: the walk ends.
    write_seed(f, "a", "A", "2026-01-01T00:00:00.000000Z", "b", 2);
    write_seed(f, "b", "B", "2026-01-01T00:00:00.000000Z", "a", 1);
    write_seed(f, "self", "S", "2026-01-01T00:00:00.000000Z", "self", 1);
    auto cyc = f.ok("seeds.evolution", Args().set("id", "a"));
    REQUIRE(cyc.Size() == 2);
    CHECK(std::string(cyc[0]["id"].GetString()) == "b");
    CHECK(std::string(cyc[1]["id"].GetString()) == "a");
    CHECK(f.ok("seeds.evolution", Args().set("id", "self")).Size() == 1);
}
