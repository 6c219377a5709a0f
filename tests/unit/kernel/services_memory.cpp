// memory.create / list / get / search / semantic.
#include "services_test_support.hpp"

#include <doctest/doctest.h>

#include <thread>

using namespace services_test;

namespace {

std::string create(Fixture& f, const std::string& content, const char* type = nullptr,
                   std::vector<std::string> tags = {}, double importance = -1) {
    Args a;
    a.set("content", content);
    if (type) a.set("memory_type", type);
    if (!tags.empty()) a.set("tags", tags);
    if (importance >= 0) a.set("importance", importance);
    auto doc = f.ok("memory.create", a);
    f.now += 1000000;  // one second later
    return doc["id"].GetString();
}

}  // namespace

TEST_CASE("memory.create stores a file and publishes memory_stored without content") {
    Fixture f;
    auto doc = f.ok("memory.create",
                    Args().set("content", "The sky is blue").set("tags", std::vector<std::string>{"sky", "colour"}));
    CHECK(std::string(doc["status"].GetString()) == "created");
    std::string id = doc["id"].GetString();
    CHECK(id.size() == 36);
    fs::path file = f.ws / "memory/fact" / (id + ".json");
    REQUIRE(fs::is_regular_file(file));
    auto stored = parse(slurp(file));
    CHECK(std::string(stored["content"].GetString()) == "The sky is blue");
    CHECK(std::string(stored["memory_type"].GetString()) == "fact");
    CHECK(stored["importance"].GetDouble() == doctest::Approx(0.5));

    REQUIRE(f.events.size() == 1);
    CHECK(f.events[0].type == "memory_stored");
    auto ev = parse(f.events[0].fields);
    CHECK(std::string(ev["memory_id"].GetString()) == id);
    CHECK(std::string(ev["memory_type"].GetString()) == "fact");
    CHECK(ev["tags"].Size() == 2);
    CHECK_FALSE(ev.HasMember("content"));
    CHECK(f.events[0].fields.find("sky is blue") == std::string::npos);

    std::string ep = create(f, "We met on Monday", "episode");
    CHECK(fs::is_regular_file(f.ws / "memory/episode" / (ep + ".json")));
    std::string kn = create(f, "Water boils at 100C", "knowledge");
    CHECK(fs::is_regular_file(f.ws / "memory/knowledge" / (kn + ".json")));
}

TEST_CASE("memory.create: errors") {
    Fixture f;
    Result type = f.call("memory.create", Args().set("content", "x").set("memory_type", "dream"));
    CHECK(type.status == OXIOS_E_INVALID);
    CHECK(error_of(type) == "memory_type must be fact, episode, or knowledge");

    Result big = f.call("memory.create", Args().set("content", std::string(32769, 'm')));
    CHECK(big.status == OXIOS_E_TOO_LARGE);
    CHECK(error_of(big) == "32769 bytes exceeds limit of 32768 bytes");
    CHECK(f.call("memory.create", Args().set("content", std::string(32768, 'm'))).status == OXIOS_OK);

    CHECK(f.call("memory.create", Args()).status == OXIOS_E_INVALID);
    CHECK(f.call("memory.create", Args().set("content", "   ")).status == OXIOS_E_INVALID);
    CHECK(f.call("memory.create", Args().set("content", "x").set("importance", 1.5)).status == OXIOS_E_INVALID);
    CHECK(f.call("memory.create", Args().set("content", "x").set("importance", -0.1)).status == OXIOS_E_INVALID);
    CHECK(f.call("memory.create", R"({"content":"x","tags":"not-an-array"})").status == OXIOS_E_INVALID);
    CHECK(f.call("memory.create", R"({"content":"x","tags":[1]})").status == OXIOS_E_INVALID);
    CHECK(f.call("memory.create", R"({"content":"x","importance":"high"})").status == OXIOS_E_INVALID);
    CHECK(f.events.size() == 1);  // only the one that succeeded
}

TEST_CASE("memory.list and memory.get") {
    Fixture f;
    CHECK(f.ok("memory.list", Args())["total"].GetUint64() == 0);
    std::string a = create(f, "first", "fact", {"t1"}, 0.9);
    std::string b = create(f, "second", "episode");
    std::string c = create(f, "third", "knowledge");

    auto list = f.ok("memory.list", Args());
    CHECK(list["total"].GetUint64() == 3);
    REQUIRE(list["items"].Size() == 3);
    CHECK(std::string(list["items"][0]["name"].GetString()) == c);  // newest first
    CHECK(std::string(list["items"][0]["category"].GetString()) == "knowledge");
    CHECK(std::string(list["items"][2]["name"].GetString()) == a);
    CHECK(std::string(list["items"][2]["category"].GetString()) == "fact");

    auto page = f.ok("memory.list", Args().set("page", 2).set("limit", 2));
    REQUIRE(page["items"].Size() == 1);
    CHECK(std::string(page["items"][0]["name"].GetString()) == a);

    auto got = f.ok("memory.get", Args().set("name", a));
    CHECK(std::string(got["id"].GetString()) == a);
    CHECK(std::string(got["name"].GetString()) == a);
    CHECK(std::string(got["category"].GetString()) == "fact");
    CHECK(std::string(got["content"].GetString()) == "first");
    CHECK(got["tags"].Size() == 1);
    CHECK(got["importance"].GetDouble() == doctest::Approx(0.9));
    CHECK(std::string(got["created_at"].GetString()) == "2026-05-28T20:26:40.000000Z");

    Result missing = f.call("memory.get", Args().set("name", "nope"));
    CHECK(missing.status == OXIOS_E_NOT_FOUND);
    CHECK(error_of(missing) == "memory not found");
    CHECK(f.call("memory.get", Args().set("name", "../fact/x")).status == OXIOS_E_INVALID);

    // A restart reloads the index from disk.
    f.reopen();
    CHECK(f.ok("memory.list", Args())["total"].GetUint64() == 3);
    CHECK(std::string(f.ok("memory.get", Args().set("name", b))["content"].GetString()) == "second");
}

