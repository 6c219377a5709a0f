#include "config/config.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace oxios::kernel;
using namespace oxios::kernel::test;

namespace {
void write(const std::filesystem::path& p, const std::string& text) { std::ofstream(p) << text; }
Result put(Config& c, const std::string& body) {
    auto d = parse(body);
    return c.put(d);
}
}  // namespace

TEST_CASE("config: {} gives every section and default") {
    auto c = Config::from_text("{}");
    CHECK(c->get_int("gateway.port", 0) == 4200);
    CHECK(c->get_string("gateway.host") == "127.0.0.1");
    CHECK(c->get_int("gateway.reply_timeout_secs", 0) == 120);
    CHECK(c->get_int("gateway.queue_capacity", 0) == 1024);
    CHECK(c->get_int("gateway.max_concurrent", 0) == 32);
    CHECK(c->get_int("security.rate_limit_per_minute", 0) == 600);
    CHECK(c->get_int("session.max_sessions", 0) == 100);
    CHECK(c->get_int("session.ttl_hours", 0) == 168);
    CHECK(c->get_bool("session.auto_prune", false));
    CHECK(c->get_int("kernel.event_bus_capacity", 0) == 256);
    CHECK(c->get_string("web.ws_user_id") == "web-user");
    CHECK(c->get_strings("channels.enabled") == std::vector<std::string>{"web"});
    CHECK(c->get_strings("security.cors_origins").size() == 2);
    auto whole = parse(c->hidden_json());
    for (const char* section : {"gateway", "security", "session", "engine", "kernel", "scheduler", "exec",
                                "orchestrator", "context", "logging", "channels", "web"})
        CHECK(whole.HasMember(section));
    CHECK(whole["engine"]["api_key_set"].GetBool() == false);
    CHECK(!whole["engine"].HasMember("api_key"));
    CHECK(whole["security"]["api_keys_count"].GetInt() == 0);
    CHECK(*c->get("gateway.port") == "4200");
    CHECK(!c->get("nope.nothing").has_value());
    CHECK(c->generation() == 1);
}

TEST_CASE("config: load validates types and ranges with the key's name") {
    TempDir dir;
    auto path = dir.path() / "config.json";
    auto fails_with = [&](const std::string& text, const std::string& key) {
        write(path, text);
        try {
            Config c(path.string());
            FAIL("accepted " << text);
        } catch (const std::runtime_error& e) {
            CHECK(std::string(e.what()).rfind("Invalid config: " + key, 0) == 0);
        }
    };
    fails_with(R"({"gateway":{"port":0}})", "gateway.port");
    fails_with(R"({"gateway":{"port":70000}})", "gateway.port");
    fails_with(R"({"gateway":{"port":"80"}})", "gateway.port");
    fails_with(R"({"session":{"max_sessions":-1}})", "session.max_sessions");
    fails_with(R"({"security":{"auth_enabled":"yes"}})", "security.auth_enabled");
    fails_with(R"({"security":{"api_keys":[1]}})", "security.api_keys");
    fails_with(R"({"logging":{"format":"xml"}})", "logging.format");
    fails_with(R"({"orchestrator":{"min_evaluation_score":2}})", "orchestrator.min_evaluation_score");
    fails_with(R"({"gateway":5})", "gateway");
    fails_with(R"({"gateway":)", path.string());

    write(path, R"({"gateway":{"port":8080},"custom":{"x":1},"engine":{"api_key":"sk-1"}})");
    Config ok(path.string());
    CHECK(ok.get_int("gateway.port", 0) == 8080);
    CHECK(*ok.get("custom.x") == "1");
    CHECK(ok.engine_api_key() == "sk-1");
    CHECK(!ok.get("engine.api_key").has_value());
    CHECK(ok.get("")->find("sk-1") == std::string::npos);

    Config missing((dir.path() / "absent.json").string());  // a missing file = {}
    CHECK(missing.get_int("gateway.port", 0) == 4200);
}

TEST_CASE("config.put deep-merges, keeps secrets and unknown keys, writes atomically") {
    TempDir dir;
    auto path = dir.path() / "config.json";
    write(path, R"({"engine":{"api_key":"sk-secret"},"security":{"api_keys":["k1","k2"]},"extra":{"keep":true}})");
    Config c(path.string());

    // What the original UI sends back: the hidden GET plus its edits.
    auto hidden = parse(c.hidden_json());
    hidden["session"]["max_sessions"] = 7;
    hidden["gateway"].RemoveMember("port");
    rapidjson::Document body;
    body.CopyFrom(hidden, body.GetAllocator());
    auto r = c.put(body);
    REQUIRE(r.ok());
    auto applied = parse(r.body);
    CHECK(applied["session"]["max_sessions"].GetInt() == 7);
    CHECK(applied["gateway"]["port"].GetInt() == 4200);
    CHECK(applied["engine"]["api_key_set"].GetBool());
    CHECK(applied["security"]["api_keys_count"].GetInt() == 2);
    CHECK(c.engine_api_key() == "sk-secret");
    CHECK(c.get_strings("security.api_keys").size() == 2);
    CHECK(c.generation() == 2);

    CHECK(put(c, R"({"engine":{"default_model":"echo"},"extra":{"new":1}})").ok());
    CHECK(c.get_string("engine.default_model") == "echo");
    CHECK(*c.get("extra.keep") == "true");
    CHECK(*c.get("extra.new") == "1");
    CHECK(c.engine_api_key() == "sk-secret");

    CHECK(put(c, R"({"engine":{"api_key":"sk-new"}})").ok());
    CHECK(c.engine_api_key() == "sk-new");

    // Invalid: nothing changes, not even the file.
    const std::string before_file = [&] {
        std::ifstream in(path);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }();
    const uint64_t gen = c.generation();
    auto bad = put(c, R"({"gateway":{"port":99999},"session":{"max_sessions":1}})");
    CHECK(bad.status == OXIOS_E_INVALID);
    CHECK(bad.body.find("Invalid config: gateway.port") != std::string::npos);
    CHECK(c.get_int("session.max_sessions", 0) == 7);
    CHECK(c.generation() == gen);
    std::ifstream in(path);
    CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == before_file);

    // The file on disk reloads to the same config, secrets included.
    Config again(path.string());
    CHECK(again.engine_api_key() == "sk-new");
    CHECK(again.get_int("session.max_sessions", 0) == 7);
    CHECK(again.get_strings("security.api_keys") == std::vector<std::string>{"k1", "k2"});
    // No temp files left behind.
    size_t files = 0;
    for (auto& e : std::filesystem::directory_iterator(dir.path())) {
        (void)e;
        ++files;
    }
    CHECK(files == 1);
}

TEST_CASE("config: ~ expands to $HOME") {
    const char* home = std::getenv("HOME");
    REQUIRE(home != nullptr);
    CHECK(expand_home("~/x/y") == std::string(home) + "/x/y");
    CHECK(expand_home("~") == std::string(home));
    CHECK(expand_home("/abs/~") == "/abs/~");
    CHECK(expand_home("~other/x") == "~other/x");
}
