// The OpenAI-compatible engine end to end through the Kernel, against the
// fake server: streaming, request content, retries, fallbacks, faults,
// cancellation, usage, and the API key kept out of every output.
#include "engine_support.hpp"

#include <doctest/doctest.h>

#include <thread>

using namespace oxios::kernel;
using namespace oxios::kernel::test;
using oxios::fake::Ms;
namespace fake = oxios::fake;

namespace {

std::string fake_host(const Rig& rig) { return "127.0.0.1:" + std::to_string(rig.fake.port()); }

void seed_history(Kernel& k, const std::string& sid) {
    Exchange ex;
    ex.session_id = sid;
    ex.user_content = "earlier question";
    ex.reply_content = "earlier answer";
    ex.user_us = 1'700'000'000'000'000;
    ex.reply_us = ex.user_us + 1000;
    REQUIRE(k.session_append(ex.view()) == OXIOS_OK);
}

// The session file is still valid JSON with `n` user messages.
void check_session(Kernel& k, const std::string& sid, size_t n) {
    Result r = k.session_get(sid);
    REQUIRE(r.ok());
    auto d = parse(r.body);
    CHECK(d["user_messages"].Size() == n);
    CHECK(d["agent_responses"].Size() == n);
}

std::string agent_id(Kernel& k) {
    auto d = parse(k.call("agents.list", R"({"page":1,"limit":10})").body);
    if (!d["items"].IsArray() || d["items"].Empty()) return "";
    return d["items"][0]["id"].GetString();
}

}  // namespace

TEST_CASE("engine: tokens arrive while the model is still generating; request carries prompt and history") {
    Rig rig;
    auto reply = fake::stream_of({"Hel", "lo", " there"}, 21, 3);
    reply.chunk_delay = Ms(150);
    rig.fake.push(reply);
    seed_history(*rig.kernel, "sess-1");

    auto c = rig.submit("new question", "sess-1");
    REQUIRE(c->wait_final());
    const Delivery d = c->last();
    REQUIRE(d.kind == OXIOS_DELIVERY_REPLY);
    CHECK(d.content == "Hello there");
    CHECK(c->tokens() == std::vector<std::string>{"Hel", "lo", " there"});
    CHECK(d.prompt_tokens == 21);
    CHECK(d.completion_tokens == 3);
    CHECK(d.session_id == "sess-1");
    // The first TOKEN delivery came before the fake wrote its last chunk.
    CHECK(c->at.front() < rig.fake.last_chunk_at());

    auto reqs = rig.fake.chat_requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].headers["authorization"] == "Bearer " + kSecret);
    auto body = parse(reqs[0].body);
    CHECK(std::string(body["model"].GetString()) == "test-model");
    CHECK(body["stream"].GetBool());
    CHECK(body["stream_options"]["include_usage"].GetBool());
    CHECK_FALSE(body.HasMember("temperature"));
    const auto& msgs = body["messages"];
    REQUIRE(msgs.Size() == 4);
    CHECK(std::string(msgs[0]["role"].GetString()) == "system");
    CHECK(std::string(msgs[0]["content"].GetString()) == "You are terse.");
    CHECK(std::string(msgs[1]["content"].GetString()) == "earlier question");
    CHECK(std::string(msgs[2]["role"].GetString()) == "assistant");
    CHECK(std::string(msgs[2]["content"].GetString()) == "earlier answer");
    CHECK(std::string(msgs[3]["role"].GetString()) == "user");
    CHECK(std::string(msgs[3]["content"].GetString()) == "new question");

    // Usage reaches system.status and /metrics.
    auto status = parse(rig.kernel->call("system.status", "{}").body);
    CHECK(std::string(status["engine"]["name"].GetString()) == "openai");
    CHECK(std::string(status["engine"]["model"].GetString()) == "fake/test-model");
    CHECK(status["engine"]["prompt_tokens"].GetInt() == 21);
    CHECK(status["engine"]["completion_tokens"].GetInt() == 3);
    CHECK(status["engine"]["last_error"].IsNull());
    const std::string metrics = rig.kernel->call("system.metrics", "{}").body;
    CHECK(has(metrics, "oxios_engine_prompt_tokens_total 21"));
    CHECK(has(metrics, "oxios_engine_completion_tokens_total 3"));
}

