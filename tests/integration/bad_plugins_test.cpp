// Bad plugins dropped into the plugin directory: each is refused and logged,
// counted in /health/ready, and the web plugin keeps answering.
#include "host_process.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <atomic>
#include <thread>

using oxios::test::env_or;
using oxios::test::HostProcess;

namespace {

rapidjson::Document ready(const HostProcess& host) {
    auto r = host.client().Get("/health/ready");
    REQUIRE(r);
    rapidjson::Document d;
    d.Parse(r->body.c_str());
    REQUIRE(d.IsObject());
    return d;
}

uint64_t failed_count(const HostProcess& host) {
    return ready(host)["components"]["plugins"]["failed_reloads"].GetUint64();
}

bool wait_failed(const HostProcess& host, uint64_t at_least) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        if (failed_count(host) >= at_least) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

std::string fixture(const std::string& name) { return env_or("OXIOS_FIXTURES") + "/" + name + ".so"; }

// Until a fixture is loaded, a GET of its route is a client route of the
// web UI bundled into the web plugin (index.html, 200): not its answer.
bool from_fixture(const httplib::Result& r) {
    return r && r->status != 404 && r->get_header_value("Content-Type").rfind("text/html", 0) != 0;
}

}  // namespace

TEST_CASE("every bad plugin is refused, logged and counted; the web plugin keeps serving") {
    HostProcess host;
    std::atomic<bool> stop{false};
    std::atomic<long> failed{0}, ok{0};
    std::thread client([&] {
        auto c = host.client();
        while (!stop) {
            auto r = c.Get("/health");
            (r && r->status == 200 ? ok : failed)++;
        }
    });
    struct Case {
        const char* file;
        const char* install_as;  // also as the web plugin's own file name
        const char* reason;
    };
    const Case cases[] = {
        {"not_elf", "not_elf.so", "cannot load"},
        {"truncated", "truncated.so", "cannot load"},
        {"no_entry", "no_entry.so", "no entry symbol"},
        {"null_entry", "null_entry.so", "no descriptor"},
        {"abi_major", "abi_major.so", "ABI major 99"},
        {"small_descriptor", "small_descriptor.so", "descriptor too small"},
        {"create_fails", "create_fails.so", "create failed"},
        {"create_throws", "create_throws.so", "create threw"},
        {"start_fails", "start_fails.so", "start failed"},
        {"duplicate_route", "duplicate_route.so", "conflict"},
        // A broken build replacing the web plugin's own file: the old one stays.
        {"abi_major", "web_plugin.so", "ABI major 99"},
        {"not_elf", "web_plugin.so", "cannot load"},
    };
    uint64_t expected = 0;
    for (auto& c : cases) {
        CAPTURE(c.file);
        CAPTURE(c.install_as);
        host.install_plugin(fixture(c.file), c.install_as);
        ++expected;
        REQUIRE(wait_failed(host, expected));
        CHECK(host.log().find(c.reason) != std::string::npos);
        auto d = ready(host);
        CHECK(std::string(d["components"]["plugins"]["last_error"].GetString()).find(c.reason) != std::string::npos);
        auto h = host.client().Get("/health");
        REQUIRE(h);
        CHECK(h->status == 200);
    }
    stop = true;
    client.join();
    CHECK(failed.load() == 0);
    CHECK(ok.load() > 0);
    // The web plugin is still the one loaded, at its version.
    CHECK(host.wait_for_version(OXIOS_VERSION));
}

TEST_CASE("a handler that throws answers 500 and the host survives") {
    HostProcess host;
    host.install_plugin(fixture("handler_throws"), "handler_throws.so");
    auto c = host.client();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    std::string body;
    while (std::chrono::steady_clock::now() < deadline) {
        auto r = c.Get("/fixture/handler_throws");
        if (from_fixture(r)) {
            status = r->status;
            body = r->body;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK(status == 500);
    CHECK(body.find("error") != std::string::npos);
    CHECK(c.Get("/health")->status == 200);
}

TEST_CASE("a plugin whose stop hangs is left loaded after its deadline; the new one serves") {
    HostProcess host;
    host.install_plugin(fixture("stop_hangs"), "stop_hangs.so");
    auto c = host.client();
    auto wait_route = [&] {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            auto r = c.Get("/fixture/stop_hangs");
            if (from_fixture(r) && r->status == 200) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    };
    REQUIRE(wait_route());
    host.install_plugin(fixture("stop_hangs"), "stop_hangs.so");  // reload: the old stop hangs
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (host.log().find("stop did not return") == std::string::npos && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK(host.log().find("stop did not return") != std::string::npos);
    CHECK(wait_route());
    CHECK(c.Get("/health")->status == 200);
}
