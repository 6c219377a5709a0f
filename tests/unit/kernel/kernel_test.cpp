#include "kernel.hpp"
#include "infra/uuid.hpp"
#include "security.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>

using namespace oxios::kernel;
using namespace oxios::kernel::test;

namespace {
Kernel::Options options(const TempDir& dir, bool with_config = true) {
    Kernel::Options o;
    if (with_config) o.config_path = (dir.path() / "config.json").string();
    o.workspace_override = (dir.path() / "ws").string();
    return o;
}
}  // namespace

TEST_CASE("kernel: workspace, config and the long-tail call") {
    TempDir dir;
    std::ofstream(dir.path() / "config.json") << R"({"gateway":{"port":4321},"kernel":{"workspace":"/nonexistent/x"}})";
    Kernel k(options(dir));
    CHECK(k.workspace() == (dir.path() / "ws").string());
    CHECK(std::filesystem::is_directory(dir.path() / "ws/sessions"));
    CHECK(k.port() == 4321);
    CHECK(k.bind_host() == "127.0.0.1");
    CHECK(*k.config_get("gateway.port") == "4321");
    CHECK(k.config_generation() == 1);

    auto got = parse(k.call("config.get", "{}").body);
    CHECK(got["engine"].HasMember("api_key_set"));
    auto put = k.call("config.put", R"({"config":{"session":{"ttl_hours":2}}})");
    REQUIRE(put.ok());
    CHECK(k.config_generation() == 2);
    CHECK(*k.config_get("session.ttl_hours") == "2");
    auto bad = k.call("config.put", R"({"config":{"gateway":{"port":-1}}})");
    CHECK(bad.status == OXIOS_E_INVALID);
    CHECK(bad.body.find("Invalid config: gateway.port") != std::string::npos);
    CHECK(k.call("nope.method", "{}").status == OXIOS_E_UNSUPPORTED);
    CHECK(k.call("spaces.list", "{not json").status == OXIOS_E_INVALID);
}

TEST_CASE("kernel: a bad config file is a clear error") {
    TempDir dir;
    std::ofstream(dir.path() / "config.json") << R"({"gateway":{"port":0}})";
    CHECK_THROWS_WITH_AS(Kernel(options(dir)), doctest::Contains("Invalid config: gateway.port"), std::runtime_error);
}

TEST_CASE("kernel: system.status and system.metrics") {
    TempDir dir;
    Kernel k(options(dir, false));
    auto status = parse(k.call("system.status", "{}").body);
    for (const char* key : {"version", "uptime_secs", "state_store", "event_bus", "memory", "agents", "spaces_active",
                            "plugins", "gateway", "engine"})
        CHECK(status.HasMember(key));
    CHECK(status["state_store"]["healthy"].GetBool());
    CHECK(status["plugins"]["loaded"].IsArray());
    CHECK(status["plugins"]["last_error"].IsNull());
    CHECK(status["agents"].HasMember("total_forked"));
    CHECK(std::string(status["version"].GetString()) == OXIOS_VERSION);

    k.set_plugins_status_provider([] {
        return std::string(
            R"({"loaded":[{"name":"web","version":"1","file":"f"}],"reloads":3,"failed_reloads":1,"last_error":"x"})");
    });
    CHECK(parse(k.call("system.status", "{}").body)["plugins"]["reloads"].GetInt() == 3);

    // system.components: the same component members, without the host's own sections.
    auto components = parse(k.call("system.components", "{}").body);
    for (const char* key : {"uptime_secs", "state_store", "event_bus", "memory", "agents", "spaces_active"})
        CHECK(components.HasMember(key));
    for (const char* key : {"version", "plugins", "gateway", "engine"}) CHECK_FALSE(components.HasMember(key));
    CHECK(components["state_store"]["healthy"].GetBool());
    CHECK(components["agents"]["total_forked"].GetInt() == status["agents"]["total_forked"].GetInt());

    k.set_http_metrics_provider([] { return std::string("oxios_http_requests_total 5"); });
    auto metrics = k.call("system.metrics", "{}");
    REQUIRE(metrics.ok());
    CHECK(metrics.body.find("oxios_gateway_queue_depth 0") != std::string::npos);
    CHECK(metrics.body.find("oxios_sessions 0") != std::string::npos);
    CHECK(metrics.body.find("oxios_events_published_total") != std::string::npos);
    CHECK(metrics.body.find("oxios_http_requests_total 5\n") != std::string::npos);
}

