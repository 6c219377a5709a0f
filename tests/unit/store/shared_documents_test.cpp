// Personas, cron jobs and budgets are whole documents: two hosts changing
// them through one PostgreSQL store (or two threads on files) keep both
// changes, even when a host's copy is stale (no event delivered yet).
#include "engines/engine.hpp"
#include "infra/clock.hpp"
#include "services/budget_ledger.hpp"
#include "services/cron_service.hpp"
#include "services/personas.hpp"
#include "store/file_record_store.hpp"
#include "store/pg_pool.hpp"
#include "store/pg_record_store.hpp"
#include "store/pg_schema.hpp"
#include "support/pg_server.hpp"
#include "unit/kernel/test_util.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <set>
#include <thread>

using namespace oxios::kernel;
using namespace oxios::kernel::test;

namespace {

std::unique_ptr<PgRecordStore> pg_host(const std::string& url) {
    auto pool = std::make_shared<pg::Pool>(url, 3);
    pool->run([](pg::Connection& c) { pg::migrate(c); });
    return std::make_unique<PgRecordStore>(pool);
}

std::set<std::string> stored_names(RecordStore& store, const char* key, const char* list, const char* field) {
    std::set<std::string> out;
    auto doc = parse(store.get(".oxios", key).value_or("{}"));
    if (doc.HasMember(list))
        for (const auto& v : doc[list].GetArray()) out.insert(v[field].GetString());
    return out;
}

void create_personas(PersonaStore& store, const std::string& prefix, int n) {
    for (int i = 0; i < n; ++i) {
        auto in = parse(R"({"name":")" + prefix + std::to_string(i) + "\"}");
        store.create(in);
    }
}

services::CronService::Deps cron_deps(RecordStore& records) {
    services::CronService::Deps d;
    d.records = &records;
    d.now_us = clock::now_us;
    d.may_fire = [] { return false; };
    return d;
}

BudgetLedger::Options budget_options(RecordStore& records) {
    BudgetLedger::Options o;
    o.records = &records;
    o.flush_interval_ms = 0;  // flushed by hand
    return o;
}

EngineReply used(int64_t prompt, int64_t completion) {
    EngineReply r;
    r.prompt_tokens = prompt;
    r.completion_tokens = completion;
    return r;
}

}  // namespace

TEST_CASE("two hosts on PostgreSQL: personas created on both at once are all stored, none lost") {
    const std::string url = oxios::test::shared_pg_server().fresh_database();
    auto ra = pg_host(url), rb = pg_host(url);
    PersonaStore a(ra.get(), nullptr, clock::now_us), b(rb.get(), nullptr, clock::now_us);
    std::thread ta([&] { create_personas(a, "a", 15); }), tb([&] { create_personas(b, "b", 15); });
    ta.join();
    tb.join();
    CHECK(stored_names(*ra, "personas", "personas", "name").size() == 30);
    // A host's copy is refreshed by its own write: B's last write saw all of A's.
    auto one = parse(R"({"name":"late"})");
    a.create(one);
    CHECK(parse(a.list().body).Size() == 31);
    // Deleting what B created works on A without an event in between.
    const std::string b_id = parse(b.list().body)[0]["id"].GetString();
    CHECK(a.remove(b_id).status == OXIOS_OK);
    CHECK(stored_names(*ra, "personas", "personas", "name").size() == 30);
}

TEST_CASE("files: two threads creating personas through one store lose none") {
    TempDir dir;
    FileRecordStore records(dir.path(), clock::now_us, nullptr);
    PersonaStore a(&records, nullptr, clock::now_us), b(&records, nullptr, clock::now_us);
    std::thread ta([&] { create_personas(a, "a", 20); }), tb([&] { create_personas(b, "b", 20); });
    ta.join();
    tb.join();
    CHECK(stored_names(records, "personas", "personas", "name").size() == 40);
}

TEST_CASE("two hosts on PostgreSQL: cron jobs created, updated and deleted on both are all kept") {
    const std::string url = oxios::test::shared_pg_server().fresh_database();
    auto ra = pg_host(url), rb = pg_host(url);
    auto a = services::CronService::create(cron_deps(*ra));
    auto b = services::CronService::create(cron_deps(*rb));
    const std::string first = parse(a->create_job("a1", "0 * * * *", "hello", true))["id"].GetString();
    b->create_job("b1", "0 * * * *", "hello", true);  // B never heard of a1: it stays
    a->create_job("a2", "0 * * * *", "hello", true);
    services::CronService::Update u;
    u.command = "changed on B";
    b->update_job(first, u);  // B updates the job it has not loaded
    CHECK(stored_names(*ra, "cron", "jobs", "name") == std::set<std::string>{"a1", "a2", "b1"});
    auto doc = parse(ra->get(".oxios", "cron").value());
    CHECK(doc["jobs"][0]["command"].GetString() == std::string("changed on B"));
    a->delete_job(first);
    CHECK(stored_names(*rb, "cron", "jobs", "name") == std::set<std::string>{"a2", "b1"});
    a->stop();
    b->stop();
}

TEST_CASE("two hosts on PostgreSQL: budget usage metered on both adds up, and limits set on both are kept") {
    const std::string url = oxios::test::shared_pg_server().fresh_database();
    auto ra = pg_host(url), rb = pg_host(url);
    BudgetLedger a(budget_options(*ra)), b(budget_options(*rb));
    std::thread ta([&] {
        for (int i = 0; i < 20; ++i) {
            a.record("shared", "", "", used(10, 5), true);
            if (i % 5 == 0) a.flush();
        }
    });
    std::thread tb([&] {
        for (int i = 0; i < 20; ++i) {
            b.record("shared", "", "", used(1, 1), true);
            if (i % 7 == 0) b.flush();
        }
    });
    ta.join();
    tb.join();
    a.flush();
    b.flush();
    auto doc = parse(ra->get(".oxios", "budget").value());
    REQUIRE(doc["agents"].Size() == 1);
    CHECK(doc["agents"][0]["prompt_tokens"].GetInt() == 20 * 10 + 20 * 1);
    CHECK(doc["agents"][0]["completion_tokens"].GetInt() == 20 * 5 + 20 * 1);
    CHECK(doc["agents"][0]["calls"].GetInt() == 40);

    auto limit = parse(R"({"tokens_limit":1000})");
    a.set("agent-a", limit);
    b.set("agent-b", limit);  // B's copy lacked agent-a: it stays
    CHECK(stored_names(*ra, "budget", "agents", "agent_id") == std::set<std::string>{"agent-a", "agent-b", "shared"});
    // B sees the cluster's total after its write, and a reset on B clears it for A too.
    CHECK(parse(b.get("shared").body)["tokens_used"].GetInt() == 20 * 15 + 20 * 2);
    b.reset("shared");
    a.record("shared", "", "", used(3, 0), true);
    a.flush();
    CHECK(parse(a.get("shared").body)["tokens_used"].GetInt() == 3);
}
