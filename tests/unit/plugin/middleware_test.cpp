// Auth, rate limit, CORS, size limits, unknown paths.
#include "plugin_fixture.hpp"

#include <atomic>
#include <thread>

using namespace plugin_test;
using oxios::harness::Request;

namespace {

struct Route {
    const char* method;
    const char* target;
    const char* body;
};

// Every protected route of the contract (one concrete target each).
const Route kProtected[] = {
    {"GET", "/api/status", ""},
    {"POST", "/api/chat", R"({"content":"x"})"},
    {"GET", "/api/sessions", ""},
    {"GET", "/api/sessions/s1", ""},
    {"DELETE", "/api/sessions/s1", ""},
    {"POST", "/api/sessions/prune", ""},
    {"GET", "/api/spaces", ""},
    {"GET", "/api/spaces/sp1", ""},
    {"POST", "/api/spaces/sp1/activate", ""},
    {"POST", "/api/spaces/sp1/archive", ""},
    {"GET", "/api/agents", ""},
    {"POST", "/api/agents/a1/kill", ""},
    {"GET", "/api/config", ""},
    {"PUT", "/api/config", "{}"},
    {"GET", "/api/workspace/tree", ""},
    {"GET", "/api/workspace/file/a.md", ""},
    {"PUT", "/api/workspace/file/a.md", "x"},
    {"GET", "/api/seeds", ""},
    {"GET", "/api/seeds/s1", ""},
    {"GET", "/api/seeds/s1/evolution", ""},
    {"GET", "/api/skills", ""},
    {"GET", "/api/skills/k", ""},
    {"POST", "/api/skills", R"({"name":"k","content":"c"})"},
    {"DELETE", "/api/skills/k", ""},
    {"POST", "/api/skills/k/enable", ""},
    {"POST", "/api/skills/k/disable", ""},
    {"GET", "/api/skills/k/content", ""},
    {"GET", "/api/memory", ""},
    {"POST", "/api/memory", R"({"content":"c"})"},
    {"POST", "/api/memory/search", R"({"query":"q"})"},
    {"POST", "/api/memory/semantic", R"({"query":"q"})"},
    {"GET", "/api/memory/m1", ""},
    {"GET", "/api/approvals", ""},
    {"POST", "/api/approvals/p1/approve", ""},
    {"POST", "/api/approvals/p1/reject", ""},
    {"GET", "/api/no/such/thing", ""},
};

Response send(MockHost& host, const Route& r, Headers headers = {}) {
    Request req;
    req.method = r.method;
    req.target = r.target;
    req.body = r.body;
    req.headers = std::move(headers);
    return host.request(req);
}

}  // namespace

TEST_CASE_FIXTURE(Fixture, "auth on: every protected route is 401 without a valid token") {
    host.set_config(R"({"security":{"auth_enabled":true}})");
    host.set_tokens({"s3cret"});
    for (const auto& r : kProtected) {
        CAPTURE(r.method);
        CAPTURE(r.target);
        CHECK(error_of(send(host, r), 401) == "unauthorized");
        CHECK(error_of(send(host, r, {{"Authorization", "Bearer wrong"}}), 401) == "unauthorized");
        CHECK(error_of(send(host, r, {{"Authorization", "Bearer null"}}), 401) == "unauthorized");
        CHECK(error_of(send(host, r, {{"Authorization", "s3cret"}}), 401) == "unauthorized");
    }
    // Nothing reached a service: the only calls audit the failures, one per
    // address per window, never with the token.
    const auto calls = host.calls();
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].first == "audit.record");
    CHECK(calls[0].second.find("\"action\":\"auth.failure\"") != std::string::npos);
    CHECK(calls[0].second.find("\"actor\":\"ip:127.0.0.1\"") != std::string::npos);
    CHECK(calls[0].second.find("\"reason\":\"missing token\"") != std::string::npos);
    CHECK(calls[0].second.find("wrong") == std::string::npos);
    CHECK(host.gateway_messages().empty());
    // Public routes stay public.
    CHECK(host.get("/health").status == 200);
    host.set_call("system.status", answer(OXIOS_OK, R"({"state_store":{"healthy":true}})"));
    CHECK(host.get("/health/ready").status == 200);
    host.set_call("system.metrics", answer(OXIOS_OK, "x 1\n"));
    CHECK(host.get("/metrics").status == 200);
}

