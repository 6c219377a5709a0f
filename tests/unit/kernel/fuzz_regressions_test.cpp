// Inputs found by the libFuzzer targets (tests/fuzz, scripts/fuzz), replayed
// through the normal suite so the fixes stay fixed.
#include "config/config.hpp"
#include "file_session_store.hpp"
#include "infra/json_util.hpp"
#include "session_doc.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

using namespace oxios::kernel;
using namespace oxios::kernel::test;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kNow = 1'780'000'000'000'000;

oxios_exchange fuzz_exchange(const char* session) {
    oxios_exchange ex{};
    ex.size = sizeof(ex);
    ex.session_id = oxios_str{session, std::strlen(session)};
    ex.user_content = oxios_str{"hello", 5};
    ex.reply_content = oxios_str{"echo: hello", 11};
    ex.evaluation_passed = -1;
    ex.user_time_us = kNow - 1000;
    ex.reply_time_us = kNow;
    return ex;
}

// How often `name` is a member of the object in `text`, and the size of the
// first array under that name.
struct Arrays {
    int times = 0;
    size_t size = 0;
};
Arrays arrays(const std::string& text, const char* name) {
    rapidjson::Document d;
    d.Parse(text.c_str(), text.size());
    REQUIRE_MESSAGE((!d.HasParseError() && d.IsObject()), text);
    Arrays a;
    for (const auto& m : d.GetObject()) {
        if (std::strcmp(m.name.GetString(), name) != 0) continue;
        if (a.times++ == 0 && m.value.IsArray()) a.size = m.value.Size();
    }
    return a;
}

}  // namespace

// fuzz_session crash-fdc2cf533897d85597d297b336bbfc1b4e6c2fec: a session file
// whose message arrays are not arrays was rewritten with "user_messages" and
// "agent_responses" twice (the new arrays, then the old values), which every
// reader that keeps the last duplicate (Python, JavaScript) saw as a broken
// session.
TEST_CASE("fuzz: non-array message fields are not written twice") {
    const std::string input = R"({"user_messages":5,"agent_responses":{}})";
    auto doc = SessionDoc::parse(input);
    REQUIRE(doc);
    doc->append(fuzz_exchange("fz"), kNow);
    const std::string out = doc->to_json();
    CHECK(arrays(out, "user_messages").times == 1);
    CHECK(arrays(out, "agent_responses").times == 1);
    CHECK(arrays(out, "user_messages").size == 1);
    CHECK(arrays(out, "agent_responses").size == 1);
    CHECK(doc->summary("fz").message_count == 1);
    CHECK(SessionDoc::summarize("fz", input)->message_count == 0);
}

// Same fuzz target: repeated message arrays were joined into the file but
// counted as the last one only (the summary's message_count disagreed with
// the file), and summarize() counted the first one only.
TEST_CASE("fuzz: repeated message arrays are joined and counted alike") {
    const std::string input = R"({"user_messages":[1],"agent_responses":[],"user_messages":[2,3]})";
    CHECK(SessionDoc::summarize("fz", input)->message_count == 3);
    auto doc = SessionDoc::parse(input);
    REQUIRE(doc);
    CHECK(doc->summary("fz").message_count == 3);
    doc->append(fuzz_exchange("fz"), kNow);
    const std::string out = doc->to_json();
    CHECK(arrays(out, "user_messages").times == 1);
    CHECK(arrays(out, "user_messages").size == 4);
    CHECK(doc->summary("fz").message_count == 4);
}

// The store path of the first input: the file on disk after an append.
TEST_CASE("fuzz: the store rewrites a session with non-array message fields once") {
    TempDir dir;
    { std::ofstream(dir.path() / "fz.json") << R"({"id":"fz","user_messages":"x","agent_responses":null})"; }
    FileSessionStore store(dir.path(), [] { return kNow; });
    REQUIRE(store.count() == 1);
    REQUIRE(store.append(fuzz_exchange("fz")) == OXIOS_OK);
    const std::string text = slurp(dir.path() / "fz.json");
    CHECK(arrays(text, "user_messages").times == 1);
    CHECK(arrays(text, "user_messages").size == 1);
    CHECK(arrays(text, "agent_responses").times == 1);
    auto got = store.get("fz");
    REQUIRE(got.status == OXIOS_OK);
    CHECK(arrays(got.body, "user_messages").size == 1);
}

