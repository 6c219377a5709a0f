// The Personas and Budget pages over HTTP against the real host and the fake
// OpenAI server: the composed system prompt reaches the provider, reported
// usage is metered and priced, an exhausted budget is refused with 429
// before any upstream request; over the WebSocket the refusal is an error
// frame and nothing is stored.
#include "fake_openai.hpp"
#include "host_process.hpp"
#include "json_answer.hpp"
#include "ws_client.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <string>

using oxios::test::HostProcess;
using oxios::test::parse;

namespace {

HostProcess::Options with_fake(const oxios::fake::FakeOpenAI& fake, const std::string& extra = "") {
    HostProcess::Options o;
    o.config_json = R"({"security":{"rate_limit_per_minute":0},)" + extra +
                    R"("engine":{"default_model":"openai/fake","api_key":"k","max_retries":0,)"
                    R"("system_prompt":"Be brief.","providers":{"openai":{"base_url":")" +
                    fake.base_url() + R"("}}}})";
    return o;
}

// The system message of the newest upstream request ("" when none).
std::string upstream_system(const oxios::fake::FakeOpenAI& fake) {
    const auto reqs = fake.chat_requests();
    REQUIRE_FALSE(reqs.empty());
    const auto body = parse(reqs.back().body);
    const auto& first = body["messages"][0];
    if (std::string(first["role"].GetString()) != "system") return "";
    return first["content"].GetString();
}

std::string post(httplib::Client& c, const std::string& path, const std::string& body, int status = 200) {
    auto r = c.Post(path.c_str(), body, "application/json");
    REQUIRE_MESSAGE(r, path);
    CHECK_MESSAGE(r->status == status, path << " -> " << r->status << " " << r->body);
    return r->body;
}

}  // namespace

TEST_CASE("personas: the active persona's prompt follows engine.system_prompt in the upstream request") {
    oxios::fake::FakeOpenAI fake;
    HostProcess host(with_fake(fake));
    auto c = host.client();
    post(c, "/api/chat", R"({"content":"hi"})");
    CHECK(upstream_system(fake) == "Be brief.");

    const auto created = parse(post(c, "/api/personas", R"({"name":"Pirate","system_prompt":"Talk like a pirate."})"));
    const std::string id = created["id"].GetString();
    post(c, "/api/personas/" + id + "/activate", "");
    auto active = c.Get("/api/personas/active");
    REQUIRE(active);
    CHECK(parse(active->body)["enabled"].GetBool());
    post(c, "/api/chat", R"({"content":"hi"})");
    CHECK(upstream_system(fake) == "Be brief.\n\nTalk like a pirate.");

    auto off = c.Put("/api/personas/active", R"({"id":null})", "application/json");
    REQUIRE(off);
    CHECK(off->body == R"({"status":"inactive"})");
    post(c, "/api/chat", R"({"content":"hi"})");
    CHECK(upstream_system(fake) == "Be brief.");

    auto list = c.Get("/api/personas");
    REQUIRE(list);
    const auto arr = parse(list->body);
    REQUIRE(arr.IsArray());  // the UI reads a bare array
    CHECK(arr.Size() == 1);
    CHECK_FALSE(arr[0]["enabled"].GetBool());
}

TEST_CASE("budget: reported usage is metered and priced; an exhausted agent gets 429 and no upstream request") {
    oxios::fake::FakeOpenAI fake;
    HostProcess host(with_fake(fake, R"("budget":{"prices":{"openai/fake":{"input":1000000,"output":2000000}}},)"));
    auto c = host.client();
    fake.push(oxios::fake::stream_of({"Ahoy"}, 12, 5));
    post(c, "/api/chat", R"({"content":"hello","user_id":"meter"})");
    auto item = c.Get("/api/budget/meter");
    REQUIRE(item);
    const auto m = parse(item->body);
    CHECK(m["prompt_tokens"].GetInt64() == 12);
    CHECK(m["completion_tokens"].GetInt64() == 5);
    CHECK(m["estimated_tokens"].GetInt64() == 0);
    CHECK(m["calls"].GetInt64() == 1);
    CHECK(m["cost_used"].GetDouble() == doctest::Approx(12 * 1.0 + 5 * 2.0));

    post(c, "/api/budget/tiny", R"({"tokens_limit":1,"window_secs":3600})");
    post(c, "/api/chat", R"({"content":"first","user_id":"tiny"})");  // admitted: completes and counts
    const size_t upstream = fake.chat_requests().size();
    auto refused = c.Post("/api/chat", R"({"content":"second","user_id":"tiny"})", "application/json");
    REQUIRE(refused);
    CHECK(refused->status == 429);
    CHECK(std::string(parse(refused->body)["error"].GetString())
              .rfind("budget exhausted for agent 'tiny': 17/1 tokens; resets at ", 0) == 0);
    const int retry = std::stoi(refused->get_header_value("Retry-After"));
    CHECK(retry > 3500);
    CHECK(retry <= 3601);
    CHECK(fake.chat_requests().size() == upstream);  // refused before the engine

    // The Budget page's fields.
    auto page = c.Get("/api/budget");
    REQUIRE(page);
    const auto p = parse(page->body);
    REQUIRE(p["items"].IsArray());
    bool seen = false;
    for (const auto& it : p["items"].GetArray()) {
        if (std::string(it["agent_id"].GetString()) != "tiny") continue;
        seen = true;
        CHECK(it["tokens_used"].GetInt64() == 17);
        CHECK(it["tokens_limit"].GetInt64() == 1);
        CHECK(it["cost_used"].IsNumber());
        CHECK(it["cost_limit"].IsNull());
        CHECK(it["exhausted"].GetBool());
    }
    CHECK(seen);

    // A reset lets the agent chat again.
    post(c, "/api/budget/tiny/reset", "");
    post(c, "/api/chat", R"({"content":"again","user_id":"tiny"})");
}

TEST_CASE("budget: over the WebSocket an exhausted agent gets an error frame with the budget text, nothing stored") {
    HostProcess::Options o;
    o.config_json = R"({"security":{"rate_limit_per_minute":0},"web":{"ws_user_id":"ws-agent"}})";
    HostProcess host(o);
    auto c = host.client();
    post(c, "/api/budget/ws-agent", R"({"tokens_limit":2})");
    oxios::test::WsClient ws(host.port());
    REQUIRE(ws.open());
    auto frame = [](const std::string& text, const std::string& session) {
        return R"({"type":"message","content":")" + text + R"(","session_id":")" + session + "\"}";
    };
    REQUIRE(ws.send(frame("hello", "ws-budget-1")));  // echo: estimated ceil(5/4) + ceil(11/4) = 5 tokens
    std::string type;
    while (type != "done" && type != "error") type = parse(ws.read())["type"].GetString();
    CHECK(type == "done");
    REQUIRE(ws.send(frame("again", "ws-budget-2")));
    const auto refused = parse(ws.read());
    CHECK(std::string(refused["type"].GetString()) == "error");
    CHECK(std::string(refused["error"].GetString()) == "budget exhausted for agent 'ws-agent': 5/2 tokens");
    auto item = c.Get("/api/budget/ws-agent");
    REQUIRE(item);
    CHECK(parse(item->body)["estimated_tokens"].GetInt64() == 5);
    auto session = c.Get("/api/sessions/ws-budget-2");
    REQUIRE(session);
    CHECK(session->status == 404);  // nothing stored for the refused message
}
