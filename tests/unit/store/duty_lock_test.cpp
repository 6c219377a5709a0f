// The cluster's once-only duties: exactly one host of several holds them; when
// it goes (or its database connection does) another takes over.
#include "store/duty_lock.hpp"
#include "support/pg_server.hpp"
#include "unit/kernel/test_util.hpp"

#include <doctest/doctest.h>

#include <memory>

using namespace oxios::kernel;
using namespace oxios::kernel::test;
using namespace std::chrono_literals;

TEST_CASE("duty lock: one host of three holds it; when it stops, another takes over") {
    const std::string url = oxios::test::shared_pg_server().fresh_database();
    std::unique_ptr<DutyLock> hosts[3];
    for (auto& h : hosts) h = pg_duty_lock(url, 50ms);
    auto holders = [&] {
        int n = 0;
        for (auto& h : hosts) n += (h && h->held()) ? 1 : 0;
        return n;
    };
    REQUIRE(wait_for([&] { return holders() == 1; }, 10000));
    for (int i = 0; i < 10; ++i) {  // stays with one while they keep checking
        CHECK(holders() == 1);
        std::this_thread::sleep_for(20ms);
    }
    for (auto& h : hosts)
        if (h->held()) h.reset();  // the holder stops: its connection closes
    CHECK(wait_for([&] { return holders() == 1; }, 10000));
}

TEST_CASE("duty lock: a database restart drops it and one host takes it again") {
    oxios::test::PgServer server;  // its own: this test restarts it
    const std::string url = server.fresh_database();
    auto a = pg_duty_lock(url, 50ms);
    auto b = pg_duty_lock(url, 50ms);
    REQUIRE(wait_for([&] { return a->held() != b->held(); }, 10000));
    server.stop();
    CHECK(wait_for([&] { return !a->held() && !b->held(); }, 10000));
    server.start();
    CHECK(wait_for([&] { return a->held() != b->held(); }, 15000));
}

TEST_CASE("duty lock: the files backend's single host always holds it") { CHECK(sole_host_duty()->held()); }