TEST_CASE_FIXTURE(Fixture, "auth on: a valid bearer token passes") {
    host.set_config(R"({"security":{"auth_enabled":true}})");
    host.set_tokens({"s3cret"});
    host.set_call("approvals.list", answer(OXIOS_OK, "[]"));
    CHECK(host.get("/api/approvals", {{"Authorization", "Bearer s3cret"}}).status == 200);
    CHECK(host.get("/api/approvals", {{"authorization", "bearer s3cret"}}).status == 200);
    CHECK(json_of(host.post("/api/chat", R"({"content":"x"})", {{"Authorization", "Bearer s3cret"}}), 200)
              .HasMember("reply"));
    // Query tokens are for WebSocket routes only.
    CHECK(host.get("/api/approvals?token=s3cret").status == 401);
    // Unknown /api paths: authenticated -> JSON 404.
    CHECK(error_of(host.get("/api/nope", {{"Authorization", "Bearer s3cret"}}), 404) == "not found");
}

TEST_CASE_FIXTURE(Fixture, "auth off: Authorization is ignored entirely (Bearer null)") {
    host.set_tokens({"s3cret"});
    host.set_call("approvals.list", answer(OXIOS_OK, "[]"));
    CHECK(host.get("/api/approvals").status == 200);
    CHECK(host.get("/api/approvals", {{"Authorization", "Bearer null"}}).status == 200);
    CHECK(host.get("/api/approvals", {{"Authorization", "Basic Zm9vOmJhcg=="}}).status == 200);
    CHECK(host.get("/api/approvals", {{"Authorization", "Bearer wrong"}}).status == 200);
}

TEST_CASE_FIXTURE(Fixture, "config changes apply without reload (generation cache)") {
    host.set_tokens({"t"});
    host.set_call("approvals.list", answer(OXIOS_OK, "[]"));
    CHECK(host.get("/api/approvals").status == 200);
    host.set_config(R"({"security":{"auth_enabled":true}})");
    CHECK(host.get("/api/approvals").status == 401);
    host.set_config(R"({"security":{"auth_enabled":false}})");
    CHECK(host.get("/api/approvals").status == 200);
}

