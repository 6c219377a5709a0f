// Session files that cannot be parsed at start: left as they are (and
// reported) until an append to their id, which sets them aside first.
#include "file_session_store.hpp"
#include "kernel.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <vector>

using namespace oxios::kernel;
using namespace oxios::kernel::test;
namespace fs = std::filesystem;

namespace {
constexpr int64_t kNowUs = 1'780'000'000'123'456;  // the store's clock: unix secs 1780000000

Exchange said(const std::string& id, const std::string& content) {
    Exchange ex;
    ex.session_id = id;
    ex.user_content = content;
    return ex;
}
}  // namespace

TEST_CASE("sessions: an unparsable file is set aside with its bytes, and the id starts fresh") {
    TempDir dir;
    const fs::path sessions = dir.path() / "sessions";
    fs::create_directories(sessions);
    const std::string original = "{\"id\":\"c\",\"user_messages\":[{\"content\":\"precious\"";  // torn
    std::ofstream(sessions / "c.json", std::ios::binary) << original;

    FileSessionStore store(sessions, [] { return kNowUs; });
    const fs::path aside = sessions / "c.json.corrupt-1780000000";
    CHECK(store.corrupt_set_aside() == 0);  // nothing is rewritten at start
    CHECK(slurp(sessions / "c.json") == original);
    CHECK(!fs::exists(aside));

    REQUIRE(store.append(said("c", "fresh").view()) == OXIOS_OK);
    CHECK(store.corrupt_set_aside() == 1);
    CHECK(user_contents(parse(store.get("c").body)) == std::vector<std::string>{"fresh"});
    REQUIRE(fs::exists(aside));
    CHECK(slurp(aside) == original);  // the append wrote beside it, not over it
    REQUIRE(store.append(said("c", "again").view()) == OXIOS_OK);
    CHECK(store.corrupt_set_aside() == 1);  // set aside once

    // A restart neither serves nor counts the copy again.
    FileSessionStore reopened(sessions, [] { return kNowUs; });
    CHECK(reopened.corrupt_set_aside() == 0);
    CHECK(reopened.count() == 1);
    CHECK(slurp(aside) == original);
}

TEST_CASE("sessions: a second corrupt file of the same id in the same second gets its own name") {
    TempDir dir;
    const fs::path sessions = dir.path() / "sessions";
    fs::create_directories(sessions);
    std::ofstream(sessions / "c.json") << "first";
    {
        FileSessionStore store(sessions, [] { return kNowUs; });
        REQUIRE(store.append(said("c", "one").view()) == OXIOS_OK);
    }
    std::ofstream(sessions / "c.json") << "second";
    FileSessionStore store(sessions, [] { return kNowUs; });
    REQUIRE(store.append(said("c", "two").view()) == OXIOS_OK);
    CHECK(slurp(sessions / "c.json.corrupt-1780000000") == "first");
    CHECK(slurp(sessions / "c.json.corrupt-1780000000-1") == "second");
}

TEST_CASE("sessions: the journal of an unparsable file is set aside with it, not replayed") {
    TempDir dir;
    const fs::path sessions = dir.path() / "sessions";
    fs::create_directories(sessions);
    const std::string journal =
        "{\"n\":1,\"user\":{\"content\":\"old\",\"timestamp\":\"2026-06-01T00:00:00.000000Z\"},"
        "\"agent\":{\"content\":\"echo: old\",\"session_id\":\"u\",\"seed_id\":null,\"phase_reached\":\"execute\","
        "\"evaluation_passed\":true,\"timestamp\":\"2026-06-01T00:00:00.000000Z\"},"
        "\"updated_at\":\"2026-06-01T00:00:00.000000Z\"}\n";
    std::ofstream(sessions / "u.json") << "{not json";
    std::ofstream(sessions / "u.journal", std::ios::binary) << journal;
    FileSessionStore store(sessions, [] { return kNowUs; });
    CHECK(slurp(sessions / "u.journal") == journal);  // untouched at start
    REQUIRE(store.append(said("u", "new").view()) == OXIOS_OK);
    CHECK(slurp(sessions / "u.journal.corrupt-1780000000") == journal);
    CHECK(slurp(sessions / "u.json.corrupt-1780000000") == "{not json");
    CHECK(user_contents(parse(store.get("u").body)) == std::vector<std::string>{"new"});
    FileSessionStore reopened(sessions, [] { return kNowUs; });  // nothing replays after a restart either
    CHECK(user_contents(parse(reopened.get("u").body)) == std::vector<std::string>{"new"});
}

TEST_CASE("kernel: system.status counts the session files set aside") {
    TempDir dir;
    fs::create_directories(dir.path() / "ws/sessions");
    std::ofstream(dir.path() / "ws/sessions/bad.json") << "{not json";
    Kernel::Options o;
    o.workspace_override = (dir.path() / "ws").string();
    Kernel k(o);
    CHECK(parse(k.call("system.status", "{}").body)["state_store"]["corrupt_set_aside"].GetUint64() == 0);
    Exchange ex = said("bad", "hello");
    REQUIRE(k.session_append(ex.view()) == OXIOS_OK);
    auto status = parse(k.call("system.status", "{}").body);
    CHECK(status["state_store"]["corrupt_set_aside"].GetUint64() == 1);
    CHECK(status["state_store"]["healthy"].GetBool());
}
