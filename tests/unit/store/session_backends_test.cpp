// The session store's contract, run against both backends (files and a
// throwaway PostgreSQL): same JSON out of the same calls.
#include "file_session_store.hpp"
#include "store/pg_pool.hpp"
#include "store/pg_schema.hpp"
#include "store/pg_session_store.hpp"
#include "store/session_transfer.hpp"
#include "support/pg_server.hpp"
#include "unit/kernel/test_util.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

using namespace oxios::kernel;
using namespace oxios::kernel::test;

namespace {

std::atomic<int64_t> fake_now{1'700'000'000'000'000};
int64_t tick() { return fake_now += 1000; }

struct Backend {
    std::string name;
    std::unique_ptr<TempDir> dir;
    std::shared_ptr<pg::Pool> pool;
    std::unique_ptr<SessionStore> store;
};

std::shared_ptr<pg::Pool> migrated_pool(const std::string& url, size_t size = 4) {
    auto pool = std::make_shared<pg::Pool>(url, size);
    pool->run([](pg::Connection& c) { pg::migrate(c); });
    return pool;
}

std::vector<Backend> backends() {
    std::vector<Backend> out;
    Backend files{"files", std::make_unique<TempDir>(), nullptr, nullptr};
    files.store = std::make_unique<FileSessionStore>(files.dir->path() / "sessions", tick);
    out.push_back(std::move(files));
    Backend pg{"postgres", nullptr, nullptr, nullptr};
    pg.pool = migrated_pool(oxios::test::shared_pg_server().fresh_database());
    pg.store = std::make_unique<PgSessionStore>(pg.pool, tick);
    out.push_back(std::move(pg));
    return out;
}

Status append(SessionStore& store, const std::string& id, const std::string& text, const std::string& space = "",
              const std::string& seed = "") {
    Exchange ex;
    ex.session_id = id;
    ex.user_content = text;
    ex.reply_content = "echo: " + text;
    ex.space_id = space;
    ex.seed_id = seed;
    ex.user_us = tick();
    ex.reply_us = tick();
    return store.append(ex.view());
}

std::vector<std::string> ids_of(const SessionStore& store) {
    std::vector<std::string> ids;
    auto d = parse(store.list(1, 500).body);
    for (const auto& item : d["items"].GetArray()) ids.emplace_back(item["id"].GetString());
    return ids;
}

}  // namespace

TEST_CASE("both backends: append, get, list and delete give the same documents") {
    std::vector<std::string> documents, listings;
    const int64_t start = fake_now;
    for (auto& b : backends()) {
        CAPTURE(b.name);
        fake_now = start;  // same clock, same timestamps
        auto& store = *b.store;
        REQUIRE(append(store, "s1", "one", "", "seed-a") == OXIOS_OK);
        REQUIRE(append(store, "s2", "two", "space-x") == OXIOS_OK);
        REQUIRE(append(store, "s1", "three") == OXIOS_OK);
        Result got = store.get("s1");
        REQUIRE(got.status == OXIOS_OK);
        auto doc = parse(got.body);
        CHECK(doc["user_messages"].Size() == 2);
        CHECK(std::string(doc["user_messages"][1]["content"].GetString()) == "three");
        CHECK(std::string(doc["agent_responses"][0]["content"].GetString()) == "echo: one");
        CHECK(std::string(doc["active_seed_id"].GetString()) == "seed-a");
        CHECK(std::string(parse(store.get("s2").body)["space_id"].GetString()) == "space-x");
        documents.push_back(got.body);

        CHECK(ids_of(store) == std::vector<std::string>{"s1", "s2"});  // newest first
        listings.push_back(store.list(1, 10).body);
        auto page2 = parse(store.list(2, 1).body);
        CHECK(page2["total"].GetUint64() == 2);
        CHECK(std::string(page2["items"][0]["id"].GetString()) == "s2");
        CHECK(parse(store.list(9, 10).body)["total"].GetUint64() == 2);
        CHECK(store.count() == 2);

        CHECK(store.get("nope").status == OXIOS_E_NOT_FOUND);
        CHECK(store.get("../etc").status == OXIOS_E_INVALID);
        CHECK(store.remove("s2") == OXIOS_OK);
        CHECK(store.remove("s2") == OXIOS_E_NOT_FOUND);
        CHECK(store.get("s2").status == OXIOS_E_NOT_FOUND);
        CHECK(ids_of(store) == std::vector<std::string>{"s1"});
        std::string detail;
        CHECK(store.healthy(detail));
        CHECK(detail.find("1 sessions") != std::string::npos);
    }
    REQUIRE(documents.size() == 2);
    CHECK(documents[0] == documents[1]);
    CHECK(listings[0] == listings[1]);
}

TEST_CASE("both backends: prune by TTL, then by count, newest kept") {
    for (auto& b : backends()) {
        CAPTURE(b.name);
        auto& store = *b.store;
        for (int i = 0; i < 5; ++i) REQUIRE(append(store, "p" + std::to_string(i), "x") == OXIOS_OK);
        auto out = parse(store.prune(true, 3, 0).body);
        CHECK(out["count"].GetUint64() == 2);
        CHECK(out["config"]["max_sessions"].GetInt64() == 3);
        CHECK(ids_of(store) == std::vector<std::string>{"p4", "p3", "p2"});
        CHECK(parse(store.prune(false, 1, 0).body)["count"].GetUint64() == 0);  // not an hour since
        fake_now += 2 * 3600LL * 1'000'000;                                     // everything is two hours old
        CHECK(parse(store.prune(true, 0, 1).body)["count"].GetUint64() == 3);
        CHECK(store.count() == 0);
    }
}

TEST_CASE("both backends: export and import move sessions, idempotently") {
    auto all = backends();
    auto& files = *all[0].store;
    auto& pg = *all[1].store;
    REQUIRE(append(files, "a", "hello") == OXIOS_OK);
    REQUIRE(append(files, "a", "again", "sp") == OXIOS_OK);
    REQUIRE(append(files, "b", "bee") == OXIOS_OK);
    TempDir out;
    auto n = export_sessions(files, out.str() + "/x");
    CHECK(n.copied == 2);
    n = import_sessions(pg, out.str() + "/x");
    CHECK(n.copied == 2);
    CHECK(n.failed == 0);
    n = import_sessions(pg, out.str() + "/x");
    CHECK(n.copied == 0);
    CHECK(n.unchanged == 2);
    CHECK(pg.get("a").body == files.get("a").body);
    // An imported session goes on growing in the new backend.
    REQUIRE(append(pg, "a", "third") == OXIOS_OK);
    auto doc = parse(pg.get("a").body);
    CHECK(doc["user_messages"].Size() == 3);
    CHECK(std::string(doc["space_id"].GetString()) == "sp");
    CHECK(parse(pg.list(1, 10).body)["items"][0]["message_count"].GetUint64() == 3);
    // And back: the longer one replaces the shorter one, not the reverse.
    n = export_sessions(pg, out.str() + "/y");
    CHECK(n.copied == 2);
    n = import_sessions(files, out.str() + "/y");
    CHECK(n.copied == 1);
    CHECK(n.unchanged == 1);
    CHECK(files.get("a").body == pg.get("a").body);
}

TEST_CASE("postgres: 100 concurrent appends to one session through two hosts' pools -> exactly 100, in order") {
    const std::string url = oxios::test::shared_pg_server().fresh_database();
    PgSessionStore a(migrated_pool(url), tick), b(migrated_pool(url), tick);
    std::vector<std::thread> threads;
    std::atomic<int> failed{0};
    for (int t = 0; t < 10; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 10; ++i)
                if (append(t % 2 ? a : b, "shared", std::to_string(t) + ":" + std::to_string(i)) != OXIOS_OK) ++failed;
        });
    for (auto& th : threads) th.join();
    CHECK(failed == 0);
    auto doc = parse(a.get("shared").body);
    CHECK(doc["user_messages"].Size() == 100);
    CHECK(doc["agent_responses"].Size() == 100);
    // Each reply sits beside its own message.
    for (rapidjson::SizeType i = 0; i < 100; ++i)
        CHECK(std::string(doc["agent_responses"][i]["content"].GetString()) ==
              "echo: " + std::string(doc["user_messages"][i]["content"].GetString()));
    CHECK(parse(b.list(1, 10).body)["items"][0]["message_count"].GetUint64() == 100);
}

