// SSE /api/events through the mock host: framing, sanitising per event type,
// Last-Event-ID replay, resync, admission, and no gap or repeat across reloads.
#include "plugin_fixture.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <thread>

using namespace plugin_test;

namespace {

struct SseMessage {
    std::string event;  // "" = default message
    uint64_t id = 0;    // 0 = no id line
    std::string data;
};

// Splits a stream into messages; checks the framing of each line.
std::vector<SseMessage> messages_of(const std::string& stream) {
    std::vector<SseMessage> out;
    size_t pos = 0;
    while (true) {
        const size_t end = stream.find("\n\n", pos);
        if (end == std::string::npos) break;
        const std::string block = stream.substr(pos, end - pos);
        pos = end + 2;
        SseMessage m;
        size_t lp = 0;
        bool comment_only = true;
        while (lp <= block.size()) {
            size_t le = block.find('\n', lp);
            if (le == std::string::npos) le = block.size();
            const std::string line = block.substr(lp, le - lp);
            lp = le + 1;
            if (line.empty() || line[0] == ':') continue;
            comment_only = false;
            if (line.rfind("id: ", 0) == 0)
                m.id = std::stoull(line.substr(4));
            else if (line.rfind("event: ", 0) == 0)
                m.event = line.substr(7);
            else if (line.rfind("data: ", 0) == 0) {
                CHECK_MESSAGE(line.size() > 6, "empty data line");
                CHECK_MESSAGE(line[6] != ' ', "more than one space after data:");
                CHECK_MESSAGE(m.data.empty(), "more than one data line: " << block);
                m.data = line.substr(6);
            } else {
                FAIL_CHECK("unexpected line: " << line);
            }
        }
        if (!comment_only) out.push_back(m);
    }
    return out;
}

// Waits until the stream holds a message with id >= seq.
std::vector<SseMessage> wait_seq(MockHost& host, uint64_t stream, uint64_t seq,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto msgs = messages_of(host.sse_data(stream));
        for (const auto& m : msgs)
            if (m.id >= seq) return msgs;
        if (std::chrono::steady_clock::now() > until) return msgs;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

// Checks the sequence of ids: strictly consecutive; returns how many.
size_t check_consecutive(const std::vector<SseMessage>& msgs, uint64_t first, uint64_t last) {
    uint64_t expect = first;
    size_t n = 0;
    for (const auto& m : msgs) {
        if (m.id == 0) continue;
        CHECK_MESSAGE(m.id == expect, "expected id " << expect << " got " << m.id);
        expect = m.id + 1;
        ++n;
    }
    CHECK(expect == last + 1);
    return n;
}

std::vector<std::string> keys(const rapidjson::Value& v) {
    std::vector<std::string> out;
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) out.emplace_back(it->name.GetString());
    return out;
}

}  // namespace

TEST_CASE_FIXTURE(Fixture, "sse: admitted as text/event-stream; a fresh stream starts live with id lines") {
    host.publish_event("space_created", R"({"space_id":"old","name":"old"})");
    auto [s, resp] = host.sse_connect("/api/events");
    REQUIRE(s != 0);
    CHECK(resp.status == 200);
    CHECK(resp.content_type == "text/event-stream");
    CHECK(resp.header("Cache-Control") == "no-cache");
    const uint64_t seq = host.publish_event("space_created", R"({"space_id":"sp1","name":"Work"})");
    auto msgs = wait_seq(host, s, seq);
    REQUIRE(msgs.size() == 1);  // the event before the connect is not replayed
    CHECK(msgs[0].id == seq);
    CHECK(msgs[0].event.empty());
    const std::string raw = host.sse_data(s);
    CHECK(raw.rfind("id: " + std::to_string(seq) + "\ndata: {", 0) == 0);
    CHECK(raw.substr(raw.size() - 3) == "}\n\n");
    auto d = parse(msgs[0].data);
    CHECK(d["id"].IsString());
    CHECK(d["timestamp"].IsString());
    CHECK(std::string(d["type"].GetString()) == "space_created");
    CHECK(std::string(d["space_id"].GetString()) == "sp1");
    CHECK(std::string(d["name"].GetString()) == "Work");
}

