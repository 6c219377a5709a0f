// The cluster's event log: events published on one host reach the others
// with one global, gapless seq; since() reads the table past the ring.
#include "event_bus.hpp"
#include "infra/clock.hpp"
#include "store/pg_event_log.hpp"
#include "store/pg_pool.hpp"
#include "store/pg_schema.hpp"
#include "support/pg_server.hpp"
#include "unit/kernel/test_util.hpp"

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <mutex>
#include <vector>

using namespace oxios::kernel;
using namespace oxios::kernel::test;

namespace {

struct BusHost {
    std::shared_ptr<pg::Pool> pool;
    EventBus bus;
    std::unique_ptr<DutyLock> duty = sole_host_duty();
    std::unique_ptr<PgEventLog> log;
    std::mutex mutex;
    std::vector<std::pair<uint64_t, std::string>> seen;

    BusHost(const std::string& url, size_t ring = 64) : bus(ring, 1024, clock::now_us) {
        pool = std::make_shared<pg::Pool>(url, 2);
        pool->run([](pg::Connection& c) { pg::migrate(c); });
        log = std::make_unique<PgEventLog>(pool, bus, PgEventLog::Retention{}, clock::now_us, *duty);
        bus.set_log([this](EventBus::Text e) { log->append(std::move(e)); });
        bus.set_history([this](uint64_t a, uint64_t b, const EventFn& fn) { return log->history(a, b, fn); });
        bus.subscribe([this](uint64_t seq, std::string_view json) {
            std::lock_guard lock(mutex);
            seen.emplace_back(seq, std::string(json));
        });
    }
    size_t count() {
        std::lock_guard lock(mutex);
        return seen.size();
    }
};

}  // namespace

TEST_CASE("event log: events of two hosts reach both, in one gapless order, byte for byte") {
    const std::string url = oxios::test::shared_pg_server().fresh_database();
    BusHost a(url), b(url);
    for (int i = 0; i < 50; ++i) {
        CHECK(a.bus.publish("from_a", R"({"n":)" + std::to_string(i) + ",\"text\":\"x y\"}") == EventBus::kLogged);
        b.bus.publish("from_b", R"({"n":)" + std::to_string(i) + "}");
    }
    REQUIRE(wait_for([&] { return a.count() == 100 && b.count() == 100; }, 10000));
    std::lock_guard la(a.mutex), lb(b.mutex);
    CHECK(a.seen == b.seen);  // same seqs, same bytes, same order
    for (size_t i = 0; i < a.seen.size(); ++i) CHECK(a.seen[i].first == i + 1);
    // Each host's own events keep their publish order.
    int next_a = 0;
    for (const auto& [seq, json] : a.seen) {
        if (json.find("\"type\":\"from_a\"") == std::string::npos) continue;
        CHECK(json.find("\"n\":" + std::to_string(next_a) + ",\"text\":\"x y\"}") != std::string::npos);
        ++next_a;
    }
    CHECK(next_a == 50);
}

TEST_CASE("event log: a host started later resumes any id from the table, ring or not") {
    const std::string url = oxios::test::shared_pg_server().fresh_database();
    BusHost a(url);
    for (int i = 0; i < 200; ++i) a.bus.publish("e", R"({"i":)" + std::to_string(i) + "}");
    REQUIRE(wait_for([&] { return a.count() == 200; }, 10000));
    BusHost c(url, 16);  // its ring holds the newest 16 only
    CHECK(c.bus.last_seq() == 200);
    std::vector<uint64_t> got;
    const uint64_t missed = c.bus.since(20, [&](uint64_t seq, std::string_view) { got.push_back(seq); });
    CHECK(missed == 0);
    REQUIRE(got.size() == 180);
    for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == 21 + i);
    // since(0) finds the head from the ring alone (what a plugin does at start).
    uint64_t head = 0;
    c.bus.since(0, [&](uint64_t seq, std::string_view) { head = std::max(head, seq); });
    CHECK(head == 200);
    // What the table no longer keeps is counted as missed.
    a.pool->run([](pg::Connection& conn) { conn.exec("DELETE FROM events WHERE seq <= 100"); });
    got.clear();
    CHECK(c.bus.since(50, [&](uint64_t seq, std::string_view) { got.push_back(seq); }) == 50);
    CHECK(got.size() == 100);
}

TEST_CASE("event log: a batch sent again (its COMMIT's answer lost) is stored once, seq gapless") {
    const std::string url = oxios::test::shared_pg_server().fresh_database();
    auto pool = std::make_shared<pg::Pool>(url, 1);
    pool->run([](pg::Connection& c) { pg::migrate(c); });
    const std::string batch = R"([{"id":"e-1","type":"a"},{"id":"e-2","type":"b"}])";
    const std::string next = R"([{"id":"e-2","type":"b"},{"id":"e-3","type":"c"}])";  // one seen, one new
    pool->run([&](pg::Connection& c) {
        c.exec("SELECT oxios_publish_events($1::json, 0)", {batch});
        c.exec("SELECT oxios_publish_events($1::json, 0)", {batch});  // the writer's retry
        auto top = c.exec("SELECT oxios_publish_events($1::json, 0)", {next});
        CHECK(pg::text(top.get(), 0, 0) == "3");
        auto rows = c.exec("SELECT seq, body FROM events ORDER BY seq");
        REQUIRE(PQntuples(rows.get()) == 3);
        for (int i = 0; i < 3; ++i) {
            CHECK(pg::to_int64(rows.get(), i, 0) == i + 1);
            CHECK(pg::text(rows.get(), i, 1).find("\"id\":\"e-" + std::to_string(i + 1) + "\"") !=
                  std::string_view::npos);
        }
    });
}
