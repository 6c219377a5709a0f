#include "event_bus.hpp"
#include "infra/clock.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

using namespace oxios::kernel;
using namespace oxios::kernel::test;

TEST_CASE("events: publish numbers events and builds {id,timestamp,type,...}") {
    EventBus bus(4, 16, clock::now_us);
    CHECK(bus.publish("seed_created", R"({"seed_id":"x","id":"ignored"})") == 1);
    CHECK(bus.publish("memory_stored", "") == 2);
    CHECK(bus.publish("bad", "[1,2]") == 0);
    CHECK(bus.publish("bad", "{nope") == 0);
    std::vector<std::pair<uint64_t, std::string>> got;
    CHECK(bus.since(0, [&](uint64_t seq, std::string_view j) { got.emplace_back(seq, std::string(j)); }) == 0);
    REQUIRE(got.size() == 2);
    auto e = parse(got[0].second);
    CHECK(e["id"].IsString());
    CHECK(e["id"].GetStringLength() == 36);
    CHECK(std::string(e["id"].GetString()) != "ignored");
    CHECK(std::string(e["type"].GetString()) == "seed_created");
    CHECK(std::string(e["seed_id"].GetString()) == "x");
    CHECK(std::string(e["timestamp"].GetString()).back() == 'Z');
    CHECK(got[1].first == 2);
}

TEST_CASE("events: since() reports what fell out of the ring") {
    EventBus bus(4, 16, clock::now_us);
    for (int i = 0; i < 10; ++i) bus.publish("t", "{}");
    std::vector<uint64_t> seqs;
    auto collect = [&](uint64_t seq, std::string_view) { seqs.push_back(seq); };
    CHECK(bus.since(0, collect) == 6);
    CHECK(seqs == std::vector<uint64_t>{7, 8, 9, 10});
    seqs.clear();
    CHECK(bus.since(8, collect) == 0);
    CHECK(seqs == std::vector<uint64_t>{9, 10});
    seqs.clear();
    CHECK(bus.since(10, collect) == 0);
    CHECK(bus.since(50, collect) == 0);
    CHECK(seqs.empty());
    CHECK(bus.since(3, collect) == 3);
}

TEST_CASE("events: subscribers get events in order on their own thread") {
    EventBus bus(256, 1024, clock::now_us);
    std::mutex m;
    std::vector<uint64_t> seqs;
    auto sub = bus.subscribe([&](uint64_t seq, std::string_view) {
        std::lock_guard lock(m);
        seqs.push_back(seq);
    });
    for (int i = 0; i < 100; ++i) bus.publish("t", "{}");
    CHECK(wait_for([&] {
        std::lock_guard lock(m);
        return seqs.size() == 100;
    }));
    bus.unsubscribe(sub);
    for (size_t i = 0; i < seqs.size(); ++i) CHECK(seqs[i] == i + 1);
    bus.publish("t", "{}");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(seqs.size() == 100);  // nothing after unsubscribe
    CHECK(bus.subscriber_count() == 0);
}

TEST_CASE("events: a slow subscriber never slows the publisher and is told it lagged") {
    EventBus bus(256, 8, clock::now_us);
    std::atomic<bool> release{false};
    std::mutex m;
    std::vector<std::pair<uint64_t, std::string>> slow_got;
    std::atomic<int> fast_count{0};
    auto slow = bus.subscribe([&](uint64_t seq, std::string_view json) {
        while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        std::lock_guard lock(m);
        slow_got.emplace_back(seq, std::string(json));
    });
    // The queue bound is per bus: with 8 slots even a prompt subscriber may
    // lag briefly, so count what it was told it missed too.
    auto fast = bus.subscribe([&](uint64_t seq, std::string_view json) {
        fast_count += seq == 0 ? static_cast<int>(parse(std::string(json))["missed"].GetUint64()) : 1;
    });
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 50; ++i) bus.publish("t", "{}");
    const auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(elapsed < std::chrono::milliseconds(500));
    CHECK(wait_for([&] { return fast_count.load() == 50; }));
    release = true;
    CHECK(wait_for([&] {
        std::lock_guard lock(m);
        return !slow_got.empty() && slow_got.back().first == 0;
    }));
    bus.publish("after", "{}");
    CHECK(wait_for([&] {
        std::lock_guard lock(m);
        return slow_got.back().first == 51;
    }));
    bus.unsubscribe(slow);
    bus.unsubscribe(fast);
    std::lock_guard lock(m);
    // Got the first 1 + 8 queued, then a lagged notice for the rest, then 51.
    uint64_t delivered = 0, missed = 0;
    for (auto& [seq, json] : slow_got) {
        if (seq == 0) {
            auto e = parse(json);
            CHECK(std::string(e["type"].GetString()) == "lagged");
            missed += e["missed"].GetUint64();
        } else {
            ++delivered;
        }
    }
    CHECK(delivered + missed == 51);
    CHECK(missed > 0);
}

TEST_CASE("events: unsubscribe waits for a running callback") {
    EventBus bus(16, 16, clock::now_us);
    std::atomic<bool> inside{false}, done{false};
    auto sub = bus.subscribe([&](uint64_t, std::string_view) {
        inside = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        done = true;
    });
    bus.publish("t", "{}");
    REQUIRE(wait_for([&] { return inside.load(); }));
    bus.unsubscribe(sub);
    CHECK(done.load());
}

TEST_CASE("events: a subscriber with types gets only those, and others never fill its queue") {
    EventBus bus(256, 4, clock::now_us);
    std::atomic<bool> release{false};
    std::mutex m;
    std::vector<std::string> got;  // type of each call, in order
    auto sub = bus.subscribe(
        [&](uint64_t, std::string_view json) {
            while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
            std::lock_guard lock(m);
            got.emplace_back(parse(std::string(json))["type"].GetString());
        },
        {"wanted"});
    bus.publish("wanted", "{}");
    // The callback is held; with a queue of 4, unwanted events counted against
    // it would make it lag and lose the next wanted ones.
    for (int i = 0; i < 100; ++i) bus.publish("other", R"({"note":"\"type\":\"wanted\""})");
    bus.publish("wanted", "{}");
    bus.publish("wanted", "{}");
    release = true;
    CHECK(wait_for([&] {
        std::lock_guard lock(m);
        return got.size() == 3;
    }));
    bus.unsubscribe(sub);
    std::lock_guard lock(m);
    CHECK(got == std::vector<std::string>{"wanted", "wanted", "wanted"});
}
