// The audit log (docs/api-operator.md, "Security"): the hash chain checked against an
// independent SHA-256 (sha256sum), tamper detection at the right seq, a torn
// last line cut at start, rotation with verify across files, limits, and
// what is never recorded.
#include "audit/audit_chain.hpp"
#include "audit/audit_log.hpp"
#include "audit/audit_service.hpp"
#include "audit/file_audit_store.hpp"
#include "infra/json_util.hpp"
#include "services_test_support.hpp"

#include <cstdio>

using namespace oxios::kernel;
using services_test::slurp;
using services_test::TempDir;
namespace fs = std::filesystem;

namespace {

// SHA-256 by the sha256sum program: independent of the code under test.
std::string sha256sum(const std::string& data, const fs::path& scratch) {
    { std::ofstream(scratch, std::ios::binary) << data; }
    FILE* p = ::popen(("sha256sum '" + scratch.string() + "'").c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[65] = {};
    REQUIRE(std::fread(buf, 1, 64, p) == 64);
    ::pclose(p);
    return std::string(buf, 64);
}

struct Fixture {
    TempDir tmp;
    fs::path dir = tmp.path() / ".oxios" / "audit";
    uint64_t max_bytes = 64 << 20;
    audit::Settings settings;
    std::vector<std::string> events;
    int64_t now = 1'700'000'000'000'000;

    std::unique_ptr<audit::AuditLog> open() {
        return std::make_unique<audit::AuditLog>(audit::AuditLog::Options{
            std::make_unique<audit::FileAuditStore>(dir, [this] { return max_bytes; }), [this] { return settings; },
            [this](std::string_view type, std::string_view fields) {
                events.push_back(std::string(type) + " " + std::string(fields));
                return uint64_t{1};
            },
            [this] { return now; }});
    }
    std::vector<std::string> lines() const {
        std::vector<std::string> out;
        std::istringstream in(slurp(dir / "audit.jsonl"));
        for (std::string l; std::getline(in, l);) out.push_back(l);
        return out;
    }
};

rapidjson::Document ok_json(const Result& r) {
    REQUIRE(r.status == OXIOS_OK);
    auto doc = json::parse_object(r.body);
    REQUIRE(doc);
    return std::move(*doc);
}

}  // namespace

TEST_CASE("audit: the first entry's line and hash are exactly the contract's") {
    Fixture f;
    f.open()->record("ip:127.0.0.1", "config.update", "gateway.port", true);
    const auto lines = f.lines();
    REQUIRE(lines.size() == 1);
    const std::string zero(64, '0');
    const std::string body =
        "{\"seq\":1,\"timestamp\":\"2023-11-14T22:13:20.000000Z\",\"actor\":\"ip:127.0.0.1\","
        "\"action\":\"config.update\",\"resource\":\"gateway.port\",\"allowed\":true,"
        "\"reason\":null,\"metadata\":{},\"prev_hash\":\"" +
        zero + "\"";
    const std::string expected_hash = sha256sum(zero + body, f.tmp.path() / "bytes");
    CHECK(lines[0] == body + ",\"hash\":\"" + expected_hash + "\"}");
    CHECK(f.events ==
          std::vector<std::string>{"audit_recorded {\"seq\":1,\"action\":\"config.update\",\"allowed\":true}"});
}

TEST_CASE("audit: the chain continues across a restart and verifies") {
    Fixture f;
    f.open()->record("host", "host.start", "ws");
    auto log = f.open();
    log->record("host", "host.stop", "ws");
    const auto lines = f.lines();
    REQUIRE(lines.size() == 2);
    const auto first = json::parse_object(lines[0]);
    const auto second = json::parse_object(lines[1]);
    CHECK(json::get_int(*second, "seq", 0) == 2);
    CHECK(json::get_string(*second, "prev_hash") == json::get_string(*first, "hash"));
    const auto v = ok_json(log->verify());
    CHECK(json::get_bool(v, "valid", false));
    CHECK(json::get_int(v, "entry_count", 0) == 2);
    CHECK(json::get_string(v, "head_hash") == json::get_string(*second, "hash"));
}

TEST_CASE("audit: a flipped byte is found by verify at its seq") {
    Fixture f;
    {
        auto log = f.open();
        for (int i = 0; i < 5; ++i) log->record("host", "workspace.write", "notes/" + std::to_string(i) + ".md");
    }
    std::string text = slurp(f.dir / "audit.jsonl");
    const size_t at = text.find("notes/2.md");
    REQUIRE(at != std::string::npos);
    text[at] = 'N';
    { std::ofstream(f.dir / "audit.jsonl", std::ios::binary | std::ios::trunc) << text; }
    const auto v = ok_json(f.open()->verify());
    CHECK_FALSE(json::get_bool(v, "valid", true));
    CHECK(json::get_int(v, "broken_at_seq", 0) == 3);
    CHECK(json::get_int(v, "entry_count", 0) == 2);
    CHECK(json::get_string(v, "reason") == "hash mismatch");
    CHECK(json::get_string(v, "expected") != json::get_string(v, "found"));
}

TEST_CASE("audit: an incomplete last line is cut at start and the chain goes on") {
    Fixture f;
    f.open()->record("host", "host.start", "ws");
    { std::ofstream(f.dir / "audit.jsonl", std::ios::binary | std::ios::app) << "{\"seq\":2,\"timest"; }
    auto log = f.open();
    CHECK(f.lines().size() == 1);
    log->record("host", "host.stop", "ws");
    const auto v = ok_json(log->verify());
    CHECK(json::get_bool(v, "valid", false));
    CHECK(json::get_int(v, "entry_count", 0) == 2);
}

TEST_CASE("audit: rotation at max_file_bytes; verify and entries walk every file") {
    Fixture f;
    f.max_bytes = 1000;  // about three entries a file
    auto log = f.open();
    for (int i = 0; i < 10; ++i) log->record("host", "git.tag", "v" + std::to_string(i));
    std::vector<std::string> rotated;
    for (const auto& e : fs::directory_iterator(f.dir))
        if (e.path().filename() != "audit.jsonl") rotated.push_back(e.path().filename().string());
    std::sort(rotated.begin(), rotated.end());
    REQUIRE(rotated.size() >= 2);
    CHECK(rotated[0].rfind("audit.1-", 0) == 0);
    const auto v = ok_json(log->verify());
    CHECK(json::get_bool(v, "valid", false));
    CHECK(json::get_int(v, "entry_count", 0) == 10);
    const auto e = ok_json(log->entries(2, 9));
    CHECK(json::get_int(e, "count", 0) == 8);
    CHECK(e["entries"][0]["seq"].GetInt() == 2);
    CHECK(e["entries"][7]["seq"].GetInt() == 9);
    // A reopened log continues after the newest file.
    auto again = f.open();
    again->record("host", "git.tag", "v10");
    CHECK(json::get_int(ok_json(again->verify()), "entry_count", 0) == 11);
}

TEST_CASE("audit: list is newest first over the last memory_entries") {
    Fixture f;
    f.settings.memory_entries = 3;
    auto log = f.open();
    for (int i = 0; i < 5; ++i) log->record("token:abcdef12", "skill.create", "s" + std::to_string(i));
    const auto page = ok_json(log->list(1, 50));
    CHECK(json::get_int(page, "total", 0) == 3);
    CHECK(page["items"][0]["seq"].GetInt() == 5);
    CHECK(std::string(page["items"][0]["agent_name"].GetString()) == "token:abcdef12");
    CHECK(page["items"][2]["seq"].GetInt() == 3);
    // A restart refills the memory from the store.
    CHECK(json::get_int(ok_json(f.open()->list(1, 50)), "total", 0) == 3);
}

TEST_CASE("audit: disabled records nothing and verifies as empty") {
    Fixture f;
    f.settings.enabled = false;
    auto log = f.open();
    log->record("host", "host.start", "ws");
    CHECK(f.lines().empty());
    CHECK(log->verify().body == "{\"valid\":true,\"entry_count\":0,\"head_hash\":null}");
    CHECK(json::get_int(ok_json(log->list(1, 50)), "total", 1) == 0);
}

TEST_CASE("audit: audit.record checks its limits; long text is truncated") {
    Fixture f;
    auto log = f.open();
    ServiceRegistry reg;
    register_audit_service(reg, *log);
    CHECK(reg.call("audit.record", R"({"actor":"ip:1.2.3.4","action":"Bad-Action","resource":"x"})").status ==
          OXIOS_E_INVALID);
    CHECK(
        reg.call("audit.record", "{\"actor\":\"" + std::string(129, 'a') + "\",\"action\":\"auth.failure\"}").status ==
        OXIOS_E_INVALID);
    const std::string big(5000, 'r');
    REQUIRE(reg.call("audit.record",
                     "{\"actor\":\"ip:1.2.3.4\",\"action\":\"auth.failure\",\"allowed\":false,"
                     "\"resource\":\"" +
                         big + "\",\"reason\":\"missing token\",\"metadata\":{\"x\":\"" + big + "\"}}")
                .ok());
    const auto entry = json::parse_object(f.lines().at(0));
    CHECK(json::get_string(*entry, "resource").size() == 1024);
    CHECK(json::to_string((*entry)["metadata"]) == "{\"truncated\":true}");
    CHECK_FALSE(json::get_bool(*entry, "allowed", true));
    CHECK(reg.call("audit.entries", R"({"from_seq":0})").status == OXIOS_E_INVALID);
    CHECK(reg.call("audit.entries", R"({"from_seq":5,"to_seq":4})").status == OXIOS_E_INVALID);
    CHECK(reg.call("audit.entries", R"({"from_seq":1,"to_seq":1000})").ok());
    CHECK(reg.call("audit.entries", R"({"from_seq":1,"to_seq":1001})").status == OXIOS_E_INVALID);
}

TEST_CASE("audit: audited methods record the actor and keys, never values or secrets") {
    Fixture f;
    auto log = f.open();
    ServiceRegistry reg;
    reg.add("config.put", [](const rapidjson::Value&) { return Result{OXIOS_OK, "{}"}; });
    reg.add("engine.set_api_key",
            [](const rapidjson::Value&) { return error_result(OXIOS_E_INVALID, "provider is required"); });
    audit_methods(reg, *log);
    REQUIRE(
        reg.call(
               "config.put",
               R"({"config":{"gateway":{"port":4321},"security":{"rate_limit_per_minute":7}},"_actor":"token:0123abcd"})")
            .ok());
    reg.call("engine.set_api_key", R"({"provider":"openai","api_key":"sk-secret-value","_actor":"ip:10.0.0.1"})");
    const std::string text = slurp(f.dir / "audit.jsonl");
    CHECK(text.find("sk-secret-value") == std::string::npos);
    CHECK(text.find("4321") == std::string::npos);
    const auto lines = f.lines();
    REQUIRE(lines.size() == 2);
    const auto a = json::parse_object(lines[0]);
    CHECK(json::get_string(*a, "actor") == "token:0123abcd");
    CHECK(json::get_string(*a, "action") == "config.update");
    CHECK(json::get_string(*a, "resource") == "gateway.port,security.rate_limit_per_minute");
    const auto b = json::parse_object(lines[1]);
    CHECK(json::get_string(*b, "resource") == "openai");
    CHECK_FALSE(json::get_bool(*b, "allowed", true));
    CHECK(json::get_string(*b, "reason") == "provider is required");
}