TEST_CASE("memory.get finds an entry written to disk after the index was loaded") {
    Fixture f;
    spit(
        f.ws / "memory/knowledge/late-entry.json",
        R"({"id":"late-entry","content":"late","memory_type":"knowledge","tags":[],"importance":0.2,"created_at":"2026-01-01T00:00:00.000000Z"})");
    auto got = f.ok("memory.get", Args().set("name", "late-entry"));
    CHECK(std::string(got["category"].GetString()) == "knowledge");
    CHECK(std::string(got["content"].GetString()) == "late");
}

TEST_CASE("memory.search: keyword match over content and tags, ranked") {
    Fixture f;
    std::string low = create(f, "Rust is a systems language", "knowledge", {}, 0.1);
    std::string high = create(f, "rust prevents data races", "fact", {}, 0.9);
    std::string twice = create(f, "RUST and more rust and rust", "fact", {}, 0.2);
    std::string tagged = create(f, "Cargo builds crates", "fact", {"Rust"}, 0.5);
    create(f, "Python is dynamic", "fact", {"python"}, 1.0);
    f.events.clear();

    auto res = f.ok("memory.search", Args().set("query", "rust"));
    CHECK(res["count"].GetUint64() == 4);
    REQUIRE(res["entries"].Size() == 4);
    CHECK(std::string(res["entries"][0]["id"].GetString()) == twice);   // 3 matches
    CHECK(std::string(res["entries"][1]["id"].GetString()) == high);    // 1 match, 0.9
    CHECK(std::string(res["entries"][2]["id"].GetString()) == tagged);  // 1 match (tag), 0.5
    CHECK(std::string(res["entries"][3]["id"].GetString()) == low);
    const auto& e = res["entries"][1];
    CHECK(std::string(e["type"].GetString()) == "fact");
    CHECK(std::string(e["content"].GetString()) == "rust prevents data races");
    CHECK(e["tags"].IsArray());
    CHECK(e["importance"].GetDouble() == doctest::Approx(0.9));
    CHECK(e["created_at"].IsString());

    // All words must match.
    auto both = f.ok("memory.search", Args().set("query", "Rust  DATA"));
    REQUIRE(both["count"].GetUint64() == 1);
    CHECK(std::string(both["entries"][0]["id"].GetString()) == high);
    CHECK(f.ok("memory.search", Args().set("query", "rust python"))["count"].GetUint64() == 0);

    // Type filter and limit.
    auto kn = f.ok("memory.search", Args().set("query", "rust").set("memory_type", "knowledge"));
    REQUIRE(kn["count"].GetUint64() == 1);
    CHECK(std::string(kn["entries"][0]["id"].GetString()) == low);
    auto lim = f.ok("memory.search", Args().set("query", "rust").set("limit", 2));
    CHECK(lim["count"].GetUint64() == 2);
    CHECK(lim["entries"].Size() == 2);
    CHECK(f.call("memory.search", Args().set("query", "x").set("memory_type", "dream")).status == OXIOS_E_INVALID);

    // memory_recalled events: count and type, never the query.
    REQUIRE(f.events.size() == 5);
    CHECK(f.events[0].type == "memory_recalled");
    auto ev = parse(f.events[0].fields);
    CHECK(ev["count"].GetUint64() == 4);
    CHECK(ev["memory_type"].IsNull());
    CHECK_FALSE(ev.HasMember("query"));
    auto ev3 = parse(f.events[3].fields);
    CHECK(std::string(ev3["memory_type"].GetString()) == "knowledge");
    for (const auto& event : f.events) CHECK(event.fields.find("rust") == std::string::npos);
}

TEST_CASE("memory.semantic is UNSUPPORTED") {
    Fixture f;
    Result r = f.call("memory.semantic", Args().set("query", "anything"));
    CHECK(r.status == OXIOS_E_UNSUPPORTED);
    CHECK(error_of(r) == "semantic search is not available: the host has no semantic engine");
}

TEST_CASE("memory.stats reports the index size") {
    Fixture f;
    create(f, "one");
    create(f, "two");
    auto st = f.ok("memory.stats", Args());
    CHECK(st["enabled"].GetBool());
    CHECK(st["index_size"].GetUint64() == 2);
    CHECK(st["total_entries"].GetUint64() == 2);
}

TEST_CASE("memory: concurrent creates and searches") {
    Fixture f;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&f, t] {
            for (int i = 0; i < 25; ++i) {
                Result r = f.call("memory.create", Args().set("content", "note " + std::to_string(t) + " shared"));
                CHECK(r.status == OXIOS_OK);
                Result s = f.call("memory.search", Args().set("query", "shared"));
                CHECK(s.status == OXIOS_OK);
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(f.ok("memory.list", Args())["total"].GetUint64() == 100);
    CHECK(f.ok("memory.search", Args().set("query", "SHARED").set("limit", 500))["count"].GetUint64() == 100);
    f.reopen();
    CHECK(f.ok("memory.list", Args().set("limit", 500))["items"].Size() == 100);
}
