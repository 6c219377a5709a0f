#include "file_session_store.hpp"
#include "infra/clock.hpp"
#include "infra/json_util.hpp"
#include "kernel.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
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

// The ids of the whole listing, in order.
std::vector<std::string> listed(const FileSessionStore& store) {
    std::vector<std::string> ids;
    auto d = parse(store.list(1, 500).body);
    for (const auto& item : d["items"].GetArray()) ids.emplace_back(item["id"].GetString());
    return ids;
}

// What a kill -9 leaves: the files as they are now, the process gone.
fs::path crash_copy(const fs::path& sessions, const fs::path& to) {
    fs::remove_all(to);
    fs::create_directories(to.parent_path());
    fs::copy(sessions, to, fs::copy_options::recursive);
    return to;
}

FileSessionStore::Limits journal_always(size_t max_exchanges) {
    FileSessionStore::Limits l;
    l.journal_above_bytes = 0;  // every append after the first goes to the journal
    l.journal_max_exchanges = max_exchanges;
    return l;
}

// A journal line as the store writes it (ExchangeRecord::journal_line).
std::string journal_line(uint64_t n, const std::string& id, const std::string& content, const std::string& ts) {
    return "{\"n\":" + std::to_string(n) + ",\"user\":{\"content\":\"" + content + "\",\"timestamp\":\"" + ts +
           "\"},\"agent\":{\"content\":\"echo: " + content + "\",\"session_id\":\"" + id +
           "\",\"seed_id\":null,\"phase_reached\":\"execute\",\"evaluation_passed\":true,\"timestamp\":\"" + ts +
           "\"},\"updated_at\":\"" + ts + "\"}\n";
}

size_t lines_of(const fs::path& p) {
    const std::string text = slurp(p);
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}
}  // namespace

