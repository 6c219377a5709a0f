// The audit log on PostgreSQL (audit/pg_audit_store.hpp): one chain for the
// whole cluster, however many hosts append at once.
#include "audit/audit_log.hpp"
#include "audit/audit_service.hpp"
#include "audit/pg_audit_store.hpp"
#include "infra/clock.hpp"
#include "services/service_registry.hpp"
#include "store/pg_pool.hpp"
#include "store/pg_schema.hpp"
#include "support/pg_server.hpp"
#include "unit/kernel/test_util.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <set>
#include <thread>
#include <vector>

using namespace oxios::kernel;
using namespace oxios::kernel::test;

namespace {

// One host's audit log on the shared database.
struct AuditHost {
    std::shared_ptr<pg::Pool> pool;
    std::unique_ptr<audit::AuditLog> log;
    explicit AuditHost(const std::string& url, uint64_t memory_entries = 10'000) {
        pool = std::make_shared<pg::Pool>(url, 4);
        pool->run([](pg::Connection& c) { pg::migrate(c); });
        log =
            std::make_unique<audit::AuditLog>(audit::AuditLog::Options{std::make_unique<audit::PgAuditStore>(pool),
                                                                       [memory_entries] {
                                                                           return audit::Settings{true, memory_entries};
                                                                       },
                                                                       nullptr, clock::now_us});
    }
};

rapidjson::Document body(const Result& r) {
    REQUIRE_MESSAGE(r.status == OXIOS_OK, r.body);
    return parse(r.body);
}

}  // namespace

TEST_CASE("PostgreSQL audit: two hosts appending from several threads make one valid, gapless chain") {
    const std::string url = oxios::test::shared_pg_server().fresh_database();
    AuditHost a(url), b(url);
    constexpr int kThreads = 3, kEach = 100;  // 600 entries: verify reads more than one page
    std::vector<std::thread> threads;
    for (AuditHost* h : {&a, &b})
        for (int t = 0; t < kThreads; ++t)
            threads.emplace_back([h, t] {
                for (int i = 0; i < kEach; ++i)
                    h->log->record("host", "test.append", std::to_string(t) + "/" + std::to_string(i));
            });
    for (auto& t : threads) t.join();
    constexpr int kTotal = 2 * kThreads * kEach;

    for (AuditHost* h : {&a, &b}) {
        auto v = body(h->log->verify());
        CHECK(v["valid"].GetBool());
        CHECK(v["entry_count"].GetInt() == kTotal);
    }
    // seq 1..N, each once, in order, read back in spans as the route does.
    int64_t expected = 1;
    for (int from = 1; from <= kTotal; from += 1000) {
        auto e = body(a.log->entries(from, from + 999));
        for (const auto& entry : e["entries"].GetArray()) CHECK(entry["seq"].GetInt64() == expected++);
    }
    CHECK(expected == kTotal + 1);
    // Either host lists the cluster's newest entries, newest first.
    auto page = body(b.log->list(1, 5));
    CHECK(page["total"].GetInt() == kTotal);
    REQUIRE(page["items"].Size() == 5);
    CHECK(page["items"][0]["seq"].GetInt() == kTotal);
    CHECK(page["items"][4]["seq"].GetInt() == kTotal - 4);
}

TEST_CASE("PostgreSQL audit: a host sees the other's entries, and list stays within memory_entries") {
    const std::string url = oxios::test::shared_pg_server().fresh_database();
    AuditHost a(url, 3), b(url, 3);
    a.log->record("host", "host.start", "a");
    b.log->record("ip:10.0.0.2", "cron.create", "nightly");
    a.log->record("host", "host.stop", "a");
    b.log->record("host", "host.stop", "b");
    auto list = body(a.log->list(1, 10));
    CHECK(list["total"].GetInt() == 3);
    REQUIRE(list["items"].Size() == 3);
    CHECK(list["items"][0]["resource"].GetString() == std::string("b"));
    CHECK(list["items"][2]["agent_name"].GetString() == std::string("ip:10.0.0.2"));
    CHECK(body(a.log->list(2, 2))["items"].Size() == 1);
    CHECK(body(a.log->list(3, 2))["items"].Size() == 0);
    // The stored bytes are the hashed ones: B's entry chains after A's first.
    auto e = body(b.log->entries(1, 2));
    REQUIRE(e["count"].GetInt() == 2);
    CHECK(e["entries"][1]["prev_hash"].GetString() == std::string(e["entries"][0]["hash"].GetString()));
    CHECK(body(b.log->verify())["valid"].GetBool());
}

TEST_CASE("PostgreSQL audit: an edited row breaks verify at its seq") {
    const std::string url = oxios::test::shared_pg_server().fresh_database();
    AuditHost a(url);
    for (int i = 0; i < 3; ++i) a.log->record("host", "test.append", std::to_string(i));
    a.pool->run([](pg::Connection& c) {
        c.exec(
            "UPDATE audit_entries SET line = replace(line, '\"resource\":\"1\"', '\"resource\":\"x\"') WHERE seq = 2");
    });
    auto v = body(a.log->verify());
    CHECK_FALSE(v["valid"].GetBool());
    CHECK(v["broken_at_seq"].GetInt() == 2);
    CHECK(v["entry_count"].GetInt() == 1);
}

TEST_CASE("PostgreSQL audit: while the server is down an entry is refused with 503, and none is half stored") {
    oxios::test::PgServer server;  // its own: this test stops it
    const std::string url = server.fresh_database();
    AuditHost a(url);
    ServiceRegistry registry;
    register_audit_service(registry, *a.log);
    a.log->record("host", "host.start", "a");
    server.stop();
    const Result refused = registry.call("audit.record", R"({"actor":"host","action":"test.down"})");
    CHECK(refused.status == OXIOS_E_BUSY);
    CHECK(refused.body.find("state store unavailable") != std::string::npos);
    server.start();
    Result r;
    CHECK(wait_for(
        [&] {
            r = registry.call("audit.record", R"({"actor":"host","action":"test.up"})");
            return r.status == OXIOS_OK;
        },
        10000));
    auto v = body(a.log->verify());
    CHECK(v["valid"].GetBool());
    CHECK(v["entry_count"].GetInt() == 2);
}
