// FileSessionStore appends: many threads on one id lose nothing, and the cost of
// an append does not grow with the session's history.
#include "file_session_store.hpp"
#include "infra/clock.hpp"
#include "infra/json_util.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <thread>
#include <vector>

using namespace oxios::kernel;
using namespace oxios::kernel::test;

namespace {

// Bytes this process has handed to write() so far (/proc/self/io, "wchar").
uint64_t bytes_written() {
    std::ifstream io("/proc/self/io");
    std::string key;
    uint64_t value = 0;
    while (io >> key >> value)
        if (key == "wchar:") return value;
    return 0;
}

}  // namespace

TEST_CASE("sessions: 100 concurrent appends on one id keep 100 exchanges") {
    TempDir dir;
    FileSessionStore store(dir.path() / "sessions", clock::now_us);
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
    FileSessionStore reopened(dir.path() / "sessions", clock::now_us);
    CHECK(parse(reopened.list(1, 10).body)["items"][0]["message_count"].GetInt() == 100);
}

TEST_CASE("sessions: appending to a long session writes about as much as to a short one") {
    TempDir dir;
    FileSessionStore store(dir.path() / "sessions", clock::now_us);
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
        FileSessionStore writer(dir.path() / "sessions", clock::now_us);  // just to create the dir
        std::ofstream(dir.path() / "sessions/long.json") << oxios::kernel::json::to_string(d);
    }
    FileSessionStore fresh(dir.path() / "sessions", clock::now_us);
    Exchange warm;
    warm.session_id = "long";
    REQUIRE(fresh.append(warm.view()) == OXIOS_OK);  // first append loads + caches
    warm.session_id = "short";
    REQUIRE(fresh.append(warm.view()) == OXIOS_OK);
    // The cost of an append in bytes written, not in time (timings on a shared
    // machine are noise): the 10k-message history must not be written again.
    auto written_by_one = [&](const std::string& id) {
        Exchange ex;
        ex.session_id = id;
        const uint64_t before = bytes_written();
        REQUIRE(fresh.append(ex.view()) == OXIOS_OK);
        return bytes_written() - before;
    };
    std::vector<uint64_t> short_bytes, long_bytes;
    for (int i = 0; i < 20; ++i) {
        short_bytes.push_back(written_by_one("short"));
        long_bytes.push_back(written_by_one("long"));
    }
    std::sort(short_bytes.begin(), short_bytes.end());
    std::sort(long_bytes.begin(), long_bytes.end());
    const uint64_t short_cost = short_bytes[10], long_cost = long_bytes[10];
    MESSAGE("append (median): short " << short_cost << " bytes, 10k-message " << long_cost << " bytes written");
    REQUIRE(short_cost > 0);                    // the count works here
    CHECK(long_cost <= short_cost * 3 + 4096);  // the history is over 1 MB
    CHECK(parse(fresh.get("long").body)["user_messages"].Size() == 5021);
}