TEST_CASE_FIXTURE(Fixture,
                  "sse: the bus wakes the plugin only once a stream has opened, and it starts live all the same") {
    // Without an SSE client a chat's events cost no wake-up of the plugin.
    CHECK(host.event_subscriptions() == 0);
    uint64_t last = 0;
    for (int i = 0; i < 50; ++i) last = host.publish_event("space_created", R"({"space_id":"a","name":"a"})");
    CHECK(host.event_subscriptions() == 0);

    auto [s, resp] = host.sse_connect("/api/events");
    REQUIRE(s != 0);
    CHECK(host.event_subscriptions() == 1);
    const uint64_t seq = host.publish_event("space_created", R"({"space_id":"b","name":"b"})");
    CHECK(seq == last + 1);
    auto msgs = wait_seq(host, s, seq);
    REQUIRE(msgs.size() == 1);  // live from its opening: nothing of the 50 before
    CHECK(msgs[0].id == seq);

    // Closing the last stream keeps the subscription; a later stream resumes
    // from its Last-Event-ID through it.
    host.sse_client_close(s);
    CHECK(host.event_subscriptions() == 1);
    const uint64_t next = host.publish_event("space_created", R"({"space_id":"c","name":"c"})");
    auto [s2, resp2] = host.sse_connect("/api/events", {{"Last-Event-ID", std::to_string(seq)}});
    REQUIRE(s2 != 0);
    auto again = wait_seq(host, s2, next);
    REQUIRE(again.size() == 1);
    CHECK(again[0].id == next);
}

TEST_CASE_FIXTURE(Fixture,
                  "sse: a stream opened while the bus refuses subscriptions is kept and catches up once it accepts") {
    host.set_events_subscribe_status(OXIOS_E_INTERNAL);
    auto [s, resp] = host.sse_connect("/api/events");
    REQUIRE(s != 0);
    CHECK(resp.status == 200);
    CHECK(host.sse_open(s));  // not closed: the UI would never reconnect it
    const uint64_t missed = host.publish_event("space_created", R"({"space_id":"a","name":"a"})");
    host.set_events_subscribe_status(OXIOS_OK);
    auto msgs = wait_seq(host, s, missed);  // from the bus, once subscribed (retried every second)
    REQUIRE(!msgs.empty());
    CHECK(msgs.back().id == missed);
    CHECK(host.event_subscriptions() == 1);
    const uint64_t live = host.publish_event("space_created", R"({"space_id":"b","name":"b"})");
    msgs = wait_seq(host, s, live);
    check_consecutive(msgs, missed, live);
}

