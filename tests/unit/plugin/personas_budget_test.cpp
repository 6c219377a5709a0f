// /api/personas* and /api/budget*: what each route passes to the host's
// personas.* / budget.* methods, type checks (422) before the host is asked,
// host statuses mapped; a budget refusal of the gateway is 429 + Retry-After.
#include "plugin_fixture.hpp"

using namespace plugin_test;
using oxios::harness::ChatMessage;
using oxios::harness::GatewayReply;

TEST_CASE_FIXTURE(Fixture, "personas: routes pass ids and members; /active wins over /{id}") {
    host.set_call("personas.list", answer(OXIOS_OK, "[]"));
    CHECK(json_of(host.get("/api/personas"), 200).IsArray());  // a bare array, not a page

    host.set_call("personas.active", answer(OXIOS_OK, R"({"active":false,"message":"No active persona set"})"));
    CHECK_FALSE(json_of(host.get("/api/personas/active"), 200)["active"].GetBool());
    CHECK(host.calls().back().first == "personas.active");

    host.set_call("personas.activate", answer(OXIOS_OK, R"({"status":"inactive"})"));
    auto put = host.put("/api/personas/active", R"({"id":null})");
    CHECK(json_of(put, 200)["status"] == "inactive");
    CHECK(parse(last_call(host, "personas.activate"))["id"].IsNull());
    host.put("/api/personas/active", R"({"id":"p1"})");
    CHECK(parse(last_call(host, "personas.activate"))["id"] == "p1");
    host.post("/api/personas/p2/activate", "");
    CHECK(parse(last_call(host, "personas.activate"))["id"] == "p2");

    host.set_call("personas.create", answer(OXIOS_OK, R"({"status":"created","id":"p3","name":"N"})"));
    host.post("/api/personas", R"({"name":"N","system_prompt":"S","personality_traits":["a"],"enabled":true})");
    auto in = parse(last_call(host, "personas.create"));
    CHECK(in["name"] == "N");
    CHECK(in["system_prompt"] == "S");
    CHECK(in["personality_traits"][0] == "a");
    CHECK_FALSE(in.HasMember("enabled"));  // ignored

    host.set_call("personas.update", answer(OXIOS_OK, R"({"status":"updated","id":"p3"})"));
    host.put("/api/personas/p3", R"({"role":"r"})");
    in = parse(last_call(host, "personas.update"));
    CHECK(in["id"] == "p3");
    CHECK(in["role"] == "r");
    CHECK_FALSE(in.HasMember("name"));

    const size_t calls = host.calls().size();
    error_of(host.post("/api/personas", "{}"), 422);
    error_of(host.post("/api/personas", R"({"name":""})"), 422);
    error_of(host.post("/api/personas", R"({"name":7})"), 422);
    error_of(host.post("/api/personas", R"({"name":"n","personality_traits":"x"})"), 422);
    error_of(host.post("/api/personas", R"({"name":"n","personality_traits":[""]})"), 422);
    error_of(host.put("/api/personas/active", "{}"), 422);
    error_of(host.put("/api/personas/active", R"({"id":5})"), 422);
    error_of(host.post("/api/personas", "{\"name\":\"\xff\"}"), 400);  // invalid UTF-8
    CHECK(host.calls().size() == calls);

    host.set_call("personas.get", answer(OXIOS_E_NOT_FOUND, R"({"error":"persona not found"})"));
    CHECK(error_of(host.get("/api/personas/nope"), 404) == "persona not found");
    host.set_call("personas.create", answer(OXIOS_E_TOO_LARGE, R"({"error":"system_prompt exceeds 32768 bytes"})"));
    error_of(host.post("/api/personas", R"({"name":"n"})"), 413);
    host.set_call("personas.create", answer(OXIOS_E_CONFLICT, R"({"error":"too many personas"})"));
    CHECK(error_of(host.post("/api/personas", R"({"name":"n"})"), 409) == "too many personas");
}

TEST_CASE_FIXTURE(Fixture, "budget: set passes present members only, with the alias; types are 422") {
    host.set_call("budget.set", answer(OXIOS_OK, R"({"agent_id":"a"})"));
    host.post("/api/budget/a", R"({"token_budget":10,"cost_limit":null})");
    auto in = parse(last_call(host, "budget.set"));
    CHECK(in["agent_id"] == "a");
    CHECK(in["tokens_limit"].GetInt64() == 10);
    CHECK(in["cost_limit"].IsNull());
    CHECK_FALSE(in.HasMember("window_secs"));
    host.post("/api/budget/a", R"({"window_secs":60})");
    in = parse(last_call(host, "budget.set"));
    CHECK(in["window_secs"].GetInt64() == 60);
    CHECK_FALSE(in.HasMember("tokens_limit"));

    const size_t calls = host.calls().size();
    error_of(host.post("/api/budget/a", R"({"tokens_limit":"10"})"), 422);
    error_of(host.post("/api/budget/a", R"({"cost_limit":"1"})"), 422);
    error_of(host.post("/api/budget/a", R"({"window_secs":null})"), 422);
    error_of(host.post("/api/budget/a", R"({"tokens_limit":1.5})"), 422);
    CHECK(host.calls().size() == calls);

    host.set_call("budget.set", answer(OXIOS_E_INVALID, R"({"error":"tokens_limit must be an integer >= 1 or null"})"));
    error_of(host.post("/api/budget/a", R"({"tokens_limit":-1})"), 400);

    host.set_call("budget.list", answer(OXIOS_OK, R"({"items":[],"total":0})"));
    auto page = json_of(host.get("/api/budget?page=2&limit=5"), 200);
    CHECK(page["page"].GetInt() == 2);
    CHECK(parse(last_call(host, "budget.list"))["limit"].GetInt() == 5);

    host.set_call("budget.get", answer(OXIOS_E_NOT_FOUND, R"({"error":"no budget for agent"})"));
    CHECK(error_of(host.get("/api/budget/x"), 404) == "no budget for agent");
    host.set_call("budget.reset", answer(OXIOS_OK, R"({"agent_id":"x"})"));
    host.post("/api/budget/x/reset", "");
    CHECK(parse(last_call(host, "budget.reset"))["agent_id"] == "x");
    host.set_call("budget.delete", answer(OXIOS_OK, R"({"status":"deleted","agent_id":"x"})"));
    CHECK(json_of(host.del("/api/budget/x"), 200)["status"] == "deleted");
}

TEST_CASE_FIXTURE(Fixture, "chat: a budget refusal (gateway ERROR DENIED) is 429 with Retry-After when it resets") {
    host.set_now_us(int64_t{1780000000} * 1000000);  // 2026-05-28T20:26:40Z
    host.set_gateway([](const ChatMessage&) {
        GatewayReply r;
        r.error = OXIOS_E_DENIED;
        r.error_text = "budget exhausted for agent 'u': 9/5 tokens; resets at 2026-05-28T20:27:40.000000Z";
        return r;
    });
    auto r = host.post("/api/chat", R"({"content":"hi","user_id":"u"})");
    CHECK(error_of(r, 429).rfind("budget exhausted for agent 'u'", 0) == 0);
    CHECK(r.header("Retry-After") == "61");

    host.set_gateway([](const ChatMessage&) {
        GatewayReply refusal;
        refusal.error = OXIOS_E_DENIED;
        refusal.error_text = "budget exhausted for agent 'u': 9/5 tokens";
        return refusal;
    });
    r = host.post("/api/chat", R"({"content":"hi","user_id":"u"})");
    error_of(r, 429);
    CHECK(r.header("Retry-After").empty());
}
