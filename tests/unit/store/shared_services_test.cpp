// Services that keep records, on two hosts sharing one PostgreSQL: what one
// host changes, the other sees without a restart (its events arrive through
// the cluster's log and the service fetches the record again).
#include "event_bus.hpp"
#include "event_watch.hpp"
#include "infra/clock.hpp"
#include "store/duty_lock.hpp"
#include "store/pg_event_log.hpp"
#include "store/pg_pool.hpp"
#include "store/pg_record_store.hpp"
#include "store/pg_schema.hpp"
#include "support/pg_server.hpp"
#include "unit/kernel/test_util.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <memory>

using namespace oxios::kernel;
using namespace oxios::kernel::test;

namespace {

struct ServicesHost {
    std::shared_ptr<pg::Pool> pool;
    EventBus bus{64, 1024, clock::now_us};
    std::unique_ptr<DutyLock> duty = sole_host_duty();
    std::unique_ptr<PgEventLog> log;
    std::unique_ptr<PgRecordStore> records;
    ServiceRegistry registry;

    ServicesHost(const std::string& url, const std::filesystem::path& workspace) {
        pool = std::make_shared<pg::Pool>(url, 2);
        pool->run([](pg::Connection& c) { pg::migrate(c); });
        log = std::make_unique<PgEventLog>(pool, bus, PgEventLog::Retention{}, clock::now_us, *duty);
        bus.set_log([this](EventBus::Text e) { log->append(std::move(e)); });
        records = std::make_unique<PgRecordStore>(pool);
        ServiceContext ctx;
        ctx.workspace = workspace.string();
        ctx.publish = [this](std::string_view type, std::string_view fields) { return bus.publish(type, fields); };
        ctx.now_us = clock::now_us;
        ctx.records = records.get();
        ctx.on_event = watch_events(bus, registry);
        register_approvals_service(registry, ctx);
        register_memory_service(registry, ctx);
    }
    ~ServicesHost() { registry.stop(); }

    rapidjson::Document ok(std::string_view method, const std::string& in) {
        Result r = registry.call(method, in);
        REQUIRE_MESSAGE(r.status == OXIOS_OK, method << " -> " << r.body);
        return parse(r.body);
    }
};

std::string status_on(ServicesHost& h, const std::string& id) {
    auto list = h.ok("approvals.list", "{}");
    for (const auto& a : list.GetArray())
        if (a["id"].GetString() == id) return a["status"].GetString();
    return "absent";
}

}  // namespace

TEST_CASE("two hosts on PostgreSQL: an approval asked on A is approved on B, and A lists it approved") {
    const std::string url = oxios::test::shared_pg_server().fresh_database();
    TempDir tmp;
    ServicesHost a(url, tmp.path()), b(url, tmp.path());
    const std::string id = a.ok("approvals.request", R"({"subject":"agent-1","action":"exec"})")["id"].GetString();
    CHECK(wait_for([&] { return status_on(b, id) == "pending"; }, 5000));
    CHECK(b.ok("approvals.approve", R"({"id":")" + id + "\"}")["status"].GetString() == std::string("approved"));
    CHECK(wait_for([&] { return status_on(a, id) == "approved"; }, 5000));
    // Decided once: A cannot reject what B approved, even before its event arrives.
    CHECK(a.registry.call("approvals.reject", R"({"id":")" + id + "\"}").status == OXIOS_E_NOT_FOUND);
}

TEST_CASE("two hosts on PostgreSQL: a memory stored on A is found by B's search and list") {
    const std::string url = oxios::test::shared_pg_server().fresh_database();
    TempDir tmp;
    ServicesHost a(url, tmp.path()), b(url, tmp.path());
    const std::string id =
        a.ok("memory.create", R"({"content":"the cluster remembers","tags":["pg"]})")["id"].GetString();
    CHECK(wait_for([&] { return b.ok("memory.search", R"({"query":"cluster"})")["count"].GetInt() == 1; }, 5000));
    CHECK(b.ok("memory.list", "{}")["total"].GetInt() == 1);
    CHECK(b.ok("memory.get", R"({"name":")" + id + "\"}")["content"].GetString() ==
          std::string("the cluster remembers"));
    // Nothing went to the workspace's files.
    CHECK_FALSE(std::filesystem::exists(tmp.path() / "memory"));
}