TEST_CASE_FIXTURE(Fixture, "sse: sensitive fields are stripped per event type") {
    auto [s, resp] = host.sse_connect("/api/events");
    REQUIRE(s != 0);
    struct Case {
        const char* type;
        const char* fields;
        std::vector<std::string> expect;  // keys besides id, timestamp, type, in order
    };
    const std::vector<Case> cases = {
        {"message_received",
         R"({"message_id":"m1","session_id":"s1","user_id":"u","content":"secret text","space_id":"sp"})",
         {"message_id", "session_id", "user_id", "space_id"}},
        {"phase_started", R"({"phase":"execute","session_id":"s1","seed_id":"x"})", {"phase", "seed_id"}},
        {"phase_completed",
         R"({"phase":"execute","session_id":"s1","result_summary":"secret","summary":"secret","success":true})",
         {"phase", "success"}},
        {"agent_output", R"({"agent_id":"a1","output":"secret","text":"secret","content":"secret"})", {"agent_id"}},
        {"agent_failed", R"({"agent_id":"a1","name":"n","error":"secret stack"})", {"agent_id", "name"}},
        {"agent_created", R"({"agent_id":"a1","name":"n","extra":{"x":1}})", {"agent_id", "name"}},
        {"approval_requested",
         R"({"approval_id":"ap1","subject":"s","action":"rm","resource":"/x","reason":"secret reason"})",
         {"approval_id", "subject", "action", "resource"}},
        {"approval_resolved",
         R"({"approval_id":"ap1","status":"approved","reason":"secret"})",
         {"approval_id", "status"}},
        {"memory_recalled", R"({"count":3,"memory_type":"fact","query":"secret query"})", {"count", "memory_type"}},
        {"memory_stored",
         R"({"memory_id":"m","memory_type":"fact","tags":["a"],"content":"secret"})",
         {"memory_id", "memory_type", "tags"}},
        {"evaluation_complete",
         R"({"seed_id":"x","score":0.9,"passed":true,"feedback":"secret"})",
         {"seed_id", "score", "passed"}},
        {"seed_created", R"({"seed_id":"x","goal":"g","generation":1})", {"seed_id", "goal", "generation"}},
        {"plugin_reloaded",
         R"({"plugin":"web","version":"2","previous_version":"1"})",
         {"plugin", "version", "previous_version"}},
        // Unknown types keep listed scalars only.
        {"brand_new_thing",
         R"({"agent_id":"a","status":"ok","content":"secret","count":2,"nested":{"a":1},"name":["x"]})",
         {"agent_id", "status", "count"}},
    };
    uint64_t last = 0;
    for (const auto& c : cases) last = host.publish_event(c.type, c.fields);
    auto msgs = wait_seq(host, s, last);
    REQUIRE(msgs.size() == cases.size());
    for (size_t i = 0; i < cases.size(); ++i) {
        auto d = parse(msgs[i].data);
        CHECK(std::string(d["type"].GetString()) == cases[i].type);
        std::vector<std::string> want = {"id", "timestamp", "type"};
        want.insert(want.end(), cases[i].expect.begin(), cases[i].expect.end());
        auto got = keys(d);
        std::sort(got.begin(), got.end());
        std::sort(want.begin(), want.end());
        CHECK_MESSAGE(got == want, cases[i].type << ": " << msgs[i].data);
        CHECK_MESSAGE(!contains(msgs[i].data, "secret"), msgs[i].data);
    }
}

TEST_CASE_FIXTURE(Fixture, "sse: Last-Event-ID replays what the client missed, then goes live") {
    uint64_t last = 0;
    for (int i = 0; i < 5; ++i) last = host.publish_event("space_created", R"({"space_id":"r","name":"r"})");
    auto [s, resp] = host.sse_connect("/api/events", {{"Last-Event-ID", std::to_string(last - 3)}});
    REQUIRE(s != 0);
    auto msgs = messages_of(host.sse_data(s));  // replayed during the open
    REQUIRE(msgs.size() == 3);
    CHECK(msgs[0].id == last - 2);
    CHECK(msgs[2].id == last);
    const uint64_t live = host.publish_event("space_archived", R"({"space_id":"r","name":"r"})");
    msgs = wait_seq(host, s, live);
    check_consecutive(msgs, last - 2, live);
    // A plain GET of the stream (curl-like) with ?token= when auth is off works too.
    auto r = host.get("/api/events?token=ignored", {{"Last-Event-ID", std::to_string(live - 1)}});
    CHECK(r.status == 200);
    CHECK(contains(r.body, "id: " + std::to_string(live) + "\ndata: "));
}

TEST_CASE_FIXTURE(Fixture, "sse: a client too far behind gets a resync with the count it missed") {
    uint64_t last = 0;
    for (int i = 0; i < 300; ++i) last = host.publish_event("memory_recalled", R"({"count":1})");
    auto [s, resp] = host.sse_connect("/api/events", {{"Last-Event-ID", "1"}});
    REQUIRE(s != 0);
    auto msgs = messages_of(host.sse_data(s));
    REQUIRE(!msgs.empty());
    CHECK(msgs[0].event == "resync");
    CHECK(msgs[0].id == 0);
    auto r = parse(msgs[0].data);
    CHECK(std::string(r["type"].GetString()) == "resync");
    const uint64_t first_kept = last - 256 + 1;  // the harness keeps 256 events
    CHECK(r["missed"].GetUint64() == first_kept - 2);
    msgs.erase(msgs.begin());
    CHECK(check_consecutive(msgs, first_kept, last) == 256);
}