TEST_CASE_FIXTURE(Fixture, "rate limit: 429 with Retry-After and JSON; per client; public exempt") {
    host.set_now_us(1'700'000'000'000'000);
    host.set_config(R"({"security":{"rate_limit_per_minute":3}})");
    host.set_call("approvals.list", answer(OXIOS_OK, "[]"));
    for (int i = 0; i < 3; ++i) CHECK(host.get("/api/approvals").status == 200);
    auto r = host.get("/api/approvals");
    CHECK(contains(error_of(r, 429), "rate limit"));
    CHECK(r.header("Retry-After") == "20");
    // Public routes are never limited.
    for (int i = 0; i < 10; ++i) CHECK(host.get("/health").status == 200);
    // Another client has its own bucket.
    Request other;
    other.target = "/api/approvals";
    other.remote_addr = "192.0.2.7";
    CHECK(host.request(other).status == 200);
    // Refill: 20 s later one more request passes.
    host.set_now_us(1'700'000'000'000'000 + 20'000'000);
    CHECK(host.get("/api/approvals").status == 200);
    CHECK(host.get("/api/approvals").status == 429);
}

TEST_CASE_FIXTURE(Fixture, "rate limit: per token when authenticated; 0 = unlimited") {
    host.set_now_us(1'700'000'000'000'000);
    host.set_tokens({"alpha", "beta"});
    host.set_call("approvals.list", answer(OXIOS_OK, "[]"));
    SUBCASE("per token") {
        host.set_config(R"({"security":{"auth_enabled":true,"rate_limit_per_minute":1}})");
        CHECK(host.get("/api/approvals", {{"Authorization", "Bearer alpha"}}).status == 200);
        CHECK(host.get("/api/approvals", {{"Authorization", "Bearer alpha"}}).status == 429);
        CHECK(host.get("/api/approvals", {{"Authorization", "Bearer beta"}}).status == 200);
    }
    SUBCASE("unlimited") {
        host.set_config(R"({"security":{"rate_limit_per_minute":0}})");
        for (int i = 0; i < 1000; ++i) REQUIRE(host.get("/api/approvals").status == 200);
    }
    SUBCASE("default 600") {
        int ok = 0;
        for (int i = 0; i < 601; ++i) ok += host.get("/api/approvals").status == 200;
        CHECK(ok == 600);
    }
}

TEST_CASE_FIXTURE(Fixture, "CORS: preflight answered before auth") {
    host.set_config(R"({"security":{"auth_enabled":true}})");
    Request pre;
    pre.method = "OPTIONS";
    pre.target = "/api/chat";
    pre.headers = {{"Origin", "http://localhost:4200"},
                   {"Access-Control-Request-Method", "POST"},
                   {"Access-Control-Request-Headers", "authorization, content-type"}};
    auto r = host.request(pre);
    CHECK(r.status == 204);
    CHECK(r.header("Access-Control-Allow-Origin") == "http://localhost:4200");
    CHECK(contains(r.header("Access-Control-Allow-Methods"), "POST"));
    CHECK(contains(r.header("Access-Control-Allow-Headers"), "authorization"));
    CHECK(host.gateway_messages().empty());

    // A foreign origin gets no allow headers (the browser blocks it), but no refusal either.
    pre.headers[0].second = "http://evil.example";
    auto f = host.request(pre);
    CHECK(f.status == 204);
    CHECK(f.header("Access-Control-Allow-Origin").empty());
}

TEST_CASE_FIXTURE(Fixture, "CORS: headers on allowed origins, configured list, never refuses") {
    host.set_call("approvals.list", answer(OXIOS_OK, "[]"));
    auto a = host.get("/api/approvals", {{"Origin", "http://127.0.0.1:4200"}});
    CHECK(a.status == 200);
    CHECK(a.header("Access-Control-Allow-Origin") == "http://127.0.0.1:4200");
    auto b = host.get("/api/approvals", {{"Origin", "http://evil.example"}});
    CHECK(b.status == 200);
    CHECK(b.header("Access-Control-Allow-Origin").empty());
    // Same origin (Origin host:port == Host) is never refused.
    auto c = host.get("/api/approvals", {{"Origin", "http://myhost:9000"}, {"Host", "myhost:9000"}});
    CHECK(c.status == 200);
    // No Origin at all.
    CHECK(host.get("/api/approvals").header("Access-Control-Allow-Origin").empty());
    // Configured list replaces the default.
    host.set_config(R"({"security":{"cors_origins":["https://app.example"]}})");
    CHECK(host.get("/api/approvals", {{"Origin", "https://app.example"}}).header("Access-Control-Allow-Origin") ==
          "https://app.example");
    CHECK(host.get("/api/approvals", {{"Origin", "http://localhost:4200"}})
              .header("Access-Control-Allow-Origin")
              .empty());
    // Error responses carry the CORS headers too.
    auto e = host.get("/api/nope", {{"Origin", "https://app.example"}});
    CHECK(e.status == 404);
    CHECK(e.header("Access-Control-Allow-Origin") == "https://app.example");
}

TEST_CASE_FIXTURE(Fixture, "request over 10 MiB -> 413") {
    const std::string big(10u * 1024u * 1024u + 1u, 'x');
    CHECK(error_of(host.post("/api/chat", big), 413) == "10485761 bytes exceeds limit of 10485760 bytes");
}

TEST_CASE_FIXTURE(Fixture, "bodyless routes ignore body and Content-Type") {
    host.set_call("agents.kill", answer(OXIOS_OK, R"({"status":"killed","id":"a1"})"));
    CHECK(host.post("/api/agents/a1/kill", "{{{garbage", {{"Content-Type", "application/json"}}).status == 200);
    host.set_call("approvals.list", answer(OXIOS_OK, "[]"));
    CHECK(host.get("/api/approvals", {{"Content-Type", "application/json"}}).status == 200);
}

TEST_CASE_FIXTURE(Fixture, "unknown paths: JSON 404 under /api, 405 for a known path with another method") {
    CHECK(error_of(host.get("/api/does-not-exist"), 404) == "not found");
    CHECK(error_of(host.get("/api/sessions/a/b/c"), 404) == "not found");
    auto r = host.get("/api/chat");
    CHECK((r.status == 405 || r.status == 404));
    CHECK(r.content_type.rfind("application/json", 0) == 0);
    if (r.status == 405) CHECK(contains(r.header("Allow"), "POST"));
    auto p = host.post("/api/nothing/here", "{}");
    CHECK((p.status == 404 || p.status == 405));
}

TEST_CASE_FIXTURE(Fixture, "concurrent requests: limiter, settings cache, dispatch") {
    host.set_call("approvals.list", answer(OXIOS_OK, "[]"));
    host.set_config(R"({"security":{"rate_limit_per_minute":100000}})");
    std::atomic<int> ok{0}, bad{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 300; ++i) {
                Request r;
                r.target = (i % 3 == 0) ? "/health" : "/api/approvals";
                r.remote_addr = "10.0.0." + std::to_string(t * 10 + i % 7);
                r.headers = {{"Origin", "http://localhost:4200"}};
                const auto res = host.request(r);
                (res.status == 200 ? ok : bad)++;
            }
        });
    }
    for (int i = 0; i < 20; ++i) {
        host.set_config(R"({"security":{"rate_limit_per_minute":100000,"cors_origins":["http://localhost:4200"]}})");
    }
    for (auto& th : threads) th.join();
    CHECK(ok == 1200);
    CHECK(bad == 0);
}
