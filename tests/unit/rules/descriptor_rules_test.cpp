// Descriptor and function-table checks, route structs, step verdicts, the
// JSON error body and the oxios_str helpers (sdk/rules).
#include <oxios/rules/descriptor.hpp>
#include <oxios/rules/json_error.hpp>
#include <oxios/rules/oxios_str.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <string>

using oxios::rules::check_descriptor;

namespace {

oxios_status f_create(const oxios_host_api*, oxios_host*, void**) { return OXIOS_OK; }
oxios_status f_start(void*) { return OXIOS_OK; }
oxios_status f_handle(void*, void*, const oxios_request*, oxios_response*) { return OXIOS_OK; }
oxios_status f_stop(void*) { return OXIOS_OK; }
void f_destroy(void*) {}

struct Plugin {
    oxios_plugin_api api{};
    oxios_plugin_descriptor d{};
    Plugin() {
        api.size = sizeof api;
        api.create = f_create;
        api.start = f_start;
        api.handle = f_handle;
        api.stop = f_stop;
        api.destroy = f_destroy;
        d.size = sizeof d;
        d.abi_major = OXIOS_ABI_MAJOR;
        d.abi_minor = OXIOS_ABI_MINOR;
        d.name = oxios::rules::str("hello");
        d.version = oxios::rules::str("1.0.0");
        d.api = &api;
    }
    std::string verdict() const { return check_descriptor(&d).reason; }
};

}  // namespace

TEST_CASE("a complete descriptor passes") {
    Plugin p;
    CHECK(check_descriptor(&p.d).ok());
}

TEST_CASE("each refusal, in the order the checks run") {
    CHECK(check_descriptor(nullptr).reason == "the entry function returned no descriptor");
    Plugin p;
    p.d.size = 4;
    CHECK(p.verdict() == "descriptor too small (4 bytes)");
    p.d.size = 16;
    p.d.abi_major = 99;  // the major is read before the size is known to cover the rest
    CHECK(p.verdict() == "ABI major 99 does not match the host's " + std::to_string(OXIOS_ABI_MAJOR));
    p.d.abi_major = OXIOS_ABI_MAJOR;
    CHECK(p.verdict() ==
          "descriptor too small (16 bytes, need " + std::to_string(sizeof(oxios_plugin_descriptor)) + ")");
    p.d.size = sizeof p.d;
    p.d.api = nullptr;
    CHECK(p.verdict() == "the descriptor has no function table");
    p.d.api = &p.api;
    p.api.size = offsetof(oxios_plugin_api, stop);
    CHECK(p.verdict().rfind("function table too small (", 0) == 0);
    p.api.size = sizeof p.api;
    p.api.handle = nullptr;
    CHECK(p.verdict() == "the function table lacks handle");
    p.api.handle = f_handle;
    p.api.destroy = nullptr;
    CHECK(p.verdict() == "the function table lacks destroy");
}

TEST_CASE("a minor-0 function table (ending at destroy) is accepted; later entries are optional") {
    Plugin p;
    p.api.size = offsetof(oxios_plugin_api, destroy) + sizeof(p.api.destroy);
    p.d.abi_minor = 0;
    CHECK(check_descriptor(&p.d).ok());
    CHECK_FALSE(OXIOS_HAS(&p.api, oxios_plugin_api, stream_writable));
    p.d.abi_minor = OXIOS_ABI_MINOR + 5;  // a newer minor: its sizes tell what is there
    CHECK(check_descriptor(&p.d).ok());
}

