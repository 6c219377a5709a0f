// ServiceRegistry::call and error_result.
#include "services_test_support.hpp"

#include "services/service_error.hpp"

#include <doctest/doctest.h>

#include <stdexcept>

using namespace services_test;
using namespace oxios::kernel;

namespace {

ServiceRegistry echo_registry() {
    ServiceRegistry reg;
    reg.add("test.echo", [](const rapidjson::Value& in) {
        rapidjson::StringBuffer buf;
        rapidjson::Writer<rapidjson::StringBuffer> w(buf);
        in.Accept(w);
        return Result{OXIOS_OK, std::string(buf.GetString(), buf.GetSize())};
    });
    reg.add("test.throw", [](const rapidjson::Value&) -> Result { throw std::runtime_error("boom"); });
    reg.add("test.throw_int", [](const rapidjson::Value&) -> Result { throw 42; });
    reg.add("test.fail",
            [](const rapidjson::Value&) -> Result { services::fail(OXIOS_E_CONFLICT, "already \"there\""); });
    return reg;
}

}  // namespace

TEST_CASE("services registry: empty and whitespace input count as {}") {
    auto reg = echo_registry();
    for (const char* in : {"", "  \n", "{}"}) {
        Result r = reg.call("test.echo", in);
        CHECK(r.status == OXIOS_OK);
        CHECK(r.body == "{}");
    }
    Result r = reg.call("test.echo", R"({"a":[1,"x"]})");
    CHECK(r.status == OXIOS_OK);
    CHECK(r.body == R"({"a":[1,"x"]})");
    CHECK(reg.has("test.echo"));
    CHECK_FALSE(reg.has("test.nope"));
}

TEST_CASE("services registry: malformed or non-object JSON is INVALID") {
    auto reg = echo_registry();
    for (const char* in : {"{", "[1,2]", "\"text\"", "42", "null", "{} {}", "{\"a\":}"}) {
        Result r = reg.call("test.echo", in);
        CHECK_MESSAGE(r.status == OXIOS_E_INVALID, in);
        CHECK(error_of(r).rfind("invalid JSON: ", 0) == 0);
    }
    Result nul = reg.call("test.echo", std::string_view("{}\0x", 4));
    CHECK(nul.status == OXIOS_E_INVALID);
}

TEST_CASE("services registry: deeply nested input does not exhaust the stack") {
    auto reg = echo_registry();
    std::string deep = "{\"a\":" + std::string(200000, '[') + std::string(200000, ']') + "}";
    Result r = reg.call("test.fail", deep);  // parsed, then the method runs
    CHECK(r.status == OXIOS_E_CONFLICT);
    Result bad = reg.call("test.echo", std::string(200000, '['));
    CHECK(bad.status == OXIOS_E_INVALID);
}

TEST_CASE("services registry: unknown method is UNSUPPORTED") {
    auto reg = echo_registry();
    Result r = reg.call("nope.method", "{}");
    CHECK(r.status == OXIOS_E_UNSUPPORTED);
    CHECK(error_of(r) == "unsupported method: nope.method");
}

TEST_CASE("services registry: exceptions become INTERNAL, ServiceError keeps its status") {
    auto reg = echo_registry();
    Result a = reg.call("test.throw", "");
    CHECK(a.status == OXIOS_E_INTERNAL);
    CHECK(error_of(a).find("boom") != std::string::npos);
    Result b = reg.call("test.throw_int", "");
    CHECK(b.status == OXIOS_E_INTERNAL);
    CHECK(error_of(b) == "internal error");
    Result c = reg.call("test.fail", "");
    CHECK(c.status == OXIOS_E_CONFLICT);
    CHECK(error_of(c) == "already \"there\"");
}

TEST_CASE("services registry: error_result escapes its message") {
    Result r = error_result(OXIOS_E_NOT_FOUND, "a \"quoted\"\n\\ message");
    CHECK(r.status == OXIOS_E_NOT_FOUND);
    CHECK(error_of(r) == "a \"quoted\"\n\\ message");
}

TEST_CASE("services registry: every catalogued long-tail method of these services is registered") {
    Fixture f;
    for (const char* m :
         {"workspace.tree",   "workspace.read",   "workspace.write", "seeds.list",     "seeds.get",
          "seeds.evolution",  "skills.list",      "skills.get",      "skills.content", "skills.create",
          "skills.delete",    "skills.enable",    "skills.disable",  "memory.list",    "memory.create",
          "memory.search",    "memory.semantic",  "memory.get",      "approvals.list", "approvals.approve",
          "approvals.reject", "approvals.request"})
        CHECK_MESSAGE(f.registry->has(m), m);
}

TEST_CASE("services registry: a wrongly typed argument is INVALID naming the field") {
    Fixture f;
    Result r = f.call("workspace.read", R"({"path":12})");
    CHECK(r.status == OXIOS_E_INVALID);
    CHECK(error_of(r) == "path must be a string");
    Result m = f.call("workspace.read", "{}");
    CHECK(m.status == OXIOS_E_INVALID);
    CHECK(error_of(m) == "path is required");
}
