// scheduler.stats / scheduler.tasks (docs/api-operator.md, "Scheduler"): the gateway's real queue
// and running set while an engine turn is held.
#include "agents.hpp"
#include "gateway.hpp"
#include "services/service_registry.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>

using namespace oxios::kernel;
using oxios::kernel::test::parse;
using oxios::kernel::test::wait_for;

namespace {

// Holds every turn until released (or cancelled).
class HeldEngine : public Engine {
public:
    std::string name() const override { return "held"; }
    EngineReply run(const EngineRequest& req) override {
        std::unique_lock lock(m_);
        ++started_;
        while (!released_ && !req.is_cancelled()) cv_.wait_for(lock, std::chrono::milliseconds(5));
        EngineReply r;
        r.content = "done";
        return r;
    }
    int started() {
        std::lock_guard lock(m_);
        return started_;
    }
    void release() {
        std::lock_guard lock(m_);
        released_ = true;
        cv_.notify_all();
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    int started_ = 0;
    bool released_ = false;
};

ChatMessage message(const std::string& id, const std::string& content, const std::string& session = "") {
    ChatMessage m;
    m.id = id;
    m.content = content;
    m.user_id = "default";
    m.session_id = session;
    return m;
}

std::string str(const rapidjson::Value& v) { return v.IsString() ? v.GetString() : "<not a string>"; }

}  // namespace

TEST_CASE("scheduler: queued and running messages while a slow engine turn is held") {
    auto engine = std::make_shared<HeldEngine>();
    AgentRegistry agents([](std::string_view, const rapidjson::Value&) {}, [] { return int64_t{0}; });
    Gateway::Options o;
    o.queue_capacity = 16;
    o.max_concurrent = 1;
    o.reply_timeout_ms = [] { return uint64_t{30'000}; };
    Gateway gateway(o, engine, Gateway::Services{nullptr, &agents, {}});
    ServiceRegistry registry;
    register_scheduler_service(registry, gateway);

    std::mutex m;
    int finals = 0, errors = 0;
    auto sink = [&](const Delivery& d) {
        std::lock_guard lock(m);
        if (d.kind != OXIOS_DELIVERY_TOKEN) ++finals;
        if (d.kind == OXIOS_DELIVERY_ERROR) ++errors;
    };
    std::string long_text;
    for (int i = 0; i < 100; ++i) long_text += "\xC3\xA9";  // é, two bytes each
    REQUIRE(gateway.submit(message("m1", "first\r\nline\nend", "s-1"), sink) == OXIOS_OK);
    REQUIRE(wait_for([&] { return engine->started() == 1; }));
    REQUIRE(gateway.submit(message("m2", long_text), sink) == OXIOS_OK);
    REQUIRE(gateway.submit(message("m3", "third"), sink) == OXIOS_OK);

    auto r = registry.call("scheduler.tasks", "{}");
    REQUIRE(r.ok());
    auto t = parse(r.body);
    REQUIRE(t["running"].Size() == 1);
    REQUIRE(t["queued"].Size() == 2);
    const auto& run = t["running"][0];
    CHECK(str(run["id"]) == "m1");
    CHECK(str(run["status"]) == "running");
    CHECK(str(run["description"]) == "first line end");
    CHECK(str(run["priority"]) == "normal");
    CHECK(str(run["session_id"]) == "s-1");
    CHECK(str(run["agent_id"]).size() == 36);
    CHECK(str(run["started_at"]).size() == 27);
    CHECK(str(run["created_at"]).size() == 27);
    CHECK(str(run["user_id"]) == "default");
    CHECK(run["error"].IsNull());
    CHECK(run.MemberCount() == 10);  // every member of a task of docs/api-operator.md

    CHECK(str(t["queued"][0]["id"]) == "m2");  // FIFO
    CHECK(str(t["queued"][1]["id"]) == "m3");
    const auto& q = t["queued"][0];
    CHECK(str(q["status"]) == "queued");
    CHECK(str(q["description"]) == long_text.substr(0, 160));  // 80 characters, not bytes
    CHECK(q["started_at"].IsNull());
    CHECK(q["agent_id"].IsNull());
    CHECK(q["session_id"].IsNull());
    CHECK(q["error"].IsNull());
    CHECK(q.MemberCount() == 10);  // every member of a task of docs/api-operator.md

    auto s = parse(registry.call("scheduler.stats", "{}").body);
    CHECK(s["queued"].GetUint() == 2);
    CHECK(s["running"].GetUint() == 1);
    CHECK(s["max_concurrent"].GetUint() == 1);
    CHECK(s["queue_capacity"].GetUint() == 16);
    CHECK(s["completed_total"].GetUint() == 0);
    CHECK(s["failed_total"].GetUint() == 0);

    engine->release();
    REQUIRE(wait_for([&] {
        std::lock_guard lock(m);
        return finals == 3;
    }));
    // A message that fails counts as failed.
    REQUIRE(gateway.submit(message("m4", "x", "../bad"), sink) == OXIOS_OK);
    REQUIRE(wait_for([&] {
        std::lock_guard lock(m);
        return finals == 4;
    }));
    REQUIRE(wait_for([&] { return parse(registry.call("scheduler.stats", "{}").body)["running"].GetUint() == 0; }));
    s = parse(registry.call("scheduler.stats", "{}").body);
    CHECK(s["queued"].GetUint() == 0);
    CHECK(s["completed_total"].GetUint() == 3);
    CHECK(s["failed_total"].GetUint() == 1);
    CHECK(errors == 1);
    t = parse(registry.call("scheduler.tasks", "{}").body);
    CHECK(t["queued"].Size() == 0);
    CHECK(t["running"].Size() == 0);
}

TEST_CASE("scheduler: the lists are capped at 500, the counts are not") {
    auto engine = std::make_shared<HeldEngine>();
    Gateway::Options o;
    o.queue_capacity = 600;
    o.max_concurrent = 1;
    o.reply_timeout_ms = [] { return uint64_t{30'000}; };
    Gateway gateway(o, engine, {});
    ServiceRegistry registry;
    register_scheduler_service(registry, gateway);
    auto sink = [](const Delivery&) {};
    for (int i = 0; i < 520; ++i) REQUIRE(gateway.submit(message("q" + std::to_string(i), "x"), sink) == OXIOS_OK);
    REQUIRE(wait_for([&] { return engine->started() == 1; }));
    auto t = parse(registry.call("scheduler.tasks", "{}").body);
    CHECK(t["queued"].Size() == 500);
    CHECK(str(t["queued"][0]["id"]) == "q1");
    CHECK(parse(registry.call("scheduler.stats", "{}").body)["queued"].GetUint() == 519);
    engine->release();
    gateway.shutdown(5000);
}
