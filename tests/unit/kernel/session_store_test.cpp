#include "clock.hpp"
#include "json_util.hpp"
#include "kernel.hpp"
#include "session_store.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>
#include <vector>

using namespace oxios::kernel;
using namespace oxios::kernel::test;
namespace fs = std::filesystem;

namespace {
size_t count_files(const fs::path& dir) {
    size_t n = 0;
    for (auto& e : fs::recursive_directory_iterator(dir)) n += e.is_regular_file() ? 1 : 0;
    return n;
}
}  // namespace

TEST_CASE("sessions: append, get, list, delete") {
    TempDir dir;
    SessionStore store(dir.path() / "sessions", clock::now_us);
    Exchange ex;
    ex.session_id = "s1";
    ex.space_id = "sp";
    ex.user_us = 1'700'000'000'000'000;
    ex.reply_us = ex.user_us + 5;
    REQUIRE(store.append(ex.view()) == OXIOS_OK);
    ex.user_content = "second";
    ex.reply_content = "echo: second";
    ex.seed_id = "seed-1";
    REQUIRE(store.append(ex.view()) == OXIOS_OK);

    auto got = store.get("s1");
    REQUIRE(got.ok());
    auto d = parse(got.body);
    CHECK(std::string(d["id"].GetString()) == "s1");
    CHECK(std::string(d["user_id"].GetString()) == "default");
    REQUIRE(d["user_messages"].Size() == 2);
    CHECK(std::string(d["user_messages"][1]["content"].GetString()) == "second");
    CHECK(std::string(d["user_messages"][0]["timestamp"].GetString()) == "2023-11-14T22:13:20.000000Z");
    REQUIRE(d["agent_responses"].Size() == 2);
    const auto& r0 = d["agent_responses"][0];
    CHECK(std::string(r0["session_id"].GetString()) == "s1");
    CHECK(r0["seed_id"].IsNull());
    CHECK(std::string(r0["phase_reached"].GetString()) == "execute");
    CHECK(r0["evaluation_passed"].GetBool());
    CHECK(std::string(d["active_seed_id"].GetString()) == "seed-1");
    CHECK(std::string(d["metadata"]["space_id"].GetString()) == "sp");
    CHECK(std::string(d["space_id"].GetString()) == "sp");
    CHECK(d.HasMember("created_at"));
    CHECK(std::string(d["updated_at"].GetString()) == "2023-11-14T22:13:20.000005Z");

    // The file itself is exactly the session format (no top-level space_id).
    auto file = parse(std::string(std::istreambuf_iterator<char>(std::ifstream(dir.path() / "sessions/s1.json").rdbuf()), {}));
    CHECK(!file.HasMember("space_id"));
    CHECK(file["user_messages"].Size() == 2);

    Exchange other;
    other.session_id = "s2";
    other.reply_us = ex.reply_us + 1000;
    REQUIRE(store.append(other.view()) == OXIOS_OK);
    auto list = parse(store.list(1, 50).body);
    CHECK(list["total"].GetInt() == 2);
    REQUIRE(list["items"].Size() == 2);
    CHECK(std::string(list["items"][0]["id"].GetString()) == "s2");  // newest updated_at first
    CHECK(list["items"][1]["message_count"].GetInt() == 2);
    CHECK(std::string(list["items"][1]["space_id"].GetString()) == "sp");
    CHECK(list["items"][0]["space_id"].IsNull());
    auto page2 = parse(store.list(2, 1).body);
    REQUIRE(page2["items"].Size() == 1);
    CHECK(std::string(page2["items"][0]["id"].GetString()) == "s1");

    CHECK(store.remove("s1") == OXIOS_OK);
    CHECK(store.remove("s1") == OXIOS_E_NOT_FOUND);
    CHECK(store.get("s1").status == OXIOS_E_NOT_FOUND);
    CHECK(!fs::exists(dir.path() / "sessions/s1.json"));
    CHECK(store.count() == 1);
}