TEST_CASE("plugin names: required, one URL segment's worth of safe characters") {
    Plugin p;
    p.d.name = {nullptr, 0};
    CHECK(p.verdict() == "the plugin has no name");
    p.d.name = {nullptr, 3};
    CHECK(p.verdict() == "the descriptor's name or version is a null view");
    p.d.name = oxios::rules::str("hello");
    p.d.version = {nullptr, 2};
    CHECK(p.verdict() == "the descriptor's name or version is a null view");
    p.d.version = {nullptr, 0};  // an empty version is allowed
    CHECK(check_descriptor(&p.d).ok());
    p.d.name = oxios::rules::str("a/b");
    CHECK(p.verdict().rfind("bad plugin name 'a/b'", 0) == 0);
    using oxios::rules::valid_plugin_name;
    CHECK(valid_plugin_name("web"));
    CHECK(valid_plugin_name("hello-plugin_2.x"));
    CHECK_FALSE(valid_plugin_name(""));
    CHECK_FALSE(valid_plugin_name(".hidden"));
    CHECK_FALSE(valid_plugin_name("two words"));
    CHECK_FALSE(valid_plugin_name("caf\xC3\xA9"));
    CHECK_FALSE(valid_plugin_name(std::string(65, 'a')));
    CHECK(valid_plugin_name(std::string(64, 'a')));
}

TEST_CASE("route structs: size, kind, views") {
    using oxios::rules::check_route;
    oxios_route r{};
    r.size = sizeof r;
    r.kind = OXIOS_ROUTE_SSE;
    r.method = oxios::rules::str("GET");
    r.pattern = oxios::rules::str("/x");
    CHECK(check_route(&r).empty());
    CHECK(check_route(nullptr) == "no route");
    r.kind = 7;
    CHECK(check_route(&r) == "unknown route kind 7");
    r.kind = OXIOS_ROUTE_PLAIN;
    r.pattern = {nullptr, 2};
    CHECK(check_route(&r) == "the route's method or pattern is a null view");
    r.size = offsetof(oxios_route, route_data);
    CHECK(check_route(&r).rfind("route struct too small", 0) == 0);
}

TEST_CASE("step verdicts") {
    using oxios::rules::step_failure;
    CHECK(step_failure("create", OXIOS_OK, "").empty());
    CHECK(step_failure("create", OXIOS_E_INTERNAL, "") == "create failed: OXIOS_E_INTERNAL");
    CHECK(step_failure("create", OXIOS_E_INTERNAL, "boom") == "create threw: boom");
    CHECK(step_failure("start", OXIOS_E_CONFLICT, "", "route conflict: x") ==
          "start failed: OXIOS_E_CONFLICT (route rejected: route conflict: x)");
    CHECK(step_failure("start", OXIOS_OK, "", "route conflict: x") == "route rejected: route conflict: x");
    CHECK(std::string(oxios::rules::status_name(OXIOS_E_ABI)) == "OXIOS_E_ABI");
    CHECK(std::string(oxios::rules::status_name(99)) == "unknown status");
    CHECK(oxios::rules::no_entry_reason() == "no entry symbol oxios_plugin_entry");
}

TEST_CASE("the JSON error body escapes what JSON needs, keeps UTF-8") {
    using oxios::rules::json_error;
    CHECK(json_error("not found") == R"({"error":"not found"})");
    CHECK(json_error("") == R"({"error":""})");
    CHECK(json_error("say \"hi\" \\ bye") == R"({"error":"say \"hi\" \\ bye"})");
    CHECK(json_error("a\nb\tc\r\b\f") == R"({"error":"a\nb\tc\r\b\f"})");
    CHECK(json_error(std::string("nul\0x\x1f", 6)) == R"({"error":"nul\u0000x\u001f"})");
    CHECK(json_error("caf\xC3\xA9 \xE2\x82\xAC") == "{\"error\":\"caf\xC3\xA9 \xE2\x82\xAC\"}");
    CHECK(json_error("</script>") == R"({"error":"</script>"})");
}

TEST_CASE("oxios_str helpers") {
    using oxios::rules::view;
    CHECK(view(oxios_str{nullptr, 5}).empty());
    CHECK(view(oxios::rules::str("abc")) == "abc");
    CHECK(oxios::rules::to_string(oxios_str{"abcdef", 3}) == "abc");
    CHECK(oxios::rules::well_formed(oxios_str{nullptr, 0}));
    CHECK_FALSE(oxios::rules::well_formed(oxios_str{nullptr, 1}));
}
