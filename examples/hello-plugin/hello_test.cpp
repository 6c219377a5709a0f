// hello.so in the mock host harness: no socket, no real host. The harness
// loads the plugin through the same C ABI and scripts the kernel services.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <oxios/harness/mock_host.hpp>

#include <string>

using oxios::harness::MockHost;

namespace {
// The config the harness's `call("config.get")` answers with.
void script_config(MockHost& host, const std::string& json) {
    host.set_call("config.get", [json](const std::string&) { return std::make_pair(OXIOS_OK, json); });
}
}  // namespace

TEST_CASE("hello: registers GET /api/hello/{name}") {
    MockHost host;
    host.load(HELLO_PLUGIN);
    CHECK(host.plugin_name() == "hello");
    REQUIRE(host.routes().size() == 1);
    CHECK(host.routes()[0].find("GET /api/hello/{name}") == 0);
}

TEST_CASE("hello: greets with the configured greeting, read through call(config.get)") {
    MockHost host;
    script_config(host, R"({"gateway":{"port":4200},"hello":{"greeting":"Bonjour"}})");
    host.load(HELLO_PLUGIN);
    const auto r = host.get("/api/hello/ada");
    CHECK(r.status == 200);
    CHECK(r.content_type == "application/json");
    CHECK(r.body == R"({"message":"Bonjour, ada!"})");
    REQUIRE(!host.calls().empty());
    CHECK(host.calls().back().first == "config.get");
}

TEST_CASE("hello: without a hello section, or when config.get fails, the greeting is Hello") {
    MockHost host;
    host.load(HELLO_PLUGIN);  // config.get unscripted: the harness answers UNSUPPORTED
    CHECK(host.get("/api/hello/bob").body == R"({"message":"Hello, bob!"})");
    script_config(host, R"({"web":{}})");
    CHECK(host.get("/api/hello/bob").body == R"({"message":"Hello, bob!"})");
}

TEST_CASE("hello: the path parameter arrives percent-decoded; a bad name is a 400 with a JSON error") {
    MockHost host;
    host.load(HELLO_PLUGIN);
    CHECK(host.get("/api/hello/%61da").body == R"({"message":"Hello, ada!"})");
    for (const char* bad : {"/api/hello/a%20b", "/api/hello/%22quote", "/api/hello/x%2Fy"}) {
        const auto r = host.get(bad);
        CHECK_MESSAGE(r.status == 400, bad);
        CHECK(r.body.find("\"error\"") != std::string::npos);
    }
    CHECK(host.get("/api/hello").status == 404);  // no such route
}

TEST_CASE("hello: each greeting publishes one event on the bus") {
    MockHost host;
    host.load(HELLO_PLUGIN);
    const uint64_t before = host.publish_event("test.mark");
    CHECK(host.get("/api/hello/ada").status == 200);
    CHECK(host.get("/api/hello/bob").status == 200);
    // Two greetings in between: the bus's next sequence number moved by three.
    CHECK(host.publish_event("test.mark") == before + 3);
    CHECK(host.get("/api/hello/a%20b").status == 400);  // refused: no event
    CHECK(host.publish_event("test.mark") == before + 4);
}

TEST_CASE("hello: hot reload keeps serving") {
    MockHost host;
    host.load(HELLO_PLUGIN);
    host.reload(HELLO_PLUGIN);
    CHECK(host.get("/api/hello/ada").status == 200);
}
