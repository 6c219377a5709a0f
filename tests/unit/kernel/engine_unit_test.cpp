// Pieces of the OpenAI-compatible engine: the SSE parser, providers, model
// lists, and the engine.* methods (against the fake server).
#include "config/config.hpp"
#include "engine_support.hpp"
#include "engines/openai_client.hpp"
#include "engines/openai_models.hpp"
#include "engines/providers.hpp"

#include <doctest/doctest.h>

#include <cstdlib>

using namespace oxios::kernel;
using namespace oxios::kernel::test;
namespace fake = oxios::fake;

namespace {
std::vector<std::string> sse(const std::vector<std::string>& pieces, bool finish = true) {
    SseParser p;
    std::vector<std::string> out;
    auto on = [&out](std::string_view d) { out.emplace_back(d); };
    for (const auto& piece : pieces) p.feed(piece, on);
    if (finish) p.finish(on);
    return out;
}
}  // namespace

TEST_CASE("sse parser: split lines, CRLF, comments, multi-line data, missing blank lines") {
    CHECK(sse({"data: a\n\n"}) == std::vector<std::string>{"a"});
    CHECK(sse({"da", "ta: {\"x\"", ":1}\n", "\n"}) == std::vector<std::string>{"{\"x\":1}"});
    CHECK(sse({"data: a\r\n\r\ndata: b\r\n\r\n"}) == std::vector<std::string>{"a", "b"});
    CHECK(sse({": ping\n\n", "event: message\nid: 3\ndata: x\n\n"}) == std::vector<std::string>{"x"});
    CHECK(sse({"data: one\ndata: two\n\n"}) == std::vector<std::string>{"one\ntwo"});
    CHECK(sse({"data: {\"a\":1}\ndata: {\"b\":2}\n"}) == std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"});
    CHECK(sse({"data: [DONE]"}) == std::vector<std::string>{"[DONE]"});  // no newline at the end
    CHECK(sse({"data: x\n"}, false).empty());                            // not complete yet
    CHECK(sse({"data:nospace\n\n"}) == std::vector<std::string>{"nospace"});
}

TEST_CASE("providers: table, overrides, custom providers, model refs, keys") {
    auto& table = builtin_providers();
    for (const char* id : {"openai", "openrouter", "groq", "deepseek", "mistral", "xai", "cerebras", "fireworks",
                           "together", "ollama", "llamacpp", "vllm", "lmstudio"}) {
        bool found = false;
        for (auto& p : table)
            if (p.id == id) {
                found = true;
                CHECK(parse_base_url(p.base_url).has_value());
                CHECK(!p.name.empty());
                CHECK((p.category == "major" || p.category == "open" || p.category == "regional" ||
                       p.category == "local"));
                CHECK(p.api_key_env.empty() == (p.category == "local"));
            }
        CHECK_MESSAGE(found, id);
    }
    auto cfg = Config::from_text(R"({"engine":{"providers":{
        "openai":{"base_url":"http://127.0.0.1:9/v1","headers":{"X-Org":"o"},"ui_option":true},
        "mine":{"base_url":"https://llm.example.com/api/v1","api_key_env":"MINE_KEY"},
        "opts_only":{"ui_option":1}}}})");
    auto openai = find_provider(*cfg, "openai");
    REQUIRE(openai);
    CHECK(openai->base_url == "http://127.0.0.1:9/v1");
    CHECK(openai->headers.at("X-Org") == "o");
    CHECK(openai->api_key_env == "OPENAI_API_KEY");
    auto mine = find_provider(*cfg, "mine");
    REQUIRE(mine);
    CHECK(mine->category == "custom");
    CHECK_FALSE(find_provider(*cfg, "opts_only"));

    auto ref = parse_model_ref("openrouter/meta-llama/llama-3.1-8b");
    REQUIRE(ref);
    CHECK(ref->provider == "openrouter");
    CHECK(ref->model == "meta-llama/llama-3.1-8b");
    CHECK_FALSE(parse_model_ref("gpt-4o"));
    CHECK_FALSE(parse_model_ref("/x"));
    CHECK_FALSE(parse_model_ref("x/"));

    auto ep = parse_base_url("https://api.groq.com/openai/v1/");
    REQUIRE(ep);
    CHECK(ep->https);
    CHECK(ep->scheme_host_port == "https://api.groq.com");
    CHECK(ep->base_path == "/openai/v1");
    CHECK_FALSE(parse_base_url("ftp://x"));

    ::setenv("MINE_KEY", "env-key", 1);
    CHECK(resolve_key(*cfg, *mine).key == "env-key");
    CHECK(resolve_key(*cfg, *mine).source == "env");
    auto with_key = Config::from_text(R"({"engine":{"api_key":"cfg-key","api_key_provider":"openai",
        "providers":{"mine":{"base_url":"https://llm.example.com/v1","api_key_env":"MINE_KEY"}}}})");
    CHECK(resolve_key(*with_key, *find_provider(*with_key, "openai")).source == "config");
    CHECK(resolve_key(*with_key, *find_provider(*with_key, "mine")).key == "env-key");  // bound to openai
    CHECK(resolve_key(*with_key, *find_provider(*with_key, "ollama")).source == "none");
    ::unsetenv("MINE_KEY");
}