TEST_CASE("engine: history is limited to engine.history_messages exchanges; max_tokens and temperature") {
    Rig rig([](rapidjson::Document& c) {
        rapidjson::Pointer("/engine/history_messages").Set(c, 1);
        rapidjson::Pointer("/engine/max_tokens").Set(c, 64);
        rapidjson::Pointer("/engine/temperature").Set(c, 0.5);
        rapidjson::Pointer("/engine/system_prompt").Set(c, "");
    });
    seed_history(*rig.kernel, "sess-h");
    seed_history(*rig.kernel, "sess-h");
    auto c = rig.submit("q", "sess-h");
    REQUIRE(c->wait_final());
    auto body = parse(rig.fake.chat_requests().at(0).body);
    CHECK(body["messages"].Size() == 3);  // one exchange + the new message, no system prompt
    CHECK(body["max_tokens"].GetInt() == 64);
    CHECK(body["temperature"].GetDouble() == doctest::Approx(0.5));
}

TEST_CASE("engine: retries 500 and 429 (honouring Retry-After) before the first token") {
    Rig rig;
    rig.fake.push(fake::error_reply(500, "overloaded"));
    auto limited = fake::error_reply(429, "slow down");
    limited.headers.emplace_back("Retry-After", "1");
    rig.fake.push(limited);
    rig.fake.push(fake::stream_of({"ok"}));
    const auto t0 = std::chrono::steady_clock::now();
    auto c = rig.submit("hi");
    REQUIRE(c->wait_final());
    CHECK(c->last().kind == OXIOS_DELIVERY_REPLY);
    CHECK(c->last().content == "ok");
    CHECK(rig.fake.chat_requests().size() == 3);
    CHECK(std::chrono::steady_clock::now() - t0 >= Ms(950));  // waited Retry-After: 1
}

TEST_CASE("engine: retries give up after engine.max_retries; 4xx is not retried") {
    Rig rig([](rapidjson::Document& c) { rapidjson::Pointer("/engine/max_retries").Set(c, 1); });
    rig.fake.set_default(fake::error_reply(503, "down for maintenance"));
    auto c = rig.submit("hi");
    REQUIRE(c->wait_final());
    CHECK(c->last().kind == OXIOS_DELIVERY_ERROR);
    CHECK(c->last().error == OXIOS_E_UPSTREAM);
    CHECK(c->last().content == "engine: " + fake_host(rig) + " answered HTTP 503: down for maintenance");
    CHECK(rig.fake.chat_requests().size() == 2);

    rig.fake.set_default(fake::error_reply(400, "bad request"));
    auto c2 = rig.submit("again");
    REQUIRE(c2->wait_final());
    CHECK(c2->last().kind == OXIOS_DELIVERY_ERROR);
    CHECK(rig.fake.chat_requests().size() == 3);
}

TEST_CASE("engine: no retry and no fallback once a token went out (mid-stream disconnect)") {
    Rig rig([](rapidjson::Document& c) {
        rapidjson::Value list(rapidjson::kArrayType);
        list.PushBack("fake/other", c.GetAllocator());
        rapidjson::Pointer("/engine/fallback_models").Set(c, list);
    });
    seed_history(*rig.kernel, "sess-d");
    fake::Reply broken;
    broken.chunks = {fake::sse_delta("partial")};
    broken.disconnect = true;
    rig.fake.push(broken);
    auto c = rig.submit("hi", "sess-d");
    REQUIRE(c->wait_final());
    CHECK(c->tokens() == std::vector<std::string>{"partial"});
    CHECK(c->last().kind == OXIOS_DELIVERY_ERROR);
    CHECK(c->last().error == OXIOS_E_UPSTREAM);
    CHECK(c->last().content == "engine: the connection to " + fake_host(rig) + " broke mid-reply");
    CHECK(rig.fake.chat_requests().size() == 1);
    CHECK(c->finals() == 1);
    check_session(*rig.kernel, "sess-d", 1);
    CHECK(wait_for([&] { return has(rig.events(), "agent_failed"); }));
}

