// The record store's contract (store/record_store.hpp) on both backends, and
// spaces kept through it.
#include "infra/clock.hpp"
#include "services/service_registry.hpp"
#include "spaces.hpp"
#include "store/file_record_store.hpp"
#include "store/pg_pool.hpp"
#include "store/pg_record_store.hpp"
#include "store/pg_schema.hpp"
#include "support/pg_server.hpp"
#include "unit/kernel/test_util.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <memory>
#include <thread>

using namespace oxios::kernel;
using namespace oxios::kernel::test;

namespace {

struct Both {
    TempDir dir;
    FileRecordStore files{dir.path(), clock::now_us, nullptr};
    std::shared_ptr<pg::Pool> pool;
    std::unique_ptr<PgRecordStore> pg;
    Both() {
        pool = std::make_shared<pg::Pool>(oxios::test::shared_pg_server().fresh_database(), 2);
        pool->run([](pg::Connection& c) { pg::migrate(c); });
        pg = std::make_unique<PgRecordStore>(pool);
    }
};

}  // namespace

TEST_CASE("both record backends: put, get, load_all, remove") {
    Both both;
    for (RecordStore* store : {static_cast<RecordStore*>(&both.files), static_cast<RecordStore*>(both.pg.get())}) {
        CHECK_FALSE(store->get("things", "a").has_value());
        store->put("things", "b", R"({"n":2})");
        store->put("things", "a", R"({"n":1})");
        store->put("things", "a", R"({"n":3})");
        store->put("other", "a", R"({"x":true})");
        CHECK(store->get("things", "a").value() == R"({"n":3})");
        auto all = store->load_all("things", RecordStore::OnBad::keep_and_report);
        REQUIRE(all.size() == 2);
        CHECK(all[0].key == "a");
        CHECK(all[1].json == R"({"n":2})");
        CHECK(store->remove("things", "a"));
        CHECK_FALSE(store->remove("things", "a"));
        CHECK(store->load_all("things", RecordStore::OnBad::keep_and_report).size() == 1);
        CHECK_THROWS(store->put("things", "../x", "{}"));
    }
    CHECK(std::filesystem::exists(both.dir.path() / "other" / "a.json"));
}

TEST_CASE("files record backend: a bad file is kept and reported, or set aside, as the collection asks") {
    TempDir dir;
    UnreadableFiles unreadable(dir.str());
    FileRecordStore store(dir.path(), clock::now_us, &unreadable);
    std::filesystem::create_directories(dir.path() / "keep");
    std::filesystem::create_directories(dir.path() / "state");
    std::ofstream(dir.path() / "keep" / "bad.json") << "{not json";
    std::ofstream(dir.path() / "state" / "bad.json") << "[1,2]";
    CHECK(store.load_all("keep", RecordStore::OnBad::keep_and_report).empty());
    CHECK(std::filesystem::exists(dir.path() / "keep" / "bad.json"));
    CHECK(unreadable.list().size() == 1);
    CHECK(store.load_all("state", RecordStore::OnBad::set_aside).empty());
    CHECK_FALSE(std::filesystem::exists(dir.path() / "state" / "bad.json"));
    size_t aside = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path() / "state"))
        aside += e.path().filename().string().starts_with("bad.json.corrupt-") ? 1 : 0;
    CHECK(aside == 1);
}

TEST_CASE("spaces on PostgreSQL: what one host stores, a host started after sees") {
    Both both;
    SpaceStore::Publish publish = [](std::string_view, const rapidjson::Value&) {};
    {
        SpaceStore spaces(*both.pg, publish, clock::now_us);
        std::string id;
        REQUIRE(spaces.resolve_for_chat("team-a", id) == OXIOS_OK);
        CHECK(spaces.activate("team-a").status == OXIOS_OK);
    }
    SpaceStore again(*both.pg, publish, clock::now_us);
    CHECK(again.active_id().value_or("") == "team-a");
    CHECK(parse(again.get("team-a").body)["source"].GetString() == std::string("chat"));
}