TEST_CASE("model lists: OpenAI, OpenRouter and local shapes; unknown figures are 0") {
    auto models = parse_models(R"({"data":[
        {"id":"gpt-4o-mini","object":"model"},
        {"id":"meta/llama","name":"Llama","context_length":131072,"pricing":{"prompt":"0.0000002","completion":"0.0000006"},
         "top_provider":{"max_completion_tokens":8192},"supported_parameters":["reasoning","tools"]},
        {"id":"groq-model","context_window":32768},
        {"no_id":true}]})");
    REQUIRE(models.size() == 3);
    CHECK(models[0].name == "gpt-4o-mini");
    CHECK(models[0].context_window == 0);
    CHECK(models[0].cost_input == 0);
    CHECK(models[1].name == "Llama");
    CHECK(models[1].context_window == 131072);
    CHECK(models[1].max_tokens == 8192);
    CHECK(models[1].reasoning);
    CHECK(models[1].cost_input == doctest::Approx(0.2));
    CHECK(models[1].cost_output == doctest::Approx(0.6));
    CHECK(models[2].context_window == 32768);
    CHECK(parse_models(R"([{"id":"a"}])").size() == 1);
    CHECK(parse_models("not json").empty());
}

TEST_CASE("engine methods: providers, models (live, cached, filtered), provider models") {
    Rig rig;
    rig.fake.set_models(200, R"({"data":[{"id":"alpha","context_window":4096},{"id":"beta-chat"}]})");
    auto providers = parse(rig.kernel->call("engine.providers", "{}").body);
    bool fake_seen = false;
    for (const auto& p : providers["providers"].GetArray()) {
        for (const char* k : {"id", "name", "category", "has_key", "model_count"}) CHECK(p.HasMember(k));
        if (std::string(p["id"].GetString()) == "fake") {
            fake_seen = true;
            CHECK(p["has_key"].GetBool());  // engine.api_key, not bound to a provider
            CHECK(p["model_count"].GetInt() == 0);
        }
    }
    CHECK(fake_seen);

    auto m = parse(rig.kernel->call("engine.models", R"({"provider":"fake","q":"BETA"})").body);
    REQUIRE(m["count"].GetInt() == 1);
    const auto& beta = m["models"][0];
    CHECK(std::string(beta["id"].GetString()) == "fake/beta-chat");
    CHECK(std::string(beta["provider"].GetString()) == "fake");
    for (const char* k : {"name", "reasoning", "context_window", "max_tokens", "cost_input", "cost_output"})
        CHECK(beta.HasMember(k));
    const size_t before = rig.fake.requests().size();
    auto all = parse(rig.kernel->call("engine.models", "{}").body);  // cached; providers with a key
    CHECK(all["count"].GetInt() >= 2);
    CHECK(rig.fake.requests().size() == before);
    auto providers2 = parse(rig.kernel->call("engine.providers", "{}").body);
    for (const auto& p : providers2["providers"].GetArray())
        if (std::string(p["id"].GetString()) == "fake") CHECK(p["model_count"].GetInt() == 2);

    auto pm = parse(rig.kernel->call("engine.provider_models", R"({"provider":"fake"})").body);
    CHECK(std::string(pm["provider"].GetString()) == "fake");
    REQUIRE(pm["models"].Size() == 2);
    const auto& alpha = pm["models"][0];
    CHECK(std::string(alpha["id"].GetString()) == "alpha");
    CHECK(std::string(alpha["api"].GetString()) == "openai-completions");
    CHECK(alpha["input"][0] == "text");
    CHECK(alpha["context_window"].GetInt() == 4096);
    for (const char* k : {"name", "provider", "reasoning", "cost_input", "cost_output", "cost_cache_read",
                          "cost_cache_write", "max_tokens"})
        CHECK(alpha.HasMember(k));

    CHECK(rig.kernel->call("engine.provider_models", R"({"provider":"nope"})").status == OXIOS_E_NOT_FOUND);
    CHECK(rig.kernel->call("engine.provider_models", "{}").status == OXIOS_E_INVALID);
    // A provider that cannot be reached: an error, never an empty list.
    REQUIRE(
        rig.kernel
            ->call("config.put", R"({"config":{"engine":{"providers":{"dead":{"base_url":"http://127.0.0.1:1/v1"}}}}})")
            .ok());
    Result dead = rig.kernel->call("engine.provider_models", R"({"provider":"dead"})");
    CHECK(dead.status == OXIOS_E_UPSTREAM);
    CHECK(has(dead.body, "engine: cannot reach 127.0.0.1:1"));
    CHECK(rig.kernel->call("engine.models", R"({"provider":"dead"})").status == OXIOS_E_UPSTREAM);
}

TEST_CASE("engine methods: config, model, api key, provider options, key validation") {
    Rig rig([](rapidjson::Document& c) { c["engine"].RemoveMember("api_key"); });
    auto cfg = parse(rig.kernel->call("engine.config", "{}").body);
    CHECK(std::string(cfg["engine"]["default_model"].GetString()) == "fake/test-model");
    CHECK_FALSE(cfg["engine"]["api_key_set"].GetBool());
    CHECK(std::string(cfg["engine"]["api_key_source"].GetString()) == "none");
    CHECK(cfg["providers"].IsArray());

    // set_api_key: applied live, atomic on disk, other secrets kept.
    REQUIRE(rig.kernel->call("config.put", R"({"config":{"security":{"api_keys":["web-token"]}}})").ok());
    CHECK(rig.kernel->call("engine.set_api_key", R"({"provider":"fake"})").status == OXIOS_E_INVALID);
    CHECK(rig.kernel->call("engine.set_api_key", R"({"api_key":"x"})").status == OXIOS_E_INVALID);
    Result set = rig.kernel->call("engine.set_api_key", R"({"provider":"fake","api_key":"sk-new-key-42"})");
    REQUIRE(set.ok());
    CHECK_FALSE(has(set.body, "sk-new-key-42"));
    CHECK(parse(set.body)["api_key_set"].GetBool());
    cfg = parse(rig.kernel->call("engine.config", "{}").body);
    CHECK(cfg["engine"]["api_key_set"].GetBool());
    CHECK(std::string(cfg["engine"]["api_key_source"].GetString()) == "config");
    CHECK(rig.kernel->token_valid("web-token"));
    const std::string on_disk = oxios::kernel::test::parse([&] {
                                    std::ifstream f(rig.dir.path() / "config.json");
                                    return std::string(std::istreambuf_iterator<char>(f), {});
                                }())["engine"]["api_key"]
                                    .GetString();
    CHECK(on_disk == "sk-new-key-42");
    auto c = rig.submit("hi");
    REQUIRE(c->wait_final());
    CHECK(rig.fake.chat_requests().back().headers["authorization"] == "Bearer sk-new-key-42");
    CHECK_FALSE(has(rig.kernel->call("config.get", "{}").body, "sk-new-key-42"));

    // set_model
    CHECK(rig.kernel->call("engine.set_model", "{}").status == OXIOS_E_INVALID);
    CHECK(rig.kernel->call("engine.set_model", R"({"model_id":"nope/x"})").status == OXIOS_E_INVALID);
    CHECK(rig.kernel->call("engine.set_model", R"({"model_id":"noslash"})").status == OXIOS_E_INVALID);
    Result sm = rig.kernel->call("engine.set_model", R"({"model_id":"fake/other"})");
    REQUIRE(sm.ok());
    CHECK(std::string(parse(sm.body)["engine"]["default_model"].GetString()) == "fake/other");
    CHECK(rig.kernel->config_get("engine.default_model").value() == "\"fake/other\"");

    // provider options: stored under engine.providers, unknown keys kept, no keys allowed.
    CHECK(rig.kernel->call("engine.set_provider_options", "{}").status == OXIOS_E_INVALID);
    CHECK(rig.kernel->call("engine.set_provider_options", R"({"options":{"fake":{"api_key":"x"}}})").status ==
          OXIOS_E_INVALID);
    CHECK(rig.kernel->call("engine.set_provider_options", R"({"options":{"fake":{"base_url":"nope"}}})").status ==
          OXIOS_E_INVALID);
    Result po = rig.kernel->call("engine.set_provider_options",
                                 R"({"options":{"fake":{"ui_thing":{"a":1}},"ollama":{"enabled":true}}})");
    REQUIRE(po.ok());
    auto providers = parse(*rig.kernel->config_get("engine.providers"));
    CHECK(providers["fake"]["ui_thing"]["a"].GetInt() == 1);
    CHECK(providers["fake"].HasMember("base_url"));  // merged, not replaced
    CHECK(providers["ollama"]["enabled"].GetBool());

    // validate_key: a real GET /models with that key.
    rig.fake.require_key("good-key");
    auto v = parse(rig.kernel->call("engine.validate_key", R"({"provider":"fake","api_key":"good-key"})").body);
    CHECK(v["valid"].GetBool());
    CHECK(std::string(v["provider"].GetString()) == "fake");
    Result bad = rig.kernel->call("engine.validate_key", R"({"provider":"fake","api_key":"bad-key-77"})");
    REQUIRE(bad.ok());
    auto vb = parse(bad.body);
    CHECK_FALSE(vb["valid"].GetBool());
    CHECK(std::string(vb["message"].GetString()) == "the provider rejected the API key");
    CHECK_FALSE(has(bad.body, "bad-key-77"));
    CHECK(rig.kernel->call("engine.validate_key", R"({"provider":"fake"})").status == OXIOS_E_INVALID);
    CHECK(rig.kernel->call("engine.validate_key", R"({"provider":"zzz","api_key":"k"})").status == OXIOS_E_NOT_FOUND);
    const auto& reqs = rig.fake.requests();
    CHECK(reqs.back().headers.at("authorization") == "Bearer bad-key-77");
}