TEST_CASE("engine: fallback models are tried in order") {
    Rig rig([](rapidjson::Document& c) {
        rapidjson::Value list(rapidjson::kArrayType);
        list.PushBack("fake/second", c.GetAllocator());
        list.PushBack("fake/third", c.GetAllocator());
        rapidjson::Pointer("/engine/fallback_models").Set(c, list);
    });
    rig.fake.push(fake::error_reply(404, "no such model"));
    rig.fake.push(fake::error_reply(400, "context too long"));
    rig.fake.push(fake::stream_of({"from third"}));
    auto c = rig.submit("hi");
    REQUIRE(c->wait_final());
    CHECK(c->last().kind == OXIOS_DELIVERY_REPLY);
    CHECK(c->last().content == "from third");
    auto reqs = rig.fake.chat_requests();
    REQUIRE(reqs.size() == 3);
    CHECK(std::string(parse(reqs[0].body)["model"].GetString()) == "test-model");
    CHECK(std::string(parse(reqs[1].body)["model"].GetString()) == "second");
    CHECK(std::string(parse(reqs[2].body)["model"].GetString()) == "third");
    auto status = parse(rig.kernel->call("system.status", "{}").body);
    CHECK(std::string(status["engine"]["model"].GetString()) == "fake/third");

    // All of them failing: the primary's error, the fallbacks named.
    rig.fake.set_default(fake::error_reply(404, "gone"));
    auto c2 = rig.submit("again");
    REQUIRE(c2->wait_final());
    CHECK(c2->last().kind == OXIOS_DELIVERY_ERROR);
    CHECK(c2->last().content == "engine: model \"test-model\" not found at " + fake_host(rig) +
                                    " (HTTP 404): gone (fallbacks failed too: fake/second, fake/third)");
}

TEST_CASE("engine: a wrong key reads clearly and the key appears nowhere") {
    Rig rig;
    rig.fake.require_key("good-key");
    rig.fake.set_default(fake::error_reply(401, "Incorrect API key provided: " + kSecret));
    auto c = rig.submit("hi");
    REQUIRE(c->wait_final());
    const Delivery d = c->last();
    REQUIRE(d.kind == OXIOS_DELIVERY_ERROR);
    CHECK(d.error == OXIOS_E_UPSTREAM);
    CHECK(d.content == "engine: the provider rejected the API key (fake, HTTP 401)");
    CHECK(rig.fake.chat_requests().size() == 1);  // 401 is not retried

    std::string everywhere = d.content + rig.events() + rig.logs.all();
    everywhere += rig.kernel->call("config.get", "{}").body;
    everywhere += rig.kernel->config_get("").value_or("");
    everywhere += rig.kernel->call("system.status", "{}").body;
    everywhere += rig.kernel->call("system.metrics", "{}").body;
    for (const char* m : {"engine.providers", "engine.config", "engine.models", "engine.provider_models"})
        everywhere += rig.kernel->call(m, R"({"provider":"fake"})").body;
    everywhere += rig.kernel->call("engine.validate_key", R"({"provider":"fake","api_key":"sk-wrong-key-999"})").body;
    CHECK(has(everywhere, "rejected the API key"));
    CHECK_FALSE(has(everywhere, kSecret));
    CHECK_FALSE(has(everywhere, "sk-wrong-key-999"));
    auto status = parse(rig.kernel->call("system.status", "{}").body);
    CHECK(std::string(status["engine"]["last_error"].GetString()) == d.content);
}

