// Gateway: submit -> asynchronous deliveries, and call -> synchronous reply.
#include "common.hpp"

using namespace harness_test;
using oxios::harness::ChatMessage;
using oxios::harness::GatewayReply;

namespace {
std::vector<std::string> delivery_types(oxios::harness::MockHost& h) {
    std::vector<std::string> out;
    const auto d = parse(h.get("/deliveries").body);
    for (const auto& item : d["items"].GetArray()) out.push_back(jstring(item, "type"));
    return out;
}
}  // namespace

TEST_CASE("submit: recorded, then delivered (echo) on a harness thread") {
    Loaded l;
    auto& h = l.host;
    const auto r = h.post("/chat", R"({"content":"hi there","id":"m1"})");
    CHECK(r.status == 202);
    REQUIRE(eventually([&] { return delivery_types(h).size() == 1; }));
    const auto d = parse(h.get("/deliveries").body);
    const auto& item = d["items"][0];
    CHECK(jstring(item, "type") == "done");
    CHECK(jstring(item, "id") == "m1");
    CHECK(jstring(item, "message_content") == "hi there");
    CHECK(jstring(item, "content") == "echo: hi there");
    CHECK(is_uuid_v4(jstring(item, "session_id")));
    const auto msgs = h.gateway_messages();
    REQUIRE(msgs.size() == 1);
    CHECK(msgs[0].id == "m1");
    CHECK(msgs[0].content == "hi there");
    CHECK(msgs[0].user_id == "tester");
}

TEST_CASE("submit: scripted tokens, then the reply, in order; session id kept") {
    Loaded l;
    auto& h = l.host;
    h.set_gateway([](const ChatMessage& m) {
        GatewayReply r;
        r.tokens = {"a", "b"};
        r.content = "ab:" + m.content;
        return r;
    });
    h.post("/chat", R"({"content":"x","session_id":"s-1"})");
    REQUIRE(eventually([&] { return delivery_types(h).size() == 3; }));
    CHECK(delivery_types(h) == std::vector<std::string>{"token", "token", "done"});
    const auto d = parse(h.get("/deliveries").body);
    CHECK(jstring(d["items"][1], "content") == "b");
    CHECK(jstring(d["items"][2], "content") == "ab:x");
    CHECK(jstring(d["items"][2], "session_id") == "s-1");
}

TEST_CASE("submit: a scripted error is one ERROR delivery") {
    Loaded l;
    l.host.set_gateway([](const ChatMessage&) {
        GatewayReply r;
        r.error = OXIOS_E_UPSTREAM;
        r.error_text = "engine down";
        return r;
    });
    l.host.post("/chat", R"({"content":"x"})");
    REQUIRE(eventually([&] { return delivery_types(l.host).size() == 1; }));
    const auto d = parse(l.host.get("/deliveries").body);
    CHECK(jstring(d["items"][0], "type") == "error");
    CHECK(jstring(d["items"][0], "content") == "engine down");
    CHECK(jint(d["items"][0], "error") == OXIOS_E_UPSTREAM);
}

TEST_CASE("submit: busy and never") {
    Loaded l;
    l.host.set_gateway_busy(true);
    auto r = l.host.post("/chat", R"({"content":"x"})");
    CHECK(r.status == 503);
    CHECK(jint(parse(r.body), "status") == OXIOS_E_BUSY);
    CHECK(l.host.gateway_messages().empty());
    l.host.set_gateway_busy(false);
    l.host.set_gateway([](const ChatMessage&) {
        GatewayReply g;
        g.never = true;
        return g;
    });
    r = l.host.post("/chat", R"({"content":"x"})");
    CHECK(r.status == 202);
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    CHECK(delivery_types(l.host).empty());
    CHECK(l.host.gateway_messages().size() == 1);
}

TEST_CASE("submit: a delayed delivery goes to the instance current when it arrives") {
    Loaded l;
    l.host.set_gateway([](const ChatMessage&) {
        GatewayReply g;
        g.delay = std::chrono::milliseconds(300);
        return g;
    });
    l.host.post("/chat", R"({"content":"late","id":"m-late"})");
    l.host.reload(plugin_path());  // the submitting instance is gone
    REQUIRE(eventually([&] { return delivery_types(l.host).size() == 1; }));
    const auto d = parse(l.host.get("/deliveries").body);
    CHECK(jstring(d["items"][0], "id") == "m-late");
    CHECK(jstring(d["items"][0], "content") == "echo: late");
}

TEST_CASE("call: synchronous reply, errors, busy and timeouts") {
    Loaded l;
    auto& h = l.host;
    auto d = parse(h.post("/chat/sync", R"({"content":"sync","session_id":"abc"})").body);
    CHECK(jint(d, "status") == OXIOS_OK);
    CHECK(jint(d, "kind") == OXIOS_DELIVERY_REPLY);
    CHECK(jstring(d, "reply") == "echo: sync");
    CHECK(jstring(d, "session_id") == "abc");

    h.set_gateway([](const ChatMessage& m) {
        GatewayReply g;
        if (m.content == "never") g.never = true;
        if (m.content == "slow") g.delay = std::chrono::milliseconds(2000);
        if (m.content == "bad") {
            g.error = OXIOS_E_UPSTREAM;
            g.error_text = "no";
        }
        return g;
    });
    const auto t0 = std::chrono::steady_clock::now();
    d = parse(h.post("/chat/sync?timeout=100", R"({"content":"never"})").body);
    CHECK(jint(d, "status") == OXIOS_E_TIMEOUT);
    CHECK(jint(d, "kind") == 0);  // fn not called
    d = parse(h.post("/chat/sync?timeout=100", R"({"content":"slow"})").body);
    CHECK(jint(d, "status") == OXIOS_E_TIMEOUT);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(1500));
    d = parse(h.post("/chat/sync?timeout=1000", R"({"content":"bad"})").body);
    CHECK(jint(d, "status") == OXIOS_E_UPSTREAM);
    CHECK(jint(d, "kind") == OXIOS_DELIVERY_ERROR);
    CHECK(jstring(d, "reply") == "no");
    h.set_gateway_busy(true);
    d = parse(h.post("/chat/sync", R"({"content":"x"})").body);
    CHECK(jint(d, "status") == OXIOS_E_BUSY);
}