// fuzz_config crash-57d525abf8ac50aaf143de39413ca543cb58a0e4: a config whose
// unknown keys hold a large fractional number loads, puts and reloads from
// the rewritten file (the number may move by an ulp: RapidJSON's default
// parsing is not exact; the fuzz target compares within rounding).
TEST_CASE("fuzz: config with a large fractional number survives put and reload") {
    TempDir dir;
    const fs::path file = dir.path() / "config.json";
    const std::string input =
        "{\"orches\xff\xff\xff\xfftrator\":{\"min_evaluluationation_scor@race\":25000000000000.99519}}";
    { std::ofstream(file, std::ios::binary) << input; }
    Config cfg(file.string());
    rapidjson::Document partial;
    partial.Parse(input.c_str(), input.size());
    REQUIRE(!partial.HasParseError());
    REQUIRE(cfg.put(partial).status == OXIOS_OK);
    Config again(file.string());
    rapidjson::Document a, b;
    const std::string x = *cfg.get(""), y = *again.get("");
    a.Parse(x.c_str(), x.size());
    b.Parse(y.c_str(), y.size());
    const auto& va = a["orches\xff\xff\xff\xfftrator"]["min_evaluluationation_scor@race"];
    const auto& vb = b["orches\xff\xff\xff\xfftrator"]["min_evaluluationation_scor@race"];
    CHECK(std::fabs(va.GetDouble() - vb.GetDouble()) <= 1e-12 * std::fabs(va.GetDouble()));
    CHECK(*again.get("orchestrator.min_evaluation_score") == "0.7");
}

// Found while writing fuzz_session (not by a fuzz run): the config allows
// session.ttl_hours up to 9e15, and prune() computed ttl_hours * 3.6e9 µs in
// int64 (signed overflow: undefined; in practice a wrapped cutoff that could
// prune fresh sessions). A TTL that long prunes nothing by age.
TEST_CASE("fuzz: prune with the largest allowed ttl_hours keeps fresh sessions") {
    TempDir dir;
    FileSessionStore store(dir.path(), [] { return kNow; });
    REQUIRE(store.append(fuzz_exchange("fresh")) == OXIOS_OK);
    for (const int64_t ttl : {int64_t{9'000'000'000'000'000}, int64_t{2'562'048}, int64_t{3'000'000'000}}) {
        auto r = store.prune(true, 0, ttl);
        REQUIRE(r.status == OXIOS_OK);
        CHECK(r.body.find("\"count\":0") != std::string::npos);
        CHECK(store.count() == 1);
    }
}

// fuzz_session crash-1eaf95ffff61e888a9e69ef8ea370999f0b3d600: RapidJSON
// parses a long mantissa with a moderate exponent ("3444...4E233") to
// infinity without an error, and its Writer cannot write infinity: the
// session was kept and rewritten as broken JSON (an assertion in Debug, a
// member without a value in Release). Such text is now refused like
// malformed JSON wherever the kernel reads outside text.
TEST_CASE("fuzz: a number RapidJSON reads as infinity is refused, never written back") {
    const std::string huge = "3" + std::string(200, '4') + "E233";
    {
        rapidjson::Document d;
        d.Parse(huge.c_str(), huge.size());
        REQUIRE_FALSE(d.HasParseError());  // the RapidJSON behaviour this guards against
        REQUIRE(std::isinf(d.GetDouble()));
    }
    const std::string session = "{\"5]}us\":[" + huge + ",7],\"user_messages\":[]}";
    CHECK_FALSE(SessionDoc::parse(session));
    CHECK_FALSE(SessionDoc::summarize("s", session));
    CHECK_FALSE(json::parse(session));
    CHECK_FALSE(json::parse_object(session));
    CHECK(json::parse("{\"a\":[1.5e300,-2e-300]}"));  // large but finite is fine

    TempDir dir;
    const fs::path file = dir.path() / "config.json";
    std::ofstream(file) << "{\"x\":" << huge << "}";
    CHECK_THROWS_WITH_AS(Config(file.string()), doctest::Contains("out of range"), std::runtime_error);
}