TEST_CASE("engine: an unreachable server names the host; connection failures are retried") {
    int port = 0;
    {
        fake::FakeOpenAI gone;  // a port nobody listens on any more
        port = gone.port();
    }
    Rig rig([port](rapidjson::Document& c) {
        const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
        rapidjson::Pointer("/engine/providers/fake/base_url").Set(c, url.c_str());
        rapidjson::Pointer("/engine/max_retries").Set(c, 1);
    });
    auto c = rig.submit("hi");
    REQUIRE(c->wait_final());
    CHECK(c->last().kind == OXIOS_DELIVERY_ERROR);
    CHECK(c->last().error == OXIOS_E_UPSTREAM);
    CHECK(has(c->last().content, "engine: cannot reach 127.0.0.1:" + std::to_string(port)));
    CHECK(has(rig.logs.all(), "retrying"));
}

TEST_CASE("engine: first-token and idle timeouts") {
    Rig rig([](rapidjson::Document& c) {
        rapidjson::Pointer("/engine/first_token_timeout_ms").Set(c, 300);
        rapidjson::Pointer("/engine/idle_timeout_ms").Set(c, 300);
    });
    auto slow = fake::stream_of({"late"});
    slow.first_delay = Ms(3000);
    rig.fake.push(slow);
    const auto t0 = std::chrono::steady_clock::now();
    auto c = rig.submit("hi");
    REQUIRE(c->wait_final());
    CHECK(std::chrono::steady_clock::now() - t0 < Ms(2000));
    CHECK(c->last().kind == OXIOS_DELIVERY_ERROR);
    CHECK(c->last().error == OXIOS_E_TIMEOUT);
    CHECK(c->last().content == "engine: no reply from " + fake_host(rig) + " within 300 ms");

    auto stalls = fake::stream_of({"first", "second"});
    stalls.chunk_delay = Ms(3000);
    rig.fake.push(stalls);
    auto c2 = rig.submit("again");
    REQUIRE(c2->wait_final());
    CHECK(c2->tokens() == std::vector<std::string>{"first"});
    CHECK(c2->last().error == OXIOS_E_TIMEOUT);
    CHECK(c2->last().content == "engine: " + fake_host(rig) + " stopped sending for 300 ms");
}

TEST_CASE("engine: malformed chunk, error mid-stream, no [DONE], odd chunking") {
    Rig rig;
    fake::Reply bad;
    bad.chunks = {fake::sse_delta("a"), "data: {not json\n\n", fake::sse_done()};
    rig.fake.push(bad);
    auto c = rig.submit("1");
    REQUIRE(c->wait_final());
    CHECK(c->last().kind == OXIOS_DELIVERY_ERROR);
    CHECK(c->last().content == "engine: " + fake_host(rig) + " sent a malformed stream chunk");

    fake::Reply err;
    err.chunks = {fake::sse_delta("a"), fake::sse_error("model crashed")};
    rig.fake.push(err);
    auto c2 = rig.submit("2");
    REQUIRE(c2->wait_final());
    CHECK(c2->last().kind == OXIOS_DELIVERY_ERROR);
    CHECK(c2->last().content == "engine: " + fake_host(rig) + " reported an error mid-reply: model crashed");

    fake::Reply no_done;
    no_done.chunks = {fake::sse_delta("no "), fake::sse_delta("done")};
    rig.fake.push(no_done);
    auto c3 = rig.submit("3");
    REQUIRE(c3->wait_final());
    CHECK(c3->last().kind == OXIOS_DELIVERY_REPLY);
    CHECK(c3->last().content == "no done");

    // One event split over several writes, CRLF line ends, a comment, two
    // events in one write.
    const std::string e1 = fake::sse_delta("split");
    fake::Reply odd;
    odd.chunks = {": keep-alive\r\n\r\n",
                  e1.substr(0, 9),
                  e1.substr(9, 20),
                  e1.substr(29),
                  fake::sse_delta(" and") + fake::sse_delta(" joined"),
                  "data: [DO",
                  "NE]\r\n\r\n"};
    odd.chunk_delay = Ms(5);
    rig.fake.push(odd);
    auto c4 = rig.submit("4");
    REQUIRE(c4->wait_final());
    CHECK(c4->last().content == "split and joined");

    // A server that ignores stream:true.
    fake::Reply whole;
    rapidjson::Document d(rapidjson::kObjectType);
    rapidjson::Pointer("/choices/0/message/content").Set(d, "whole answer");
    rapidjson::Pointer("/usage/prompt_tokens").Set(d, 7);
    rapidjson::Pointer("/usage/completion_tokens").Set(d, 2);
    whole.body = json_text(d);
    rig.fake.push(whole);
    auto c5 = rig.submit("5");
    REQUIRE(c5->wait_final());
    CHECK(c5->last().content == "whole answer");
    CHECK(c5->last().prompt_tokens == 7);

    fake::Reply empty;
    empty.chunks = {fake::sse_done()};
    rig.fake.push(empty);
    auto c6 = rig.submit("6");
    REQUIRE(c6->wait_final());
    CHECK(c6->last().content == "engine: " + fake_host(rig) + " returned an empty reply");
}

