// Loading, refusals and unloading.
#include "common.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace harness_test;
using oxios::harness::MockHost;

namespace {

std::string temp_file(const std::string& name, const std::string& content) {
    const auto p = std::filesystem::temp_directory_path() / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
}

std::string refusal(MockHost& h, const std::string& path) {
    try {
        h.load(path);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "<loaded>";
}

bool mapped(const std::string& path) {
    std::ifstream maps("/proc/self/maps");
    std::stringstream ss;
    ss << maps.rdbuf();
    return ss.str().find(path) != std::string::npos;
}

struct EnvVar {
    std::string name;
    EnvVar(const char* n, const char* v) : name(n) { ::setenv(n, v, 1); }
    ~EnvVar() { ::unsetenv(name.c_str()); }
};

}  // namespace

TEST_CASE("the fixture plugin loads: name, version, routes") {
    MockHost h;
    CHECK_FALSE(h.loaded());
    h.load(plugin_path());
    CHECK(h.loaded());
    CHECK(h.plugin_name() == "harness-test");
    CHECK(h.plugin_version() == "1.0.0");
    const auto routes = h.routes();
    CHECK(std::find(routes.begin(), routes.end(), "GET /items/{id} plain") != routes.end());
    CHECK(std::find(routes.begin(), routes.end(), "GET /ws websocket") != routes.end());
    CHECK(std::find(routes.begin(), routes.end(), "GET /events sse") != routes.end());
    CHECK(h.get("/hello").status == 200);
    h.unload();
    CHECK_FALSE(h.loaded());
    CHECK(h.get("/hello").status == 503);
}

TEST_CASE("a missing file is refused with a reason; the harness stays usable") {
    MockHost h;
    const auto why = refusal(h, "/nonexistent/dir/plugin.so");
    CHECK(why.find("file not found") != std::string::npos);
    CHECK(why.find("/nonexistent/dir/plugin.so") != std::string::npos);
    CHECK_FALSE(h.loaded());
    h.load(plugin_path());
    CHECK(h.get("/hello").status == 200);
}

TEST_CASE("a non-ELF file is refused with a reason; the harness stays usable") {
    MockHost h;
    const auto path = temp_file("oxios-harness-not-elf.so", "this is not an ELF file\n");
    const auto why = refusal(h, path);
    CHECK(why.find("dlopen failed") != std::string::npos);
    CHECK_FALSE(h.loaded());
    h.load(plugin_path());
    CHECK(h.get("/hello").status == 200);
    std::remove(path.c_str());
}

TEST_CASE("a failed reload keeps the old instance serving") {
    Loaded l;
    const auto before = l.host.plugin_copy_path();
    const auto path = temp_file("oxios-harness-not-elf2.so",
                                "\x7f"
                                "ELF but truncated");
    CHECK_THROWS_AS(l.host.reload(path), std::runtime_error);
    CHECK(l.host.loaded());
    CHECK(l.host.plugin_copy_path() == before);
    CHECK(l.host.get("/hello").status == 200);
    std::remove(path.c_str());
}

TEST_CASE("start failing is a refusal") {
    MockHost h;
    EnvVar env("OXIOS_TEST_FAIL_START", "1");
    const auto why = refusal(h, plugin_path());
    CHECK(why.find("start failed: OXIOS_E_INTERNAL") != std::string::npos);
    CHECK_FALSE(h.loaded());
}

TEST_CASE("a duplicate method + pattern shape is a CONFLICT") {
    MockHost h;
    SUBCASE("the plugin fails its start on the conflict") {
        EnvVar env("OXIOS_TEST_DUP_ROUTE", "fail");
        const auto why = refusal(h, plugin_path());
        CHECK(why.find("OXIOS_E_CONFLICT") != std::string::npos);
        CHECK(why.find("/items/{other}") != std::string::npos);
    }
    SUBCASE("a plugin ignoring the conflict is refused anyway") {
        EnvVar env("OXIOS_TEST_DUP_ROUTE", "ignore");
        const auto why = refusal(h, plugin_path());
        CHECK(why.find("route rejected") != std::string::npos);
    }
    CHECK_FALSE(h.loaded());
}

TEST_CASE("route_add outside start is refused") {
    Loaded l;
    const auto d = parse(l.host.get("/late-route").body);
    CHECK(jint(d, "status") == OXIOS_E_INVALID);
    CHECK(l.host.get("/too-late").status == 404);
}

TEST_CASE("the plugin runs from a private copy that is unmapped and deleted on unload") {
    MockHost h;
    h.load(plugin_path());
    const auto copy = h.plugin_copy_path();
    REQUIRE(!copy.empty());
    CHECK(copy != plugin_path());
    CHECK(std::filesystem::exists(copy));
    CHECK(mapped(copy));
    h.reload(plugin_path());
    const auto copy2 = h.plugin_copy_path();
    CHECK(copy2 != copy);
    CHECK_FALSE(std::filesystem::exists(copy));
    CHECK_FALSE(mapped(copy));  // really unloaded (no GNU-unique symbols)
    h.unload();
    CHECK_FALSE(std::filesystem::exists(copy2));
    CHECK_FALSE(mapped(copy2));
}

TEST_CASE("many reloads in a row keep serving") {
    Loaded l;
    for (int i = 0; i < 20; ++i) {
        l.host.reload(plugin_path());
        REQUIRE(l.host.get("/hello").status == 200);
    }
}