TEST_CASE("kernel: echo chat end to end, events, persisted through the session store") {
    TempDir dir;
    Kernel k(options(dir, false));
    std::mutex m;
    std::vector<std::string> types;
    auto sub = k.events_subscribe([&](uint64_t, std::string_view json) {
        auto e = parse(std::string(json));
        std::lock_guard lock(m);
        types.emplace_back(e["type"].GetString());
    });
    std::atomic<int> finals{0};
    Delivery reply;
    ChatMessage msg;
    msg.id = "m1";
    msg.content = "ping";
    msg.user_id = "default";
    msg.space_id = "work";
    REQUIRE(k.submit(msg, [&](const Delivery& d) {
        if (d.kind == OXIOS_DELIVERY_TOKEN) return;
        reply = d;
        ++finals;
    }) == OXIOS_OK);
    REQUIRE(wait_for([&] { return finals.load() == 1; }));
    CHECK(reply.content == "echo: ping");
    CHECK(reply.space_id == "work");
    Exchange ex;
    ex.session_id = reply.session_id;
    ex.space_id = reply.space_id;
    REQUIRE(k.session_append(ex.view()) == OXIOS_OK);
    auto list = parse(k.session_list(1, 50).body);
    CHECK(list["total"].GetInt() == 1);
    auto sess = k.session_get(reply.session_id);
    INFO(sess.body);
    REQUIRE(sess.ok());
    CHECK(std::string(parse(sess.body)["space_id"].GetString()) == "work");
    CHECK(wait_for([&] {
        std::lock_guard lock(m);
        return std::find(types.begin(), types.end(), "agent_stopped") != types.end();
    }));
    k.events_unsubscribe(sub);
    std::lock_guard lock(m);
    CHECK(std::find(types.begin(), types.end(), "message_received") != types.end());
    CHECK(std::find(types.begin(), types.end(), "space_created") != types.end());
    CHECK(parse(k.call("spaces.get", R"({"id":"work"})").body)["interaction_count"].GetInt() == 1);
}

TEST_CASE("kernel: the session index is correct after a restart") {
    TempDir dir;
    {
        Kernel k(options(dir, false));
        for (int i = 0; i < 3; ++i) {
            Exchange ex;
            ex.session_id = "sess-" + std::to_string(i);
            ex.reply_us = 1'750'000'000'000'000 + i;
            REQUIRE(k.session_append(ex.view()) == OXIOS_OK);
        }
        Exchange more;
        more.session_id = "sess-0";
        more.reply_us = 1'750'000'000'000'100;
        REQUIRE(k.session_append(more.view()) == OXIOS_OK);
        REQUIRE(k.session_delete("sess-1") == OXIOS_OK);
    }
    Kernel k(options(dir, false));
    auto list = parse(k.session_list(1, 50).body);
    REQUIRE(list["total"].GetInt() == 2);
    CHECK(std::string(list["items"][0]["id"].GetString()) == "sess-0");
    CHECK(list["items"][0]["message_count"].GetInt() == 2);
    CHECK(std::string(list["items"][1]["id"].GetString()) == "sess-2");
    CHECK(k.session_get("sess-1").status == OXIOS_E_NOT_FOUND);
    CHECK(k.session_delete("../x") == OXIOS_E_INVALID);
    auto pruned = parse(k.session_prune(true).body);
    CHECK(pruned["config"]["max_sessions"].GetInt() == 100);
    CHECK(pruned["config"]["ttl_hours"].GetInt() == 168);
}

TEST_CASE("security: configured keys and OXIOS_API_KEY, never engine.api_key") {
    TempDir dir;
    std::ofstream(dir.path() / "config.json")
        << R"({"security":{"api_keys":["key-one","key-two"]},"engine":{"api_key":"sk-llm"}})";
    ::setenv("OXIOS_API_KEY", "env-key", 1);
    Kernel k(options(dir));
    ::unsetenv("OXIOS_API_KEY");
    CHECK(k.token_valid("key-one"));
    CHECK(k.token_valid("key-two"));
    CHECK(k.token_valid("env-key"));
    CHECK(!k.token_valid("sk-llm"));
    CHECK(!k.token_valid(""));
    CHECK(!k.token_valid("key-on"));
    CHECK(!k.token_valid("key-one!"));
    CHECK(constant_time_equal("abc", "abc"));
    CHECK(!constant_time_equal("abd", "abc"));
    CHECK(!constant_time_equal("", "abc"));
}

TEST_CASE("kernel: ids are random version-4 UUIDs in canonical lower-case form") {
    const std::regex v4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
    std::set<std::string> seen;
    std::set<char> variants;
    for (int i = 0; i < 2000; ++i) {
        const std::string id = uuid_v4();
        REQUIRE(std::regex_match(id, v4));
        variants.insert(id[19]);
        seen.insert(id);
    }
    CHECK(seen.size() == 2000);
    CHECK(variants.size() == 4);  // the variant's two free bits are random too
}
