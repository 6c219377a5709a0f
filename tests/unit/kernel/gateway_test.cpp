#include "gateway.hpp"
#include "agents.hpp"
#include "engines/echo_engine.hpp"
#include "infra/clock.hpp"
#include "spaces.hpp"
#include "store/file_record_store.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

using namespace oxios::kernel;
using namespace oxios::kernel::test;

namespace {

// Waits until released or cancelled; counts how often it started.
class BlockingEngine : public Engine {
public:
    std::string name() const override { return "blocking"; }
    EngineReply run(const EngineRequest& req) override {
        ++started;
        while (!release.load() && !req.is_cancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        saw_cancel = saw_cancel.load() || req.is_cancelled();
        if (ignore_cancel)
            while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        EngineReply r;
        r.content = "late: " + req.message->content;
        r.phase = "execute";
        r.evaluation_passed = 1;
        return r;
    }
    std::atomic<int> started{0};
    std::atomic<bool> release{false}, saw_cancel{false}, ignore_cancel{false};
};

// Records deliveries of every message.
struct Recorder {
    std::mutex m;
    std::vector<Delivery> all;
    DeliverySink sink() {
        return [this](const Delivery& d) {
            std::lock_guard lock(m);
            all.push_back(d);
        };
    }
    size_t finals(const std::string& id) {
        std::lock_guard lock(m);
        size_t n = 0;
        for (auto& d : all)
            if (d.message->id == id && d.kind != OXIOS_DELIVERY_TOKEN) ++n;
        return n;
    }
    Delivery final_of(const std::string& id) {
        std::lock_guard lock(m);
        for (auto& d : all)
            if (d.message->id == id && d.kind != OXIOS_DELIVERY_TOKEN) return d;
        return {};
    }
};

ChatMessage msg(const std::string& id, const std::string& content = "hello", uint64_t conn = 0) {
    ChatMessage m;
    m.id = id;
    m.content = content;
    m.user_id = "default";
    m.connection = conn;
    return m;
}

Gateway::Options opts(size_t cap, size_t conc, uint64_t timeout_ms = 10'000) {
    Gateway::Options o;
    o.queue_capacity = cap;
    o.max_concurrent = conc;
    o.reply_timeout_ms = [timeout_ms] { return timeout_ms; };
    return o;
}

}  // namespace

TEST_CASE("gateway: echo replies with a new session id") {
    Gateway gw(opts(16, 2), std::make_shared<EchoEngine>(), {});
    Recorder rec;
    REQUIRE(gw.submit(msg("m1", "hi there"), rec.sink()) == OXIOS_OK);
    auto with_session = msg("m2", "again");
    with_session.session_id = "my-session";
    REQUIRE(gw.submit(with_session, rec.sink()) == OXIOS_OK);
    REQUIRE(wait_for([&] { return rec.finals("m1") == 1 && rec.finals("m2") == 1; }));
    auto d = rec.final_of("m1");
    CHECK(d.kind == OXIOS_DELIVERY_REPLY);
    CHECK(d.content == "echo: hi there");
    CHECK(d.session_id.size() == 36);
    CHECK(d.session_id[14] == '4');
    CHECK(d.phase == "execute");
    CHECK(d.evaluation_passed == 1);
    CHECK(d.message->content == "hi there");
    CHECK(rec.final_of("m2").session_id == "my-session");

    auto bad = msg("m3");
    bad.session_id = "../etc";
    REQUIRE(gw.submit(bad, rec.sink()) == OXIOS_OK);
    REQUIRE(wait_for([&] { return rec.finals("m3") == 1; }));
    CHECK(rec.final_of("m3").kind == OXIOS_DELIVERY_ERROR);
    CHECK(rec.final_of("m3").error == OXIOS_E_INVALID);
}

TEST_CASE("gateway: a full queue answers BUSY and calls no sink") {
    auto engine = std::make_shared<BlockingEngine>();
    Gateway gw(opts(1, 1), engine, {});
    Recorder rec;
    REQUIRE(gw.submit(msg("a"), rec.sink()) == OXIOS_OK);
    REQUIRE(wait_for([&] { return engine->started.load() == 1; }));
    REQUIRE(gw.submit(msg("b"), rec.sink()) == OXIOS_OK);
    CHECK(gw.queue_depth() == 1);
    CHECK(gw.in_flight() == 1);
    bool busy_sink_called = false;
    CHECK(gw.submit(msg("c"), [&](const Delivery&) { busy_sink_called = true; }) == OXIOS_E_BUSY);
    engine->release = true;
    REQUIRE(wait_for([&] { return rec.finals("a") == 1 && rec.finals("b") == 1; }));
    CHECK(!busy_sink_called);
    CHECK(rec.final_of("b").content == "late: hello");
}

TEST_CASE("gateway: call() serves on the calling thread when a slot is free, else queues") {
    auto engine = std::make_shared<BlockingEngine>();
    Gateway gw(opts(16, 1), engine, {});
    Recorder rec;
    // The only slot is taken: call() queues and returns at once.
    REQUIRE(gw.submit(msg("busy"), rec.sink()) == OXIOS_OK);
    REQUIRE(wait_for([&] { return engine->started.load() == 1; }));
    std::thread::id delivered_on;
    REQUIRE(gw.call(msg("queued"), [&](const Delivery& d) {
        if (d.kind != OXIOS_DELIVERY_TOKEN) delivered_on = std::this_thread::get_id();
        rec.sink()(d);
    }) == OXIOS_OK);
    CHECK(gw.queue_depth() == 1);
    CHECK(rec.finals("queued") == 0);
    engine->release = true;
    REQUIRE(wait_for([&] { return rec.finals("busy") == 1 && rec.finals("queued") == 1; }));
    CHECK(delivered_on != std::this_thread::get_id());  // a worker served it

    // A free slot and an empty queue: served here, final delivery before return.
    REQUIRE(gw.call(msg("here", "inline"), [&](const Delivery& d) {
        if (d.kind != OXIOS_DELIVERY_TOKEN) delivered_on = std::this_thread::get_id();
        rec.sink()(d);
    }) == OXIOS_OK);
    CHECK(rec.finals("here") == 1);
    CHECK(delivered_on == std::this_thread::get_id());
    CHECK(rec.final_of("here").content == "late: inline");
    CHECK(gw.in_flight() == 0);
}

TEST_CASE("gateway: timeout delivers exactly one ERROR, even when the engine finishes late") {
    auto engine = std::make_shared<BlockingEngine>();
    engine->ignore_cancel = true;
    Gateway gw(opts(4, 1, 150), engine, {});
    Recorder rec;
    REQUIRE(gw.submit(msg("slow"), rec.sink()) == OXIOS_OK);
    REQUIRE(gw.submit(msg("queued"), rec.sink()) == OXIOS_OK);  // times out while queued
    REQUIRE(wait_for([&] { return rec.finals("slow") == 1 && rec.finals("queued") == 1; }));
    auto d = rec.final_of("slow");
    CHECK(d.kind == OXIOS_DELIVERY_ERROR);
    CHECK(d.error == OXIOS_E_TIMEOUT);
    CHECK(d.content == "no reply within 1 s");
    CHECK(d.session_id.size() == 36);  // the session the engine was given
    CHECK(rec.final_of("queued").error == OXIOS_E_TIMEOUT);
    engine->release = true;  // the engine now finishes late
    REQUIRE(wait_for([&] { return gw.in_flight() == 0; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    CHECK(rec.finals("slow") == 1);
    CHECK(rec.finals("queued") == 1);
    CHECK(engine->started.load() == 1);  // the expired queued message never ran
}

TEST_CASE("gateway: cancel_connection cancels queued and running messages of that connection") {
    auto engine = std::make_shared<BlockingEngine>();
    Gateway gw(opts(8, 1), engine, {});
    Recorder rec;
    REQUIRE(gw.submit(msg("run", "x", 7), rec.sink()) == OXIOS_OK);
    REQUIRE(wait_for([&] { return engine->started.load() == 1; }));
    REQUIRE(gw.submit(msg("wait", "x", 7), rec.sink()) == OXIOS_OK);
    REQUIRE(gw.submit(msg("other", "x", 8), rec.sink()) == OXIOS_OK);
    gw.cancel_connection(7);
    REQUIRE(wait_for([&] { return rec.finals("run") == 1 && rec.finals("wait") == 1; }));
    CHECK(engine->saw_cancel.load());
    CHECK(rec.final_of("run").kind == OXIOS_DELIVERY_ERROR);
    CHECK(rec.final_of("wait").kind == OXIOS_DELIVERY_ERROR);
    CHECK(rec.final_of("wait").error == OXIOS_E_CLOSED);
    engine->release = true;
    REQUIRE(wait_for([&] { return rec.finals("other") == 1; }));
    CHECK(rec.final_of("other").kind == OXIOS_DELIVERY_REPLY);
    CHECK(rec.finals("run") == 1);
}

TEST_CASE("gateway: shutdown fails what is left, once, and refuses new messages") {
    auto engine = std::make_shared<BlockingEngine>();
    Gateway gw(opts(8, 1), engine, {});
    Recorder rec;
    REQUIRE(gw.submit(msg("a"), rec.sink()) == OXIOS_OK);
    REQUIRE(wait_for([&] { return engine->started.load() == 1; }));
    REQUIRE(gw.submit(msg("b"), rec.sink()) == OXIOS_OK);
    gw.shutdown(50);
    CHECK(rec.finals("a") == 1);
    CHECK(rec.finals("b") == 1);
    CHECK(rec.final_of("b").kind == OXIOS_DELIVERY_ERROR);
    CHECK(gw.submit(msg("c"), rec.sink()) == OXIOS_E_CLOSED);
    gw.shutdown(50);  // idempotent
}

TEST_CASE("gateway: agents are registered per request and agents.kill cancels it") {
    TempDir dir;
    std::mutex em;
    std::vector<std::string> events;
    auto publish = [&](std::string_view type, const rapidjson::Value&) {
        std::lock_guard lock(em);
        events.emplace_back(type);
    };
    AgentRegistry agents(publish, clock::now_us);
    FileRecordStore records(dir.path(), clock::now_us, nullptr);
    SpaceStore spaces(records, publish, clock::now_us);
    auto engine = std::make_shared<BlockingEngine>();
    Gateway gw(opts(8, 2), engine, Gateway::Services{&spaces, &agents, publish});
    Recorder rec;
    REQUIRE(gw.submit(msg("k"), rec.sink()) == OXIOS_OK);
    REQUIRE(wait_for([&] { return engine->started.load() == 1; }));
    auto list = parse(agents.list(1, 50).body);
    REQUIRE(list["total"].GetInt() == 1);
    const std::string agent_id = list["items"][0]["id"].GetString();
    CHECK(std::string(list["items"][0]["status"].GetString()) == "running");
    CHECK(agents.kill(agent_id));
    REQUIRE(wait_for([&] { return rec.finals("k") == 1; }));
    auto d = rec.final_of("k");
    CHECK(d.kind == OXIOS_DELIVERY_ERROR);
    CHECK(d.content == "agent killed");
    CHECK(d.agent_id == agent_id);
    REQUIRE(wait_for([&] { return agents.counts().active == 0; }));
    CHECK(agents.counts().failed == 1);
    CHECK(!agents.kill(agent_id));

    engine->release = true;
    REQUIRE(gw.submit(msg("ok"), rec.sink()) == OXIOS_OK);
    REQUIRE(wait_for([&] { return rec.finals("ok") == 1; }));
    REQUIRE(wait_for([&] { return agents.counts().completed == 1; }));
    std::lock_guard lock(em);
    auto has = [&](const char* t) { return std::find(events.begin(), events.end(), t) != events.end(); };
    CHECK(has("message_received"));
    CHECK(has("agent_created"));
    CHECK(has("agent_started"));
    CHECK(has("agent_stopped"));
    CHECK(has("agent_failed"));
}

TEST_CASE("gateway: chats create, use and bump spaces") {
    TempDir dir;
    std::mutex em;
    std::vector<std::string> events;
    auto publish = [&](std::string_view type, const rapidjson::Value&) {
        std::lock_guard lock(em);
        events.emplace_back(type);
    };
    FileRecordStore records(dir.path(), clock::now_us, nullptr);
    SpaceStore spaces(records, publish, clock::now_us);
    Gateway gw(opts(8, 2), std::make_shared<EchoEngine>(), Gateway::Services{&spaces, nullptr, publish});
    Recorder rec;
    auto named = msg("n1");
    named.space_id = "project-x";
    REQUIRE(gw.submit(named, rec.sink()) == OXIOS_OK);
    REQUIRE(wait_for([&] { return rec.finals("n1") == 1; }));
    CHECK(rec.final_of("n1").space_id == "project-x");
    auto sp = parse(spaces.get("project-x").body);
    CHECK(std::string(sp["name"].GetString()) == "project-x");
    CHECK(std::string(sp["source"].GetString()) == "chat");
    CHECK(sp["interaction_count"].GetInt() == 1);
    CHECK(std::filesystem::exists(dir.path() / "spaces/project-x.json"));

    REQUIRE(gw.submit(msg("n2"), rec.sink()) == OXIOS_OK);  // no active space: none
    REQUIRE(wait_for([&] { return rec.finals("n2") == 1; }));
    CHECK(rec.final_of("n2").space_id.empty());

    REQUIRE(spaces.activate("project-x").ok());
    REQUIRE(gw.submit(msg("n3"), rec.sink()) == OXIOS_OK);  // the active space
    REQUIRE(wait_for([&] { return rec.finals("n3") == 1; }));
    CHECK(rec.final_of("n3").space_id == "project-x");
    CHECK(parse(spaces.get("project-x").body)["interaction_count"].GetInt() == 2);
    std::lock_guard lock(em);
    CHECK(std::count(events.begin(), events.end(), "space_created") == 1);
    CHECK(std::count(events.begin(), events.end(), "space_activated") == 1);
}
