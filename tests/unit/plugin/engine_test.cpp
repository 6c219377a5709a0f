// /api/engine/*: shapes passed through from the host's engine.* methods,
// required fields (400), host errors mapped (404, 502), auth.
#include "plugin_fixture.hpp"

using namespace plugin_test;

namespace {
const char* kProviders =
    R"({"providers":[{"id":"openai","name":"OpenAI","category":"major","has_key":true,"model_count":3}]})";
}  // namespace

TEST_CASE_FIXTURE(Fixture, "engine: GET providers, models, provider models, config") {
    host.set_call("engine.providers", answer(OXIOS_OK, kProviders));
    auto p = json_of(host.get("/api/engine/providers"), 200);
    CHECK(std::string(p["providers"][0]["id"].GetString()) == "openai");
    CHECK(p["providers"][0]["model_count"].GetInt() == 3);

    host.set_call(
        "engine.models",
        answer(
            OXIOS_OK,
            R"({"models":[{"id":"openai/gpt-4o-mini","name":"gpt-4o-mini","provider":"openai","reasoning":false,"context_window":0,"max_tokens":0,"cost_input":0,"cost_output":0}],"count":1})"));
    auto m = json_of(host.get("/api/engine/models?provider=openai&q=gpt%204"), 200);
    CHECK(m["count"].GetInt() == 1);
    auto in = parse(last_call(host, "engine.models"));
    CHECK(std::string(in["provider"].GetString()) == "openai");
    CHECK(std::string(in["q"].GetString()) == "gpt 4");
    json_of(host.get("/api/engine/models"), 200);
    CHECK(parse(last_call(host, "engine.models")).ObjectEmpty());

    host.set_call("engine.provider_models", answer(OXIOS_OK, R"({"provider":"groq","models":[]})"));
    auto pm = json_of(host.get("/api/engine/providers/groq/models"), 200);
    CHECK(std::string(pm["provider"].GetString()) == "groq");
    CHECK(std::string(parse(last_call(host, "engine.provider_models"))["provider"].GetString()) == "groq");

    host.set_call(
        "engine.config",
        answer(OXIOS_OK,
               R"({"engine":{"default_model":"","api_key_set":false,"api_key_source":"none"},"providers":[]})"));
    auto c = json_of(host.get("/api/engine/config"), 200);
    CHECK(c["engine"].HasMember("api_key_source"));
}

TEST_CASE_FIXTURE(Fixture, "engine: host errors keep their status and message") {
    host.set_call(
        "engine.provider_models",
        answer(OXIOS_E_UPSTREAM, R"J({"error":"engine: cannot reach 127.0.0.1:11434 (connection failed)"})J"));
    CHECK(error_of(host.get("/api/engine/providers/ollama/models"), 502) ==
          "engine: cannot reach 127.0.0.1:11434 (connection failed)");
    host.set_call("engine.provider_models", answer(OXIOS_E_NOT_FOUND, R"({"error":"unknown provider \"x\""})"));
    CHECK(error_of(host.get("/api/engine/providers/x/models"), 404) == "unknown provider \"x\"");
    host.set_call(
        "engine.models",
        answer(OXIOS_E_UPSTREAM, R"J({"error":"engine: the provider rejected the API key (openai, HTTP 401)"})J"));
    error_of(host.get("/api/engine/models?provider=openai"), 502);
}

TEST_CASE_FIXTURE(Fixture, "engine: PUT model, api-key, provider-options; POST validate-key") {
    host.set_call("engine.set_model",
                  answer(OXIOS_OK, R"({"engine":{"default_model":"openai/gpt-4o-mini"},"providers":[]})"));
    json_of(host.put("/api/engine/model", R"({"model_id":"openai/gpt-4o-mini"})"), 200);
    CHECK(std::string(parse(last_call(host, "engine.set_model"))["model_id"].GetString()) == "openai/gpt-4o-mini");
    error_of(host.put("/api/engine/model", "{}"), 400);
    error_of(host.put("/api/engine/model", R"({"model_id":5})"), 400);
    error_of(host.put("/api/engine/model", "{nope"), 400);
    host.set_call("engine.set_model", answer(OXIOS_E_INVALID, R"({"error":"unknown provider \"zz\""})"));
    CHECK(error_of(host.put("/api/engine/model", R"({"model_id":"zz/m"})"), 400) == "unknown provider \"zz\"");

    host.set_call("engine.set_api_key",
                  answer(OXIOS_OK, R"({"status":"saved","provider":"openai","api_key_set":true})"));
    auto k = json_of(host.put("/api/engine/api-key", R"({"provider":"openai","api_key":"sk-abc"})"), 200);
    CHECK(std::string(k["status"].GetString()) == "saved");
    CHECK_FALSE(contains(k.IsObject() ? str(k) : "", "sk-abc"));
    auto in = parse(last_call(host, "engine.set_api_key"));
    CHECK(std::string(in["api_key"].GetString()) == "sk-abc");
    CHECK(contains(error_of(host.put("/api/engine/api-key", R"({"provider":"openai"})"), 400), "api_key"));
    CHECK(contains(error_of(host.put("/api/engine/api-key", R"({"api_key":"k"})"), 400), "provider"));

    host.set_call("engine.set_provider_options", answer(OXIOS_OK, R"({"status":"saved","providers":{}})"));
    json_of(host.put("/api/engine/provider-options", R"({"options":{"openai":{"x":1}}})"), 200);
    CHECK(parse(last_call(host, "engine.set_provider_options"))["options"]["openai"]["x"].GetInt() == 1);
    error_of(host.put("/api/engine/provider-options", "{}"), 400);
    error_of(host.put("/api/engine/provider-options", R"({"options":[1]})"), 400);

    host.set_call(
        "engine.validate_key",
        answer(OXIOS_OK, R"({"valid":false,"provider":"openai","message":"the provider rejected the API key"})"));
    auto v = json_of(host.post("/api/engine/validate-key", R"({"provider":"openai","api_key":"sk-x"})"), 200);
    CHECK_FALSE(v["valid"].GetBool());
    CHECK(std::string(v["message"].GetString()) == "the provider rejected the API key");
    error_of(host.post("/api/engine/validate-key", R"({"provider":"openai"})"), 400);
}

TEST_CASE_FIXTURE(Fixture, "engine: routes are protected") {
    host.set_config(R"({"security":{"auth_enabled":true}})");
    host.set_tokens({"tok"});
    host.set_call("engine.providers", answer(OXIOS_OK, kProviders));
    error_of(host.get("/api/engine/providers"), 401);
    error_of(host.put("/api/engine/api-key", R"({"provider":"openai","api_key":"k"})"), 401);
    json_of(host.get("/api/engine/providers", {{"Authorization", "Bearer tok"}}), 200);
    host.set_call("engine.config", answer(OXIOS_OK, "{}"));
    json_of(host.get("/api/engine/config", {{"Authorization", "Bearer tok"}}), 200);
}