TEST_CASE("sessions: invalid ids are refused and touch nothing outside sessions/") {
    TempDir dir;
    SessionStore store(dir.path() / "sessions", clock::now_us);
    std::ofstream(dir.path() / "x.json") << "{}";
    const std::string long_id(129, 'a');
    for (const std::string& bad : {std::string("../x"), std::string("a/b"), std::string(""), long_id,
                                   std::string("a.b"), std::string("..")}) {
        Exchange ex;
        ex.session_id = bad;
        CHECK(store.append(ex.view()) == OXIOS_E_INVALID);
        CHECK(store.get(bad).status == OXIOS_E_INVALID);
        CHECK(store.remove(bad) == OXIOS_E_INVALID);
    }
    CHECK(fs::exists(dir.path() / "x.json"));
    CHECK(count_files(dir.path()) == 1);
    Exchange ok;
    ok.session_id = std::string(128, 'b');
    CHECK(store.append(ok.view()) == OXIOS_OK);
}

TEST_CASE("sessions: 100 concurrent appends on one id keep 100 exchanges") {
    TempDir dir;
    SessionStore store(dir.path() / "sessions", clock::now_us);
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int i = 0; i < 100; ++i) {
        threads.emplace_back([&, i] {
            Exchange ex;
            ex.session_id = "shared";
            ex.user_content = "m" + std::to_string(i);
            if (store.append(ex.view()) != OXIOS_OK) ++failures;
        });
    }
    for (auto& t : threads) t.join();
    CHECK(failures == 0);
    auto d = parse(store.get("shared").body);
    CHECK(d["user_messages"].Size() == 100);
    CHECK(d["agent_responses"].Size() == 100);
    // A store reading the files afresh sees the same.
    SessionStore reopened(dir.path() / "sessions", clock::now_us);
    CHECK(parse(reopened.list(1, 10).body)["items"][0]["message_count"].GetInt() == 100);
}

TEST_CASE("sessions: index is rebuilt at start, unparsable files skipped") {
    TempDir dir;
    {
        SessionStore store(dir.path() / "sessions", clock::now_us);
        for (int i = 0; i < 5; ++i) {
            Exchange ex;
            ex.session_id = "s" + std::to_string(i);
            ex.reply_us = 1'700'000'000'000'000 + i;
            REQUIRE(store.append(ex.view()) == OXIOS_OK);
        }
    }
    std::ofstream(dir.path() / "sessions/broken.json") << "{not json";
    std::ofstream(dir.path() / "sessions/.s0.json.abc.tmp") << "partial";
    SessionStore store(dir.path() / "sessions", clock::now_us);
    auto list = parse(store.list(1, 50).body);
    CHECK(list["total"].GetInt() == 5);
    CHECK(std::string(list["items"][0]["id"].GetString()) == "s4");
    CHECK(!fs::exists(dir.path() / "sessions/.s0.json.abc.tmp"));
    // Appending to a session loaded from disk keeps its history.
    Exchange ex;
    ex.session_id = "s2";
    REQUIRE(store.append(ex.view()) == OXIOS_OK);
    CHECK(parse(store.get("s2").body)["user_messages"].Size() == 2);
}

