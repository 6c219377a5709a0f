// The Rust original's config.toml: read as is (same tree and rules as JSON),
// refused with the line and key, written back as TOML, explained by
// --check-config's report.
#include "config/config.hpp"
#include "config/config_report.hpp"
#include "kernel.hpp"
#include "services_test_support.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <cstdlib>

using namespace oxios::kernel;
using namespace oxios::kernel::test;
namespace fs = std::filesystem;
using services_test::slurp;
using services_test::spit;

namespace {

fs::path fixtures() {
    const char* dir = std::getenv("OXIOS_ORIGINAL_FIXTURES");
    REQUIRE(dir != nullptr);
    return dir;
}

// The message a config file is refused with ("" when it loads).
std::string refusal(const fs::path& p) {
    try {
        Config c(p.string());
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("config.toml in the original's format gives the same effective config as its JSON twin") {
    Config toml((fixtures() / "config.toml").string());
    Config json((fixtures() / "config.json").string());
    CHECK(toml.format() == ConfigFormat::toml);
    CHECK(json.format() == ConfigFormat::json);
    // Member order aside (TOML tables are sorted), the trees are equal.
    CHECK(parse(toml.hidden_json()) == parse(json.hidden_json()));
    CHECK(toml.engine_api_key() == json.engine_api_key());
    CHECK(toml.engine_api_key() == "sk-original-provider-key");

    CHECK(toml.get_int("gateway.port", 0) == 4311);
    CHECK(toml.get_bool("security.auth_enabled", false));
    CHECK(toml.get_strings("security.api_keys") == std::vector<std::string>{"tok-alpha", "tok-beta"});
    CHECK(toml.get_int("security.rate_limit_per_minute", -1) == 0);
    CHECK(toml.get_int("session.max_sessions", 0) == 250);
    CHECK(toml.get_string("engine.system_prompt") == "You are Oxios.\nAnswer briefly.");
    CHECK(*toml.get("engine.temperature") == "0.4");
    // The array of provider tables is the object by id the engine reads.
    CHECK(toml.get_string("engine.providers.ollama.base_url") == "http://127.0.0.1:11434/v1");
    CHECK(toml.get_string("engine.providers.openrouter.headers.X-Title") == "Oxios");
    // Unknown keys are kept; a TOML date-time is its RFC 3339 text.
    CHECK(toml.get_string("channels.telegram.started") == "2026-05-27T10:11:12Z");
    CHECK(*toml.get("channels.telegram.allowed_chats") == "[1001,1002]");
}

TEST_CASE("bad TOML is refused with the line and the key") {
    TempDir dir;
    const fs::path p = dir.path() / "config.toml";
    auto refused = [&](const std::string& text, const std::string& line, const std::string& key) {
        spit(p, text);
        const std::string why = refusal(p);
        CAPTURE(text);
        CAPTURE(why);
        CHECK(why.rfind("Invalid config: ", 0) == 0);
        CHECK(why.find(line) != std::string::npos);
        CHECK(why.find(key) != std::string::npos);
    };
    refused("[gateway]\nport = 4200\nport = 4300\n", "line 3", "gateway.port");                  // duplicate key
    refused("# c\n[gateway]\nport = \"4200\"\n", "line 3", "gateway.port: must be an integer");  // wrong type
    refused("[engine]\ndefault_model = \"ollama/x\nsystem_prompt = \"y\"\n", "line 2",
            "engine.default_model");                                                      // unterminated string
    refused("[session]\nttl_hours = -1\n", "line 2", "session.ttl_hours: must be >= 0");  // out of range
    refused("[gateway]\n[gateway]\nport = 1\n", "line 2", "gateway");                     // table defined twice
    refused("{\"gateway\": {\"port\": 4200}}\n", "line 1", "config.toml");                // JSON is not TOML
    refused("[[engine.providers]]\nbase_url = \"http://x\"\n", "engine.providers[0]", "needs an id");
    refused("[[engine.providers]]\nid = \"a\"\n[[engine.providers]]\nid = \"a\"\n", "engine.providers",
            "a given twice");
    refused("[context]\ncache_limit_entries = inf\n", "line 2", "context.cache_limit_entries");

    // The JSON error names its line too.
    const fs::path j = dir.path() / "config.json";
    spit(j, "{\n  \"gateway\": {\n    \"port\": 1,\n  }\n}\n");
    CHECK(refusal(j).find("line 4: malformed JSON") != std::string::npos);
}

TEST_CASE("config.put on a TOML config writes TOML that reloads to the same tree") {
    TempDir dir;
    const fs::path p = dir.path() / "config.toml";
    fs::copy_file(fixtures() / "config.toml", p);
    Config c(p.string());
    auto r = c.put(parse(R"({"session":{"max_sessions":300},"engine":{"api_key":""},
                             "custom":{"list":[{"a":1},{"a":2}],"when":"2026-01-01"}})"));
    REQUIRE(r.status == OXIOS_OK);

    const std::string text = slurp(p);
    CHECK(text.find("[session]") != std::string::npos);
    CHECK(text.find("max_sessions = 300") != std::string::npos);
    CHECK(text.find("[[custom.list]]") != std::string::npos);
    CHECK(text.find('{') == std::string::npos);           // not JSON
    CHECK_FALSE(fs::exists(dir.path() / "config.json"));  // never forked into a JSON file
    CHECK(fs::directory_iterator(dir.path()) != fs::directory_iterator());

    Config again(p.string());
    CHECK(parse(again.hidden_json()) == parse(c.hidden_json()));
    CHECK(again.engine_api_key() == "sk-original-provider-key");  // an empty key means unchanged
    CHECK(again.get_int("session.max_sessions", 0) == 300);
    CHECK(*again.get("custom.list") == R"([{"a":1},{"a":2}])");
    CHECK(again.get_string("engine.providers.openrouter.headers.X-Title") == "Oxios");

    // An unknown key's null is unset (TOML has none); a known one stays null.
    REQUIRE(c.put(parse(R"({"custom":{"gone":null},"engine":{"max_tokens":null}})")).status == OXIOS_OK);
    CHECK_FALSE(c.get("custom.gone").has_value());
    CHECK(*c.get("engine.max_tokens") == "null");
    CHECK(parse(Config(p.string()).hidden_json()) == parse(c.hidden_json()));
    const std::string text2 = slurp(p);

    // A value TOML cannot hold is refused; the file stays as it was.
    auto bad = c.put(parse(R"({"custom":{"list":[null]}})"));
    CHECK(bad.status == OXIOS_E_INVALID);
    CHECK(bad.body.find("custom.list") != std::string::npos);
    CHECK(slurp(p) == text2);
}

TEST_CASE("config notes: the original's rate limit 0 and its api_key as a web token") {
    CHECK(config_notes(*Config::from_text("{}")).empty());
    auto both = Config::from_text(
        R"({"security":{"rate_limit_per_minute":0,"auth_enabled":true},"engine":{"api_key":"sk-1"}})");
    const auto notes = config_notes(*both);
    REQUIRE(notes.size() == 2);
    CHECK(notes[0].find("no limit") != std::string::npos);
    CHECK(notes[1].find("never accepted as a web token") != std::string::npos);
    // Without auth the provider key has nothing to be mistaken for.
    CHECK(config_notes(*Config::from_text(R"({"engine":{"api_key":"sk-1"}})")).empty());
}

TEST_CASE("check-config report: values, their sources, secrets hidden, keys not used") {
    TempDir dir;
    const fs::path p = dir.path() / "config.toml";
    spit(p,
         "# mine\n[gateway]\nport = 4500\n\n[engine]\napi_key = \"sk-secret-1\"\n"
         "[[engine.providers]]\nid = \"local\"\nbase_url = \"http://127.0.0.1:9/v1\"\n"
         "api_key = \"sk-secret-2\"\n\n[mystery]\nthing = 1\n\n[scheduler]\nmax_concurrent = 2\n");
    ::setenv("OXIOS_API_KEY", "env-token", 1);
    const std::string out = check_config_report(p.string(), ConfigOverrides{std::nullopt, std::nullopt, 4600});
    ::unsetenv("OXIOS_API_KEY");
    CAPTURE(out);
    CHECK(out.find("config: " + p.string() + " (TOML)") != std::string::npos);
    CHECK(out.find("gateway.port = 4600    # command line") != std::string::npos);
    CHECK(out.find("gateway.host = \"127.0.0.1\"    # default") != std::string::npos);
    CHECK(out.find("engine.api_key = (set, hidden)    # file, line 6") != std::string::npos);
    CHECK(out.find("security.api_keys = (0 hidden)    # default + env OXIOS_API_KEY") != std::string::npos);
    CHECK(out.find("engine.providers.local.api_key = (hidden)") != std::string::npos);
    CHECK(out.find("sk-secret") == std::string::npos);
    CHECK(out.find("env-token") == std::string::npos);
    CHECK(out.find("mystery.thing (line 13): not a key of this host") != std::string::npos);
    CHECK(out.find("scheduler.max_concurrent (line 16): stored and returned") != std::string::npos);
    CHECK(out.find("notes:") == std::string::npos);

    spit(p, "[gateway]\nport = 0\n");
    CHECK_THROWS_WITH_AS(check_config_report(p.string(), {}), doctest::Contains("gateway.port"), std::runtime_error);
}