namespace {
fake::Reply endless() {
    fake::Reply r;
    r.chunks = {fake::sse_delta("tick")};
    r.hang = true;
    return r;
}
}  // namespace

TEST_CASE("engine: killing the agent aborts the upstream request within a second") {
    Rig rig;
    rig.fake.push(endless());
    auto c = rig.submit("hi");
    REQUIRE(c->wait_tokens(1));
    const std::string id = agent_id(*rig.kernel);
    REQUIRE(!id.empty());
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(rig.kernel->call("agents.kill", "{\"id\":\"" + id + "\"}").ok());
    REQUIRE(rig.fake.wait_aborted(1, Ms(1500)));
    CHECK(rig.fake.aborted_at() - t0 < Ms(1000));
    REQUIRE(c->wait_final());
    CHECK(c->last().kind == OXIOS_DELIVERY_ERROR);
    CHECK(c->finals() == 1);
}

TEST_CASE("engine: closing the asking connection aborts the upstream request") {
    Rig rig;
    rig.fake.push(endless());
    auto c = rig.submit("hi", "", 42);
    REQUIRE(c->wait_tokens(1));
    const auto t0 = std::chrono::steady_clock::now();
    rig.kernel->cancel_connection(42);
    REQUIRE(rig.fake.wait_aborted(1, Ms(1500)));
    CHECK(rig.fake.aborted_at() - t0 < Ms(1000));
    REQUIRE(c->wait_final());
    CHECK(c->last().error == OXIOS_E_CLOSED);
}

TEST_CASE("engine: host shutdown aborts the upstream request within a second") {
    Rig rig;
    rig.fake.push(endless());
    auto c = rig.submit("hi");
    REQUIRE(c->wait_tokens(1));
    const auto t0 = std::chrono::steady_clock::now();
    rig.kernel->shutdown(5000);
    CHECK(std::chrono::steady_clock::now() - t0 < Ms(1500));
    REQUIRE(rig.fake.wait_aborted(1, Ms(1500)));
    CHECK(rig.fake.aborted_at() - t0 < Ms(1000));
    REQUIRE(c->wait_final());
    CHECK(c->last().kind == OXIOS_DELIVERY_ERROR);
}

TEST_CASE("engine: a config change takes effect for the next message") {
    Rig rig([](rapidjson::Document& c) { rapidjson::Pointer("/engine/default_model").Set(c, ""); });
    auto c = rig.submit("hi");
    REQUIRE(c->wait_final());
    CHECK(c->last().content == "echo: hi");
    CHECK(rig.fake.chat_requests().empty());

    REQUIRE(rig.kernel->call("config.put", R"({"config":{"engine":{"default_model":"fake/live"}}})").ok());
    auto c2 = rig.submit("hi");
    REQUIRE(c2->wait_final());
    CHECK(c2->last().content == "Hello world");
    REQUIRE(rig.fake.chat_requests().size() == 1);
    CHECK(std::string(parse(rig.fake.chat_requests()[0].body)["model"].GetString()) == "live");

    REQUIRE(rig.kernel->call("engine.set_model", R"({"model_id":"echo"})").ok());
    auto c3 = rig.submit("back");
    REQUIRE(c3->wait_final());
    CHECK(c3->last().content == "echo: back");
}