TEST_CASE("sessions: prune by TTL then by count, throttled unless forced") {
    TempDir dir;
    std::atomic<int64_t> now{1'800'000'000'000'000};
    SessionStore store(dir.path() / "sessions", [&] { return now.load(); });
    const int64_t hour = 3600LL * 1'000'000;
    for (int i = 0; i < 6; ++i) {
        Exchange ex;
        ex.session_id = "s" + std::to_string(i);
        ex.reply_us = now - (10 - i) * hour;  // s0 is 10 h old ... s5 is 5 h old
        REQUIRE(store.append(ex.view()) == OXIOS_OK);
    }
    auto r = parse(store.prune(true, 3, 8).body);  // TTL drops s0,s1 (10 h, 9 h); count keeps 3 of s2..s5
    CHECK(r["count"].GetInt() == 3);
    CHECK(r["config"]["max_sessions"].GetInt() == 3);
    CHECK(r["config"]["ttl_hours"].GetInt() == 8);
    auto list = parse(store.list(1, 50).body);
    REQUIRE(list["total"].GetInt() == 3);
    CHECK(std::string(list["items"][2]["id"].GetString()) == "s3");
    CHECK(!fs::exists(dir.path() / "sessions/s0.json"));

    // Auto-prune: not again within the hour, then again after it.
    CHECK(parse(store.prune(false, 1, 0).body)["count"].GetInt() == 0);
    now += hour + 1;
    CHECK(parse(store.prune(false, 1, 0).body)["count"].GetInt() == 2);
    CHECK(parse(store.prune(true, 0, 0).body)["count"].GetInt() == 0);  // 0 disables both
}

TEST_CASE("sessions: appending to a long session costs about the same as to a short one") {
    TempDir dir;
    SessionStore store(dir.path() / "sessions", clock::now_us);
    // Build a 10,000-message session (5,000 exchanges) by writing its file directly.
    {
        rapidjson::Document d(rapidjson::kObjectType);
        auto& a = d.GetAllocator();
        d.AddMember("id", "long", a);
        d.AddMember("user_id", "default", a);
        rapidjson::Value um(rapidjson::kArrayType), ar(rapidjson::kArrayType);
        for (int i = 0; i < 5000; ++i) {
            rapidjson::Value u(rapidjson::kObjectType), r(rapidjson::kObjectType);
            u.AddMember("content", "a fairly ordinary user message of some length", a);
            u.AddMember("timestamp", "2026-01-01T00:00:00.000000Z", a);
            r.AddMember("content", "echo: a fairly ordinary user message of some length", a);
            r.AddMember("session_id", "long", a);
            r.AddMember("timestamp", "2026-01-01T00:00:00.000000Z", a);
            um.PushBack(u, a);
            ar.PushBack(r, a);
        }
        d.AddMember("user_messages", um, a);
        d.AddMember("agent_responses", ar, a);
        d.AddMember("created_at", "2026-01-01T00:00:00.000000Z", a);
        d.AddMember("updated_at", "2026-01-01T00:00:00.000000Z", a);
        SessionStore writer(dir.path() / "sessions", clock::now_us);  // just to create the dir
        std::ofstream(dir.path() / "sessions/long.json") << oxios::kernel::json::to_string(d);
    }
    SessionStore fresh(dir.path() / "sessions", clock::now_us);
    Exchange warm;
    warm.session_id = "long";
    REQUIRE(fresh.append(warm.view()) == OXIOS_OK);  // first append loads + caches
    warm.session_id = "short";
    REQUIRE(fresh.append(warm.view()) == OXIOS_OK);
    // Interleave the two so load from other processes hits both alike; compare medians.
    auto timed_one = [&](const std::string& id) {
        Exchange ex;
        ex.session_id = id;
        const auto start = std::chrono::steady_clock::now();
        REQUIRE(fresh.append(ex.view()) == OXIOS_OK);
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    std::vector<double> short_times, long_times;
    for (int i = 0; i < 20; ++i) {
        short_times.push_back(timed_one("short"));
        long_times.push_back(timed_one("long"));
    }
    std::sort(short_times.begin(), short_times.end());
    std::sort(long_times.begin(), long_times.end());
    const double short_cost = short_times[10], long_cost = long_times[10];
    MESSAGE("append (median): short " << short_cost * 1e3 << " ms, 10k-message " << long_cost * 1e3 << " ms");
    CHECK(long_cost <= short_cost * 3 + 0.002);  // small slack for a noisy shared machine
    CHECK(parse(fresh.get("long").body)["user_messages"].Size() == 5021);
}
