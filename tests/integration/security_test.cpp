// The Security and Marketplace pages' calls over HTTP against the real host:
// a config change and an auth failure land in /api/audit with the right
// actors, the chain verifies, permissions follow the live config, the stored
// log holds no token and no config value; a skill in <workspace>/marketplace
// is found, installed, listed as managed and audited.
#include "host_process.hpp"
#include "json_answer.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <string>

using oxios::test::HostProcess;
using oxios::test::parse;

namespace {

const rapidjson::Value* find_action(const rapidjson::Value& items, const std::string& action) {
    for (const auto& e : items.GetArray())
        if (action == e["action"].GetString()) return &e;
    return nullptr;
}

}  // namespace

TEST_CASE("security over HTTP: audited config change and auth failure, verify, permissions") {
    HostProcess::Options o;
    o.config_json = R"({"security":{"auth_enabled":true,"api_keys":["tok-s3cret-1234"]}})";
    HostProcess host(o);
    auto c = host.client();
    const httplib::Headers auth{{"Authorization", "Bearer tok-s3cret-1234"}};

    auto r = c.Put("/api/config", auth, R"({"web":{"ws_user_id":"zebra-quokka"}})", "application/json");
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == 200, r->body);
    auto denied = c.Get("/api/sessions", httplib::Headers{{"Authorization", "Bearer wrong-token"}});
    REQUIRE(denied);
    CHECK(denied->status == 401);

    r = c.Get("/api/audit?limit=50", auth);
    REQUIRE(r);
    REQUIRE(r->status == 200);
    auto page = parse(r->body);
    const auto& items = page["items"];
    REQUIRE(items.IsArray());
    const rapidjson::Value* change = find_action(items, "config.update");
    REQUIRE(change != nullptr);
    // printf tok-s3cret-1234 | sha256sum -> f8d0a08a...
    CHECK(std::string((*change)["agent_name"].GetString()) == "token:f8d0a08a");
    CHECK(std::string((*change)["resource"].GetString()) == "web.ws_user_id");
    CHECK((*change)["allowed"].GetBool());
    const rapidjson::Value* failure = find_action(items, "auth.failure");
    REQUIRE(failure != nullptr);
    CHECK(std::string((*failure)["agent_name"].GetString()) == "ip:127.0.0.1");
    CHECK(std::string((*failure)["reason"].GetString()) == "invalid token");
    CHECK(find_action(items, "host.start") != nullptr);
    CHECK(items[0]["seq"].GetUint64() > items[items.Size() - 1]["seq"].GetUint64());  // newest first

    r = c.Get("/api/audit/verify", auth);
    REQUIRE(r);
    auto v = parse(r->body);
    CHECK(v["valid"].GetBool());
    CHECK(v["entry_count"].GetUint64() == page["total"].GetUint64());
    CHECK(std::string(v["head_hash"].GetString()) == items[0]["hash"].GetString());

    r = c.Get("/api/audit/entries?from_seq=1&to_seq=2", auth);
    REQUIRE(r);
    auto e = parse(r->body);
    CHECK(e["count"].GetUint() == 2);
    CHECK(e["entries"][0]["prev_hash"].GetString() == std::string(64, '0'));
    CHECK(c.Get("/api/audit/entries?from_seq=1&to_seq=5000", auth)->status == 400);

    r = c.Get("/api/security/permissions", auth);
    REQUIRE(r);
    auto p = parse(r->body);
    CHECK(p["auth_enabled"].GetBool());
    CHECK(p["api_keys_count"].GetUint() >= 1);
    CHECK(std::string(p["roles"][1].GetString()) == "token");
    CHECK(std::string(p["policies"][2]["effect"].GetString()) == "deny");

    host.stop();
    const std::string stored = oxios::test::read_file(host.workspace() / ".oxios" / "audit" / "audit.jsonl");
    CHECK(stored.find("tok-s3cret") == std::string::npos);
    CHECK(stored.find("wrong-token") == std::string::npos);
    CHECK(stored.find("zebra-quokka") == std::string::npos);  // keys, never values
    CHECK(stored.find("\"action\":\"host.stop\"") != std::string::npos);
}

TEST_CASE("marketplace over HTTP: search, install, listed as managed, audited") {
    HostProcess host;
    auto c = host.client();
    const auto dir = host.workspace() / "marketplace" / "pdf-tools";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "SKILL.md")
        << "---\nname: PDF Tools\ndescription: Split and merge PDF files\nversion: 2.1.0\n---\nUse qpdf.\n";

    auto r = c.Get("/api/marketplace/search?q=pdf%20merge");
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == 200, r->body);
    auto found = parse(r->body);
    REQUIRE(found.IsArray());
    REQUIRE(found.Size() == 1);
    CHECK(std::string(found[0]["slug"].GetString()) == "pdf-tools");
    CHECK(found[0]["score"].GetDouble() == 0.7);  // (1.0 + 0.4) / 2
    CHECK_FALSE(found[0]["installed"].GetBool());

    r = c.Post("/api/marketplace/skills/pdf-tools/install", "{}", "application/json");
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == 200, r->body);
    CHECK(std::string(parse(r->body)["version"].GetString()) == "2.1.0");
    r = c.Post("/api/marketplace/skills/pdf-tools/install", "{}", "application/json");
    REQUIRE(r);
    CHECK(r->status == 409);
    r = c.Post("/api/marketplace/skills/..%2f..%2fetc/install", "{}", "application/json");
    REQUIRE(r);
    CHECK((r->status == 400 || r->status == 404));

    r = c.Get("/api/skills");
    REQUIRE(r);
    auto skills = parse(r->body);
    const rapidjson::Value& list = skills.IsArray() ? skills : skills["skills"];
    bool managed = false;
    for (const auto& s : list.GetArray())
        if (std::string(s["name"].GetString()) == "pdf-tools")
            managed = std::string(s["source"].GetString()) == "managed";
    CHECK(managed);

    r = c.Get("/api/audit");
    REQUIRE(r);
    CHECK(r->body.find("\"action\":\"skill.install\"") != std::string::npos);
}