namespace {

// A counter document {"n":N} bumped by one atomic update.
void bump(RecordStore& store) {
    store.update("things", "counter", [](const std::optional<std::string>& stored) {
        const int64_t n = stored ? parse(*stored)["n"].GetInt64() : 0;
        return std::optional<std::string>("{\"n\":" + std::to_string(n + 1) + "}");
    });
}

}  // namespace

TEST_CASE("both record backends: update creates, changes, leaves alone and writes nothing when fn throws") {
    Both both;
    for (RecordStore* store : {static_cast<RecordStore*>(&both.files), static_cast<RecordStore*>(both.pg.get())}) {
        // Nothing stored and nothing written: no trace (no placeholder row).
        auto none = store->update("things", "a", [](const std::optional<std::string>& s) {
            CHECK_FALSE(s.has_value());
            return std::optional<std::string>();
        });
        CHECK_FALSE(none.has_value());
        CHECK_FALSE(store->get("things", "a").has_value());
        CHECK(store->load_all("things", RecordStore::OnBad::keep_and_report).empty());
        bump(*store);
        bump(*store);
        CHECK(store->get("things", "counter").value() == R"({"n":2})");
        CHECK_THROWS_AS(store->update("things", "counter",
                                      [](const std::optional<std::string>&) -> std::optional<std::string> {
                                          throw std::runtime_error("refused");
                                      }),
                        std::runtime_error);
        CHECK(store->get("things", "counter").value() == R"({"n":2})");
        CHECK_THROWS(store->update("things", "../x", [](const auto&) { return std::optional<std::string>("{}"); }));
    }
}

TEST_CASE("PostgreSQL record backend: two hosts updating one document at once lose no update") {
    const std::string url = oxios::test::shared_pg_server().fresh_database();
    auto pool_a = std::make_shared<pg::Pool>(url, 3), pool_b = std::make_shared<pg::Pool>(url, 3);
    pool_a->run([](pg::Connection& c) { pg::migrate(c); });
    PgRecordStore a(pool_a), b(pool_b);
    constexpr int kThreads = 3, kEach = 40;
    std::vector<std::thread> threads;
    for (PgRecordStore* s : {&a, &b})
        for (int t = 0; t < kThreads; ++t)
            threads.emplace_back([s] {
                for (int i = 0; i < kEach; ++i) bump(*s);
            });
    for (auto& t : threads) t.join();
    CHECK(a.get("things", "counter").value() == "{\"n\":" + std::to_string(2 * kThreads * kEach) + "}");
}

TEST_CASE("files record backend: threads updating one document lose no update") {
    TempDir dir;
    FileRecordStore store(dir.path(), clock::now_us, nullptr);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&store] {
            for (int i = 0; i < 50; ++i) bump(store);
        });
    for (auto& t : threads) t.join();
    CHECK(store.get("things", "counter").value() == R"({"n":200})");
}

TEST_CASE("files record backend: get_or_set_aside reads a state file once, and sets a corrupt one aside") {
    TempDir dir;
    FileRecordStore store(dir.path(), clock::now_us, nullptr);
    std::filesystem::create_directories(dir.path() / ".oxios");
    std::ofstream(dir.path() / ".oxios" / "good.json") << R"({"ok":true})";
    std::ofstream(dir.path() / ".oxios" / "bad.json") << "{\"truncated";
    CHECK(store.get_or_set_aside(".oxios", "good").value() == R"({"ok":true})");
    CHECK_FALSE(store.get_or_set_aside(".oxios", "bad").has_value());
    CHECK_FALSE(store.get_or_set_aside(".oxios", "missing").has_value());
    size_t aside = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path() / ".oxios"))
        aside += e.path().filename().string().starts_with("bad.json.corrupt-") ? 1 : 0;
    CHECK(aside == 1);
    CHECK(std::filesystem::exists(dir.path() / ".oxios" / "good.json"));  // only the one asked for
}