TEST_CASE("postgres: migrations run once when two hosts start together") {
    const std::string url = oxios::test::shared_pg_server().fresh_database();
    std::atomic<int> applied{0}, errors{0};
    std::vector<std::thread> hosts;
    for (int i = 0; i < 4; ++i)
        hosts.emplace_back([&] {
            try {
                pg::Connection c(url);
                applied += pg::migrate(c);
            } catch (const std::exception&) {
                ++errors;
            }
        });
    for (auto& h : hosts) h.join();
    CHECK(errors == 0);
    CHECK(applied == pg::latest_schema_version());
    pg::Connection c(url);
    auto r = c.exec("SELECT count(*), max(version) FROM schema_version");
    CHECK(pg::to_int64(r.get(), 0, 0) == pg::latest_schema_version());
    CHECK(pg::migrate(c) == 0);
}

TEST_CASE("postgres: a bad URL names the target and never the password") {
    try {
        pg::Pool pool("host=/nonexistent-dir port=5 user=bob password=hunter2 dbname=x", 1);
        FAIL("connected");
    } catch (const pg::Error& e) {
        const std::string what = e.what();
        CHECK(what.find("host=/nonexistent-dir") != std::string::npos);
        CHECK(what.find("user=bob") != std::string::npos);
        CHECK(what.find("hunter2") == std::string::npos);
        CHECK(e.lost());
    }
    const std::string uri = pg::describe_url("postgresql://bob:hunter2@127.0.0.1:1/db");
    CHECK(uri.find("hunter2") == std::string::npos);
    CHECK(uri.find("dbname=db") != std::string::npos);
    CHECK(pg::describe_url("not a = valid 'string").find("invalid") != std::string::npos);
}