TEST_CASE("sessions: append, get, list, delete") {
    TempDir dir;
    FileSessionStore store(dir.path() / "sessions", clock::now_us);
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
    auto file =
        parse(std::string(std::istreambuf_iterator<char>(std::ifstream(dir.path() / "sessions/s1.json").rdbuf()), {}));
    CHECK(!file.HasMember("space_id"));
    CHECK(file["user_messages"].Size() == 2);
    CHECK(!fs::exists(dir.path() / "sessions/s1.journal"));  // small: the file is complete, no journal

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
    FileSessionStore store(dir.path() / "sessions", clock::now_us);
    std::ofstream(dir.path() / "x.json") << "{}";
    const std::string long_id(129, 'a');
    for (const std::string& bad :
         {std::string("../x"), std::string("a/b"), std::string(""), long_id, std::string("a.b"), std::string("..")}) {
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

TEST_CASE("sessions: index is rebuilt at start, unparsable files skipped") {
    TempDir dir;
    {
        FileSessionStore store(dir.path() / "sessions", clock::now_us);
        for (int i = 0; i < 5; ++i) {
            Exchange ex;
            ex.session_id = "s" + std::to_string(i);
            ex.reply_us = 1'700'000'000'000'000 + i;
            REQUIRE(store.append(ex.view()) == OXIOS_OK);
        }
    }
    std::ofstream(dir.path() / "sessions/broken.json") << "{not json";
    std::ofstream(dir.path() / "sessions/.s0.json.abc.tmp") << "partial";
    FileSessionStore store(dir.path() / "sessions", clock::now_us);
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
    FileSessionStore store(dir.path() / "sessions", [&] { return now.load(); });
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

TEST_CASE("sessions: list is newest first, ties by id, and pages through ties exactly once") {
    TempDir dir;
    FileSessionStore store(dir.path() / "sessions", clock::now_us);
    const int64_t t = 1'750'000'000'000'000;
    for (const std::string id : {"c", "a", "e", "b", "d"}) {
        Exchange ex;
        ex.session_id = id;
        ex.reply_us = t;  // one updated_at for all five
        REQUIRE(store.append(ex.view()) == OXIOS_OK);
    }
    Exchange newest, oldest;
    newest.session_id = "x";
    newest.reply_us = t + 10;
    oldest.session_id = "y";
    oldest.reply_us = t - 10;
    REQUIRE(store.append(oldest.view()) == OXIOS_OK);
    REQUIRE(store.append(newest.view()) == OXIOS_OK);
    const std::vector<std::string> expected{"x", "a", "b", "c", "d", "e", "y"};
    CHECK(listed(store) == expected);

    std::vector<std::string> paged;
    for (uint32_t page = 1; page <= 5; ++page) {
        auto d = parse(store.list(page, 2).body);
        CHECK(d["total"].GetInt() == 7);
        CHECK(d["items"].Size() == (page <= 3 ? 2u : page == 4 ? 1u : 0u));
        for (const auto& item : d["items"].GetArray()) paged.emplace_back(item["id"].GetString());
    }
    CHECK(paged == expected);
    auto far = parse(store.list(4'000'000'000u, 500).body);
    CHECK(far["items"].Size() == 0);
    CHECK(far["total"].GetInt() == 7);
    auto clamped = parse(store.list(0, 0).body);  // page 1, limit 1
    REQUIRE(clamped["items"].Size() == 1);
    CHECK(std::string(clamped["items"][0]["id"].GetString()) == "x");
}

TEST_CASE("sessions: the ordered index follows appends, deletes, prunes and restarts") {
    TempDir dir;
    const int64_t hour = 3600LL * 1'000'000;
    const int64_t base = 1'800'000'000'000'000;
    std::atomic<int64_t> now{base + 20 * hour};
    auto clock_fn = [&] { return now.load(); };
    std::string before_restart;
    {
        FileSessionStore store(dir.path() / "sessions", clock_fn, journal_always(3));
        for (int i = 0; i < 5; ++i) {
            Exchange ex;
            ex.session_id = "s" + std::to_string(i);
            ex.reply_us = base + i * hour;
            REQUIRE(store.append(ex.view()) == OXIOS_OK);
        }
        CHECK(listed(store) == std::vector<std::string>{"s4", "s3", "s2", "s1", "s0"});
        Exchange bump;
        bump.session_id = "s1";
        bump.reply_us = base + 10 * hour;
        REQUIRE(store.append(bump.view()) == OXIOS_OK);  // through the journal
        CHECK(listed(store) == std::vector<std::string>{"s1", "s4", "s3", "s2", "s0"});
        CHECK(store.remove("s3") == OXIOS_OK);
        CHECK(listed(store) == std::vector<std::string>{"s1", "s4", "s2", "s0"});
        // TTL 19 h at base+20h: s0 (20 h old) goes.
        CHECK(parse(store.prune(true, 0, 19).body)["count"].GetInt() == 1);
        CHECK(listed(store) == std::vector<std::string>{"s1", "s4", "s2"});
        // Keep the newest 2: s2 goes.
        CHECK(parse(store.prune(true, 2, 0).body)["count"].GetInt() == 1);
        CHECK(listed(store) == std::vector<std::string>{"s1", "s4"});
        CHECK(!fs::exists(dir.path() / "sessions/s2.json"));
        CHECK(store.count() == 2);
        before_restart = store.list(1, 50).body;
        // A crash now: the journal of s1 is still there.
        CHECK(fs::exists(dir.path() / "sessions/s1.journal"));
        crash_copy(dir.path() / "sessions", dir.path() / "crash/sessions");
    }
    {
        FileSessionStore store(dir.path() / "crash/sessions", clock_fn);
        CHECK(store.list(1, 50).body == before_restart);
        Exchange ex;
        ex.session_id = "s4";
        ex.reply_us = base + 11 * hour;
        REQUIRE(store.append(ex.view()) == OXIOS_OK);
        CHECK(listed(store) == std::vector<std::string>{"s4", "s1"});
        CHECK(parse(store.list(1, 50).body)["items"][1]["message_count"].GetInt() == 2);
    }
    FileSessionStore clean(dir.path() / "sessions", clock_fn);  // after a graceful stop
    CHECK(clean.list(1, 50).body == before_restart);
}

TEST_CASE("sessions: a journaled session is compacted every K exchanges and keeps every exchange") {
    TempDir dir;
    const fs::path sessions = dir.path() / "sessions";
    std::string body;
    {
        FileSessionStore store(sessions, clock::now_us, journal_always(4));
        for (int i = 0; i < 10; ++i) {
            Exchange ex;
            ex.session_id = "big";
            ex.space_id = i == 7 ? "sp7" : "";
            ex.seed_id = i == 8 ? "seed8" : "";
            ex.user_content = "m" + std::to_string(i);
            REQUIRE(store.append(ex.view()) == OXIOS_OK);
        }
        // 1 in the file at creation, 4 journaled then compacted, 4 again, 1 left in the journal.
        auto file = parse(slurp(sessions / "big.json"));
        CHECK(file["user_messages"].Size() == 9);
        CHECK(file["agent_responses"].Size() == 9);
        CHECK(lines_of(sessions / "big.journal") == 1);
        body = store.get("big").body;
        auto d = parse(body);
        std::vector<std::string> expected;
        for (int i = 0; i < 10; ++i) expected.push_back("m" + std::to_string(i));
        CHECK(user_contents(d) == expected);
        CHECK(d["agent_responses"].Size() == 10);
        CHECK(std::string(d["space_id"].GetString()) == "sp7");
        CHECK(std::string(d["metadata"]["space_id"].GetString()) == "sp7");
        CHECK(std::string(d["active_seed_id"].GetString()) == "seed8");
        CHECK(parse(store.list(1, 1).body)["items"][0]["message_count"].GetInt() == 10);
    }
    // The destructor (graceful shutdown) compacted the rest.
    CHECK(!fs::exists(sessions / "big.journal"));
    auto file = parse(slurp(sessions / "big.json"));
    CHECK(file["user_messages"].Size() == 10);
    CHECK(!file.HasMember("space_id"));
    FileSessionStore reopened(sessions, clock::now_us);
    CHECK(reopened.get("big").body == body);  // the same session, byte for byte
}

TEST_CASE("sessions: after a crash the journal is replayed, a torn last line ignored and cut off") {
    TempDir dir;
    const fs::path crashed = dir.path() / "crash/sessions";
    const int64_t t = 1'780'000'000'000'000;
    {
        FileSessionStore store(dir.path() / "sessions", clock::now_us, journal_always(1000));
        for (int i = 0; i < 3; ++i) {
            Exchange ex;
            ex.session_id = "j";
            ex.user_content = "m" + std::to_string(i);
            ex.reply_us = t + i;
            REQUIRE(store.append(ex.view()) == OXIOS_OK);
        }
        crash_copy(dir.path() / "sessions", crashed);
    }
    // The host died while writing: one more complete line, then a torn one.
    {
        std::ofstream out(crashed / "j.journal", std::ios::binary | std::ios::app);
        out << journal_line(3, "j", "by hand", "2026-06-01T00:00:00.000000Z");
        out << R"({"n":4,"user":{"content":"torn)";
    }
    CHECK(parse(slurp(crashed / "j.json"))["user_messages"].Size() == 1);  // the file parses, lagging
    {
        FileSessionStore store(crashed, clock::now_us, journal_always(1000));
        auto listing = parse(store.list(1, 1).body);
        const auto& item = listing["items"][0];
        CHECK(item["message_count"].GetInt() == 4);
        CHECK(std::string(item["updated_at"].GetString()) == "2026-06-01T00:00:00.000000Z");
        auto d = parse(store.get("j").body);
        CHECK(user_contents(d) == std::vector<std::string>{"m0", "m1", "m2", "by hand"});
        CHECK(d["agent_responses"].Size() == 4);
        Exchange ex;
        ex.session_id = "j";
        ex.user_content = "after";
        REQUIRE(store.append(ex.view()) == OXIOS_OK);
        // Every journal line is whole: the torn tail was cut before appending.
        const std::string journal = slurp(crashed / "j.journal");
        CHECK(journal.find("torn") == std::string::npos);
        CHECK(journal.back() == '\n');
        crash_copy(crashed, dir.path() / "crash2/sessions");
    }
    FileSessionStore again(dir.path() / "crash2/sessions", clock::now_us);
    CHECK(user_contents(parse(again.get("j").body)) == std::vector<std::string>{"m0", "m1", "m2", "by hand", "after"});
}

TEST_CASE("sessions: journal lines already in the session file are not applied twice") {
    TempDir dir;
    const fs::path sessions = dir.path() / "sessions";
    std::string stale;
    {
        FileSessionStore store(sessions, clock::now_us, journal_always(1000));
        for (int i = 0; i < 3; ++i) {
            Exchange ex;
            ex.session_id = "k";
            ex.user_content = "m" + std::to_string(i);
            REQUIRE(store.append(ex.view()) == OXIOS_OK);
        }
        stale = slurp(sessions / "k.journal");
        store.flush();
        CHECK(!fs::exists(sessions / "k.journal"));
    }
    // A crash between writing k.json and removing the journal.
    std::ofstream(sessions / "k.journal", std::ios::binary) << stale;
    {
        FileSessionStore store(sessions, clock::now_us, journal_always(1000));
        CHECK(parse(store.list(1, 1).body)["items"][0]["message_count"].GetInt() == 3);
        CHECK(user_contents(parse(store.get("k").body)) == std::vector<std::string>{"m0", "m1", "m2"});
        Exchange ex;
        ex.session_id = "k";
        ex.user_content = "m3";
        REQUIRE(store.append(ex.view()) == OXIOS_OK);
        crash_copy(sessions, dir.path() / "crash/sessions");
    }
    FileSessionStore reopened(dir.path() / "crash/sessions", clock::now_us);
    CHECK(user_contents(parse(reopened.get("k").body)) == std::vector<std::string>{"m0", "m1", "m2", "m3"});
}

TEST_CASE("sessions: delete removes the journal too; a journal without its session file goes at start") {
    TempDir dir;
    const fs::path sessions = dir.path() / "sessions";
    {
        FileSessionStore store(sessions, clock::now_us, journal_always(1000));
        for (int i = 0; i < 3; ++i) {
            Exchange ex;
            ex.session_id = "d";
            REQUIRE(store.append(ex.view()) == OXIOS_OK);
        }
        REQUIRE(fs::exists(sessions / "d.journal"));
        CHECK(store.remove("d") == OXIOS_OK);
        CHECK(!fs::exists(sessions / "d.json"));
        CHECK(!fs::exists(sessions / "d.journal"));
        Exchange again;
        again.session_id = "d";
        REQUIRE(store.append(again.view()) == OXIOS_OK);  // a new session under the old id
        CHECK(parse(store.get("d").body)["user_messages"].Size() == 1);
    }
    // A crash during a delete: the file went, its journal stayed.
    std::ofstream(sessions / "o.journal", std::ios::binary) << journal_line(1, "o", "x", "2026-06-01T00:00:00.000000Z");
    FileSessionStore store(sessions, clock::now_us);
    CHECK(!fs::exists(sessions / "o.journal"));
    CHECK(store.get("o").status == OXIOS_E_NOT_FOUND);
    CHECK(listed(store) == std::vector<std::string>{"d"});
}

TEST_CASE("sessions: 100 concurrent appends on one journaled id keep exactly 100 exchanges") {
    TempDir dir;
    const fs::path sessions = dir.path() / "sessions";
    {
        FileSessionStore store(sessions, clock::now_us, journal_always(7));
        std::vector<std::thread> threads;
        std::atomic<int> failures{0};
        for (int i = 0; i < 100; ++i) {
            threads.emplace_back([&, i] {
                Exchange ex;
                ex.session_id = "shared";
                ex.user_content = "m" + std::to_string(i);
                if (store.append(ex.view()) != OXIOS_OK) ++failures;
                if (i % 10 == 0) (void)store.get("shared");
                if (i % 10 == 5) (void)store.list(1, 10);
            });
        }
        for (auto& t : threads) t.join();
        CHECK(failures == 0);
        auto d = parse(store.get("shared").body);
        auto contents = user_contents(d);
        std::sort(contents.begin(), contents.end());
        CHECK(std::unique(contents.begin(), contents.end()) == contents.end());
        CHECK(contents.size() == 100);
        CHECK(d["agent_responses"].Size() == 100);
        crash_copy(sessions, dir.path() / "crash/sessions");
    }
    FileSessionStore crashed(dir.path() / "crash/sessions", clock::now_us);
    CHECK(parse(crashed.list(1, 10).body)["items"][0]["message_count"].GetInt() == 100);
    CHECK(parse(crashed.get("shared").body)["user_messages"].Size() == 100);
    auto file = parse(slurp(sessions / "shared.json"));  // flushed at the first store's end
    CHECK(file["user_messages"].Size() == 100);
    CHECK(file["agent_responses"].Size() == 100);
}

TEST_CASE("sessions: an evicted journaled session reloads with its journal") {
    TempDir dir;
    FileSessionStore::Limits l = journal_always(1000);
    l.cache_entries = 1;
    FileSessionStore store(dir.path() / "sessions", clock::now_us, l);
    for (int round = 0; round < 3; ++round) {
        for (const std::string id : {"p", "q"}) {  // each append evicts the other
            Exchange ex;
            ex.session_id = id;
            ex.user_content = id + std::to_string(round);
            REQUIRE(store.append(ex.view()) == OXIOS_OK);
        }
    }
    CHECK(user_contents(parse(store.get("p").body)) == std::vector<std::string>{"p0", "p1", "p2"});
    CHECK(user_contents(parse(store.get("q").body)) == std::vector<std::string>{"q0", "q1", "q2"});
}
