// The budget ledger: metering, estimation, prices, windows on a fake clock,
// the exhaustion event once per transition, persistence, the LRU cap.
#include "config/config.hpp"
#include "engines/engine.hpp"
#include "infra/clock.hpp"
#include "infra/json_util.hpp"
#include "services/budget_ledger.hpp"
#include "services/service_error.hpp"
#include "services/service_registry.hpp"
#include "store/file_record_store.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace oxios::kernel;
using namespace oxios::kernel::test;

namespace {

struct Bench {
    TempDir dir;
    FileRecordStore records{dir.path(), clock::now_us, nullptr};
    std::atomic<int64_t> now{int64_t{1780000000} * 1000000};
    BudgetSettings settings;
    std::vector<std::pair<std::string, std::string>> events;
    std::mutex events_mutex;

    BudgetLedger::Options options(size_t max_records = 10'000) {
        BudgetLedger::Options o;
        o.records = &records;
        o.settings = [this] { return settings; };
        o.publish = [this](std::string_view type, std::string_view fields) {
            std::lock_guard lock(events_mutex);
            events.emplace_back(std::string(type), std::string(fields));
            return uint64_t{1};
        };
        o.now_us = [this] { return now.load(); };
        o.max_records = max_records;
        o.flush_interval_ms = 0;  // tests flush by hand
        return o;
    }
    size_t count(const std::string& type) {
        std::lock_guard lock(events_mutex);
        size_t n = 0;
        for (auto& e : events) n += e.first == type;
        return n;
    }
};

EngineReply reported(int64_t prompt, int64_t completion, std::string model = "openai/gpt-test") {
    EngineReply r;
    r.prompt_tokens = prompt;
    r.completion_tokens = completion;
    r.model = std::move(model);
    return r;
}

// get()'s status (the methods throw ServiceError for a failure).
Status get_status(BudgetLedger& ledger, const std::string& id) {
    try {
        return ledger.get(id).status;
    } catch (const services::ServiceError& e) {
        return e.status();
    }
}

rapidjson::Document item(BudgetLedger& ledger, const std::string& id) {
    const Result r = ledger.get(id);
    REQUIRE(r.status == OXIOS_OK);
    auto doc = json::parse_object(r.body);
    REQUIRE(doc);
    return std::move(*doc);
}

}  // namespace

TEST_CASE("budget: reported usage is metered, unreported replies are estimated at bytes/4 rounded up") {
    Bench b;
    BudgetLedger ledger(b.options());
    ledger.record("alice", "hi", "hello", reported(12, 30), true);
    auto a = item(ledger, "alice");
    CHECK(a["prompt_tokens"].GetInt64() == 12);
    CHECK(a["completion_tokens"].GetInt64() == 30);
    CHECK(a["tokens_used"].GetInt64() == 42);
    CHECK(a["estimated_tokens"].GetInt64() == 0);
    CHECK(a["calls"].GetInt64() == 1);

    EngineReply echo;  // nothing reported
    echo.model = "echo";
    ledger.record("bob", "hello", "echo: hello", echo, true);  // 5 B -> 2, 11 B -> 3
    auto bob = item(ledger, "bob");
    CHECK(bob["prompt_tokens"].GetInt64() == 2);
    CHECK(bob["completion_tokens"].GetInt64() == 3);
    CHECK(bob["estimated_tokens"].GetInt64() == 5);

    ledger.record("bob", "hello", "", echo, false);  // an ERROR: counted as a call, no estimate
    CHECK(item(ledger, "bob")["tokens_used"].GetInt64() == 5);
    CHECK(item(ledger, "bob")["calls"].GetInt64() == 2);

    b.settings.estimate_unreported = false;
    ledger.record("carol", "hello", "echo: hello", echo, true);
    CHECK(item(ledger, "carol")["tokens_used"].GetInt64() == 0);
    CHECK(item(ledger, "carol")["calls"].GetInt64() == 1);
}