TEST_CASE("postgres: an outage answers BUSY 'state store unavailable' at once, and the store comes back by itself") {
    oxios::test::PgServer server;  // its own: this test stops it
    const std::string url = server.fresh_database();
    PgSessionStore store(migrated_pool(url), tick);
    REQUIRE(append(store, "o1", "before") == OXIOS_OK);

    server.stop();
    CHECK(append(store, "o1", "during") == OXIOS_E_BUSY);  // the stale pooled connection
    CHECK(append(store, "o1", "during") == OXIOS_E_BUSY);  // no server, backoff
    Result got = store.get("o1");
    CHECK(got.status == OXIOS_E_BUSY);
    CHECK(parse(got.body)["error"].GetString() == std::string("state store unavailable"));
    CHECK(store.list(1, 10).status == OXIOS_E_BUSY);
    CHECK(store.remove("o1") == OXIOS_E_BUSY);
    std::string detail;
    CHECK_FALSE(store.healthy(detail));
    CHECK(detail.find("unavailable") != std::string::npos);

    server.start();
    // Reconnects are retried with a backoff of at most 2 s.
    CHECK(wait_for([&] { return append(store, "o1", "after") == OXIOS_OK; }, 10000));
    CHECK(store.healthy(detail));
    auto doc = parse(store.get("o1").body);
    REQUIRE(doc["user_messages"].Size() == 2);  // nothing of the outage was stored
    CHECK(doc["user_messages"][1]["content"].GetString() == std::string("after"));
}