TEST_CASE("security over HTTP: cron, persona, budget and vault changes are audited; an exhausted budget once") {
    HostProcess::Options o;
    o.config_json = R"({"security":{"rate_limit_per_minute":0}})";
    HostProcess host(o);
    auto c = host.client();
    REQUIRE(
        c.Post("/api/cron-jobs", R"({"name":"nightly","schedule":"0 3 * * *","command":"report"})", "application/json")
            ->status == 200);
    REQUIRE(c.Post("/api/personas", R"({"name":"Ada","system_prompt":"secret prompt"})", "application/json")->status ==
            200);
    REQUIRE(c.Post("/api/budget/bob", R"({"tokens_limit":1})", "application/json")->status == 200);
    REQUIRE(c.Put("/api/knowledge/file/Notes/a.md", "private words", "text/markdown")->status == 204);
    for (int i = 0; i < 3; ++i) c.Post("/api/chat", R"({"content":"hello there","user_id":"bob"})", "application/json");

    auto r = c.Get("/api/audit?limit=100");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    auto page = parse(r->body);
    const auto& items = page["items"];
    const rapidjson::Value* cron = find_action(items, "cron.create");
    REQUIRE(cron != nullptr);
    CHECK(std::string((*cron)["resource"].GetString()) == "nightly");
    CHECK(std::string((*cron)["agent_name"].GetString()) == "ip:127.0.0.1");
    CHECK(find_action(items, "persona.create") != nullptr);
    const rapidjson::Value* budget = find_action(items, "budget.set");
    REQUIRE(budget != nullptr);
    CHECK(std::string((*budget)["resource"].GetString()) == "bob");
    const rapidjson::Value* vault = find_action(items, "knowledge.write");
    REQUIRE(vault != nullptr);
    CHECK(std::string((*vault)["resource"].GetString()) == "knowledge/Notes/a.md");
    int exhausted = 0;
    for (const auto& e : items.GetArray())
        if (e["action"] == "budget.exhausted") {
            ++exhausted;
            CHECK_FALSE(e["allowed"].GetBool());
            CHECK(std::string(e["agent_name"].GetString()) == "agent:bob");
        }
    CHECK(exhausted == 1);  // once per transition, though two chats were refused after it
    CHECK(parse(c.Get("/api/audit/verify")->body)["valid"].GetBool());

    host.stop();
    const std::string stored = oxios::test::read_file(host.workspace() / ".oxios" / "audit" / "audit.jsonl");
    CHECK(stored.find("secret prompt") == std::string::npos);
    CHECK(stored.find("private words") == std::string::npos);
    CHECK(stored.find("report") == std::string::npos);  // the cron command is content
}

TEST_CASE("rate limit behind a trusted proxy: one bucket per forwarded client, the header ignored otherwise") {
    for (const bool trusted : {true, false}) {
        CAPTURE(trusted);
        HostProcess::Options o;
        o.config_json = trusted ? R"({"security":{"rate_limit_per_minute":2,"trusted_proxies":["127.0.0.0/8"]}})"
                                : R"({"security":{"rate_limit_per_minute":2}})";
        HostProcess host(o);
        auto c = host.client();
        auto status_from = [&](const char* forwarded_for) {
            auto r = c.Get("/api/status", httplib::Headers{{"X-Forwarded-For", forwarded_for}});
            REQUIRE(r);
            return r->status;
        };
        CHECK(status_from("10.0.0.1") == 200);
        CHECK(status_from("10.0.0.1") == 200);
        CHECK(status_from("10.0.0.1") == 429);
        // Another client behind the proxy has a bucket of its own (the rightmost untrusted hop counts, so
        // a client cannot pick its bucket by sending the header itself); without trusted proxies the header
        // is the peer's word and changes nothing.
        CHECK(status_from("10.0.0.1, 10.0.0.2") == (trusted ? 200 : 429));
        CHECK(status_from("10.0.0.2, 127.0.0.1") == (trusted ? 200 : 429));
        CHECK(status_from("10.0.0.2") == 429);
    }
    HostProcess host;
    auto c = host.client();
    auto bad = c.Put("/api/config", R"({"security":{"trusted_proxies":["10.0.0.0/33"]}})", "application/json");
    REQUIRE(bad);
    CHECK(bad->status == 400);
    CHECK(bad->body.find("security.trusted_proxies") != std::string::npos);
}