TEST_CASE("budget: cost from budget.prices, else the model cache's costs, else 0") {
    Bench b;
    b.settings.prices["openai/gpt-test"] = {2.0, 10.0};  // USD per million
    BudgetLedger ledger(b.options());
    ledger.record("a", "", "", reported(1'000'000, 500'000), true);
    CHECK(item(ledger, "a")["cost_used"].GetDouble() == doctest::Approx(2.0 + 5.0));

    EngineReply cached = reported(2'000'000, 0, "openrouter/x");
    cached.cost_input = 0.5;
    cached.cost_output = 1.5;
    ledger.record("b", "", "", cached, true);
    CHECK(item(ledger, "b")["cost_used"].GetDouble() == doctest::Approx(1.0));

    ledger.record("c", "", "", reported(1000, 1000, "other/model"), true);
    CHECK(item(ledger, "c")["cost_used"].GetDouble() == 0.0);
}

TEST_CASE("budget: exhausted refuses with the contract's text, the event fires once per transition") {
    Bench b;
    BudgetLedger ledger(b.options());
    CHECK(ledger.admit("alice").empty());
    const auto set = json::parse_object(R"({"tokens_limit":50,"cost_limit":1.5})");
    REQUIRE(ledger.set("alice", *set).status == OXIOS_OK);
    CHECK(ledger.admit("alice").empty());
    ledger.record("alice", "", "", reported(40, 20), true);  // 60 >= 50
    CHECK(b.count("budget_exhausted") == 1);
    const std::string refusal = ledger.admit("alice");
    CHECK(refusal == "budget exhausted for agent 'alice': 60/50 tokens, $0.0000/$1.5000");
    CHECK_FALSE(ledger.admit("alice").empty());
    CHECK(b.count("budget_exhausted") == 1);  // still the same transition
    CHECK(item(ledger, "alice")["exhausted"].GetBool());

    REQUIRE(ledger.reset("alice").status == OXIOS_OK);
    CHECK(ledger.admit("alice").empty());
    ledger.record("alice", "", "", reported(50, 0), true);
    CHECK(b.count("budget_exhausted") == 2);  // a second transition
    CHECK(b.count("budget_updated") == 2);    // set, reset
}

TEST_CASE("budget: a window restarts usage on the fake clock and names its reset time") {
    Bench b;
    BudgetLedger ledger(b.options());
    const auto set = json::parse_object(R"({"tokens_limit":10,"window_secs":60})");
    REQUIRE(ledger.set("w", *set).status == OXIOS_OK);
    const int64_t start = b.now.load();
    CHECK(item(ledger, "w")["window_started_at"].GetString() == clock::format_rfc3339(start));
    b.now += 5'000'000;
    ledger.record("w", "", "", reported(10, 0), true);
    const std::string refusal = ledger.admit("w");
    CHECK(refusal.find("; resets at " + clock::format_rfc3339(start + 60'000'000)) != std::string::npos);
    b.now = start + 59'999'999;
    CHECK_FALSE(ledger.admit("w").empty());
    b.now = start + 60'000'000;
    CHECK(ledger.admit("w").empty());
    auto w = item(ledger, "w");
    CHECK(w["tokens_used"].GetInt64() == 0);
    CHECK(w["window_started_at"].GetString() == clock::format_rfc3339(start + 60'000'000));
}

TEST_CASE("budget: limits are stored at once, usage by flush, and both come back after a restart") {
    Bench b;
    {
        BudgetLedger ledger(b.options());
        const auto set = json::parse_object(R"({"token_budget":100})");  // the original's name
        REQUIRE(ledger.set("keep", *set).status == OXIOS_OK);
        CHECK(b.records.get(".oxios", "budget")->find("\"tokens_limit\":100") != std::string::npos);
        ledger.record("keep", "", "", reported(7, 3), true);
        CHECK(b.records.get(".oxios", "budget")->find("\"prompt_tokens\":7") == std::string::npos);
        ledger.flush();
        CHECK(b.records.get(".oxios", "budget")->find("\"prompt_tokens\":7") != std::string::npos);
    }
    BudgetLedger again(b.options());
    auto k = item(again, "keep");
    CHECK(k["tokens_limit"].GetInt64() == 100);
    CHECK(k["tokens_used"].GetInt64() == 10);
    CHECK(std::filesystem::exists(b.dir.path() / ".oxios" / "budget.json"));

    // A state file that does not parse is set aside; the ledger starts empty.
    std::ofstream(b.dir.path() / ".oxios" / "budget.json") << "{not json";
    BudgetLedger fresh(b.options());
    CHECK(get_status(fresh, "keep") == OXIOS_E_NOT_FOUND);
    bool set_aside = false;
    for (auto& e : std::filesystem::directory_iterator(b.dir.path() / ".oxios"))
        set_aside |= e.path().filename().string().rfind("budget.json.corrupt-", 0) == 0;
    CHECK(set_aside);
}

TEST_CASE("budget: past the record cap the least recently used unlimited agents go first") {
    Bench b;
    BudgetLedger ledger(b.options(3));
    const auto set = json::parse_object(R"({"tokens_limit":5})");
    REQUIRE(ledger.set("limited", *set).status == OXIOS_OK);  // never used: oldest, but limited
    ledger.record("old", "", "", reported(1, 1), true);
    b.now += 1;
    ledger.record("newer", "", "", reported(1, 1), true);
    b.now += 1;
    ledger.record("newest", "", "", reported(1, 1), true);
    CHECK(get_status(ledger, "old") == OXIOS_E_NOT_FOUND);
    CHECK(get_status(ledger, "limited") == OXIOS_OK);
    CHECK(get_status(ledger, "newer") == OXIOS_OK);
    CHECK(get_status(ledger, "newest") == OXIOS_OK);
}

TEST_CASE("budget: methods check agent ids and ranges; disabled means no metering and an empty list") {
    Bench b;
    BudgetLedger ledger(b.options());
    ServiceRegistry reg;
    register_budget_service(reg, ledger);
    for (const char* bad : {R"({"agent_id":"a/b"})", R"({"agent_id":""})", "{\"agent_id\":\"a\\u0001\"}"})
        CHECK(reg.call("budget.get", bad).status == OXIOS_E_INVALID);
    CHECK(reg.call("budget.get", R"({"agent_id":")" + std::string(129, 'x') + "\"}").status == OXIOS_E_INVALID);
    CHECK(reg.call("budget.get", R"({"agent_id":"nobody"})").status == OXIOS_E_NOT_FOUND);
    CHECK(reg.call("budget.set", R"({"agent_id":"a","tokens_limit":0})").status == OXIOS_E_INVALID);
    CHECK(reg.call("budget.set", R"({"agent_id":"a","cost_limit":-1})").status == OXIOS_E_INVALID);
    CHECK(reg.call("budget.set", R"({"agent_id":"a","window_secs":-5})").status == OXIOS_E_INVALID);
    CHECK(reg.call("budget.set", R"({"agent_id":"a","tokens_limit":"9"})").status == OXIOS_E_INVALID);
    REQUIRE(reg.call("budget.set", R"({"agent_id":"a","tokens_limit":9,"cost_limit":2})").status == OXIOS_OK);
    // Absent members are kept, null clears.
    const Result kept = reg.call("budget.set", R"({"agent_id":"a","cost_limit":null})");
    CHECK(kept.body.find("\"tokens_limit\":9") != std::string::npos);
    CHECK(kept.body.find("\"cost_limit\":null") != std::string::npos);
    CHECK(reg.call("budget.list", "{}").body.find("\"total\":1") != std::string::npos);
    const Result gone = reg.call("budget.delete", R"({"agent_id":"a"})");
    CHECK(gone.body == R"({"status":"deleted","agent_id":"a"})");
    CHECK(reg.call("budget.reset", R"({"agent_id":"a"})").status == OXIOS_E_NOT_FOUND);

    b.settings.enabled = false;
    ledger.record("z", "x", "y", reported(1, 1), true);
    b.settings.enabled = true;
    CHECK(get_status(ledger, "z") == OXIOS_E_NOT_FOUND);
    ledger.record("z", "x", "y", reported(1, 1), true);
    b.settings.enabled = false;
    CHECK(reg.call("budget.list", "{}").body == R"({"items":[],"total":0})");
    CHECK(ledger.admit("z").empty());
}

TEST_CASE("budget: default limits apply to every agent without its own") {
    Bench b;
    b.settings.default_tokens_limit = 4;
    BudgetLedger ledger(b.options());
    ledger.record("d", "", "", reported(2, 2), true);
    CHECK_FALSE(ledger.admit("d").empty());
    auto d = item(ledger, "d");
    CHECK(d["tokens_limit"].GetInt64() == 4);
}

TEST_CASE("budget: config keys are read live, bad values are refused naming the key") {
    TempDir dir;
    const auto path = dir.path() / "config.json";
    auto load = [&](const std::string& text) {
        std::ofstream(path) << text;
        return std::make_unique<Config>(path.string());
    };
    auto fails_with = [&](const std::string& text, const std::string& key) {
        try {
            load(text);
            FAIL("accepted " << text);
        } catch (const std::runtime_error& e) {
            CHECK(std::string(e.what()).rfind("Invalid config: " + key, 0) == 0);
        }
    };
    fails_with(R"({"budget":{"default_tokens_limit":0}})", "budget.default_tokens_limit");
    fails_with(R"({"budget":{"default_cost_limit":-1}})", "budget.default_cost_limit");
    fails_with(R"({"budget":{"default_window_secs":-1}})", "budget.default_window_secs");
    fails_with(R"({"budget":{"enabled":"yes"}})", "budget.enabled");
    fails_with(R"({"budget":{"prices":{"a/b":{"input":"cheap"}}}})", "budget.prices");
    fails_with(R"({"budget":{"prices":{"a/b":[1,2]}}})", "budget.prices");

    auto config = load(R"({"budget":{"default_tokens_limit":500,"prices":{"openai/gpt":{"input":2.5,"output":10}}}})");
    const auto read = budget_settings_reader(*config);
    BudgetSettings s = read();
    CHECK(s.enabled);
    CHECK(s.default_tokens_limit == std::optional<int64_t>(500));
    CHECK_FALSE(s.default_cost_limit);
    CHECK(s.estimate_unreported);
    CHECK(s.prices.at("openai/gpt").input == 2.5);
    CHECK(s.prices.at("openai/gpt").output == 10.0);
    rapidjson::Document change;
    change.Parse(R"({"budget":{"enabled":false}})");
    REQUIRE(config->put(change).ok());
    CHECK_FALSE(read().enabled);  // the next message sees it
}

TEST_CASE("budget: the flush thread stores usage after its interval, not per message, and stop() stores the rest") {
    Bench b;
    auto options = b.options();
    options.flush_interval_ms = 200;
    BudgetLedger ledger(options);
    ledger.record("t", "", "", reported(3, 4), true);
    CHECK_FALSE(b.records.get(".oxios", "budget"));  // not written per message
    bool stored = false;
    for (int i = 0; i < 100 && !stored; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        const auto doc = b.records.get(".oxios", "budget");
        stored = doc && doc->find("\"completion_tokens\":4") != std::string::npos;
    }
    CHECK(stored);
    ledger.record("t", "", "", reported(1, 1), true);
    ledger.stop();
    CHECK(b.records.get(".oxios", "budget")->find("\"completion_tokens\":5") != std::string::npos);
}