TEST_CASE_FIXTURE(Fixture, "sse: admission: auth with Bearer or ?token=, Origin check, rate limit") {
    host.set_config(R"({"security":{"auth_enabled":true,"rate_limit_per_minute":3}})");
    host.set_tokens({"tok-9"});
    auto [a, ra] = host.sse_connect("/api/events");
    CHECK(a == 0);
    CHECK(error_of(ra, 401) == "unauthorized");
    auto [b, rb] = host.sse_connect("/api/events?token=tok-9");
    CHECK(b != 0);
    CHECK(rb.status == 200);
    auto [c, rc] = host.sse_connect("/api/events", {{"Authorization", "Bearer tok-9"}});
    CHECK(c != 0);
    auto [d, rd] = host.sse_connect("/api/events?token=tok-9", {{"Origin", "http://evil.example"}, {"Host", "h:1"}});
    CHECK(d == 0);
    CHECK(rd.status == 403);
    auto [e, re] = host.sse_connect("/api/events?token=tok-9");
    CHECK(e != 0);
    auto [f, rf] = host.sse_connect("/api/events?token=tok-9");
    CHECK(f == 0);
    CHECK(rf.status == 429);
}

TEST_CASE_FIXTURE(Fixture, "sse: a stream that got nothing yet resumes where it opened after a reload") {
    const std::string next = next_plugin_path();
    REQUIRE(!next.empty());
    for (int i = 0; i < 5; ++i) host.publish_event("space_created", R"({"space_id":"before","name":"b"})");
    auto [s, resp] = host.sse_connect("/api/events");
    REQUIRE(s != 0);
    host.reload(next);
    CHECK(host.sse_open(s));
    CHECK(host.sse_data(s).empty());  // nothing from before the connect is replayed
    const uint64_t seq = host.publish_event("space_created", R"({"space_id":"after","name":"a"})");
    auto msgs = wait_seq(host, s, seq);
    REQUIRE(msgs.size() == 1);
    CHECK(msgs[0].id == seq);
}

TEST_CASE_FIXTURE(Fixture, "sse: no gap and no repeat across reloads under a continuous publisher") {
    const std::string next = next_plugin_path();
    REQUIRE(!next.empty());
    std::vector<uint64_t> streams;
    for (int i = 0; i < 4; ++i) {
        auto [s, r] = host.sse_connect("/api/events");
        REQUIRE(s != 0);
        streams.push_back(s);
    }
    const uint64_t first = host.publish_event("space_created", R"({"space_id":"start","name":"s"})");
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> last{first};
    std::thread publisher([&] {
        while (!stop) {
            last = host.publish_event("message_received", R"({"message_id":"m","content":"secret"})");
            std::this_thread::sleep_for(std::chrono::microseconds(500));
        }
    });
    constexpr int kReloads = 8;
    for (int i = 0; i < kReloads; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
        host.reload(i % 2 == 0 ? next : plugin_path());
    }
    stop = true;
    publisher.join();
    size_t total = 0;
    for (uint64_t s : streams) {
        CHECK(host.sse_open(s));
        auto msgs = wait_seq(host, s, last);
        for (const auto& m : msgs) CHECK_FALSE(contains(m.data, "secret"));
        total += check_consecutive(msgs, first, last);
    }
    MESSAGE("sse reload: " << kReloads << " reloads, " << (last - first + 1) << " events, " << total
                           << " delivered over " << streams.size() << " streams, no gap or repeat checked");
}

namespace {

// Reads (sse_read: consumes, and lets a held-back stream write again) until
// a message with id >= seq arrived or nothing moves for a while; returns
// every message read.
std::vector<SseMessage> read_until(MockHost& host, uint64_t stream, uint64_t seq) {
    std::string all;
    auto idle_since = std::chrono::steady_clock::now();
    for (;;) {
        const std::string chunk = host.sse_read(stream);
        all += chunk;
        auto msgs = messages_of(all);
        if (!msgs.empty() && msgs.back().id >= seq) return msgs;
        if (!chunk.empty())
            idle_since = std::chrono::steady_clock::now();
        else if (std::chrono::steady_clock::now() - idle_since > std::chrono::seconds(5))
            return msgs;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

}  // namespace

TEST_CASE_FIXTURE(Fixture, "sse: a slow client is held back, not cut off: it gets every event in order once it reads") {
    auto [s, resp] = host.sse_connect("/api/events");
    REQUIRE(s != 0);
    constexpr size_t kWindow = 2000;  // about 15 frames
    host.sse_set_window(s, kWindow);
    const uint64_t first = host.publish_event("space_created", R"({"space_id":"first","name":"n"})");
    uint64_t last = first;
    for (int i = 0; i < 100; ++i) last = host.publish_event("space_created", R"({"space_id":"sp","name":"n"})");
    // Nothing read yet: the plugin stops at the window instead of piling up
    // (events reach it on the harness's bus thread).
    for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
         host.sse_data(s).size() < kWindow && std::chrono::steady_clock::now() < until;)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const std::string held = host.sse_data(s);
    CHECK(held.size() >= kWindow);
    CHECK(held.size() < kWindow + 200);
    CHECK(host.sse_open(s));
    auto msgs = read_until(host, s, last);
    for (const auto& m : msgs) CHECK(m.event.empty());  // no resync: the bus still held all of it
    CHECK(check_consecutive(msgs, first, last) == last - first + 1);
    // Caught up: live again.
    const uint64_t live = host.publish_event("space_archived", R"({"space_id":"sp","name":"n"})");
    msgs = read_until(host, s, live);
    REQUIRE(!msgs.empty());
    CHECK(msgs.back().id == live);
    CHECK(host.sse_open(s));
}

TEST_CASE_FIXTURE(Fixture,
                  "sse: a client held back longer than the bus keeps events gets a resync, then the rest in order") {
    auto [s, resp] = host.sse_connect("/api/events");
    REQUIRE(s != 0);
    host.sse_set_window(s, 1000);
    const uint64_t first = host.publish_event("memory_recalled", R"({"count":1})");
    uint64_t last = first;
    for (int i = 0; i < 400; ++i) last = host.publish_event("memory_recalled", R"({"count":1})");
    auto msgs = read_until(host, s, last);
    REQUIRE(!msgs.empty());
    // What was written before the refusal, then one resync, then the 256 the
    // harness's bus still holds.
    size_t resync_at = msgs.size();
    for (size_t i = 0; i < msgs.size(); ++i)
        if (msgs[i].event == "resync") {
            CHECK(resync_at == msgs.size());  // only one
            resync_at = i;
        }
    REQUIRE(resync_at < msgs.size());
    REQUIRE(resync_at > 0);
    const uint64_t written = msgs[resync_at - 1].id;
    const uint64_t first_kept = last - 256 + 1;
    auto r = parse(msgs[resync_at].data);
    CHECK(r["missed"].GetUint64() == first_kept - written - 1);
    std::vector<SseMessage> before(msgs.begin(), msgs.begin() + static_cast<long>(resync_at));
    std::vector<SseMessage> after(msgs.begin() + static_cast<long>(resync_at) + 1, msgs.end());
    check_consecutive(before, first, written);
    CHECK(check_consecutive(after, first_kept, last) == 256);
}

TEST_CASE_FIXTURE(Fixture,
                  "sse: a held-back stream moved to a new instance by a reload resumes without gap or repeat") {
    const std::string next = next_plugin_path();
    REQUIRE(!next.empty());
    auto [s, resp] = host.sse_connect("/api/events");
    REQUIRE(s != 0);
    host.sse_set_window(s, 1500);
    const uint64_t first = host.publish_event("space_created", R"({"space_id":"a","name":"n"})");
    uint64_t last = first;
    for (int i = 0; i < 60; ++i) last = host.publish_event("space_created", R"({"space_id":"a","name":"n"})");
    host.reload(next);  // the new instance is refused too: it waits for the read
    CHECK(host.sse_open(s));
    for (int i = 0; i < 60; ++i) last = host.publish_event("space_created", R"({"space_id":"b","name":"n"})");
    auto msgs = read_until(host, s, last);
    for (const auto& m : msgs) CHECK(m.event.empty());
    CHECK(check_consecutive(msgs, first, last) == last - first + 1);
}
