// Hot reload of the web plugin under a continuous client load: no request
// fails, the new version answers, the old copy is unmapped.
#include "host_process.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

using oxios::test::env_or;
using oxios::test::HostProcess;

namespace {

uint64_t ready_field(const HostProcess& host, const char* field) {
    auto r = host.client().Get("/health/ready");
    REQUIRE(r);
    rapidjson::Document d;
    d.Parse(r->body.c_str());
    REQUIRE(d.IsObject());
    return d["components"]["plugins"][field].GetUint64();
}

size_t mapped_copies(int pid, const std::string& needle) {
    std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
    std::string line;
    std::set<std::string> files;
    while (std::getline(maps, line)) {
        auto at = line.find('/');
        if (at != std::string::npos && line.find(needle) != std::string::npos) files.insert(line.substr(at));
    }
    return files.size();
}

}  // namespace

TEST_CASE("replacing web_plugin.so under load: zero failed requests, new version answers") {
    HostProcess::Options options;
    options.config_json = R"({"security":{"rate_limit_per_minute":0}})";
    HostProcess host(options);
    std::atomic<bool> stop{false};
    std::atomic<long> ok{0}, failed{0};
    std::vector<std::thread> clients;
    // However the case ends: a failed REQUIRE throws, and joinable threads
    // would terminate the whole suite instead of reporting the failure.
    struct JoinClients {
        std::atomic<bool>& stop;
        std::vector<std::thread>& threads;
        ~JoinClients() {
            stop = true;
            for (auto& t : threads)
                if (t.joinable()) t.join();
        }
    } join_clients{stop, clients};
    for (int t = 0; t < 3; ++t) {
        clients.emplace_back([&, t] {
            auto c = host.client();
            c.set_keep_alive(t != 0);  // one client opens a new connection per request
            while (!stop) {
                auto r = c.Get(t == 2 ? "/api/status" : "/health");
                if (r && r->status == 200) {
                    ++ok;
                } else {
                    if (++failed <= 3)
                        MESSAGE("client "
                                << t << ": "
                                << (r ? std::to_string(r->status) + " " + r->body : httplib::to_string(r.error())));
                }
            }
        });
    }
    const std::string next = env_or("OXIOS_PLUGIN_NEXT"), first = env_or("OXIOS_PLUGIN");
    std::vector<double> reload_ms;
    for (int i = 0; i < 6; ++i) {
        bool to_next = i % 2 == 0;
        auto t0 = std::chrono::steady_clock::now();
        host.install_plugin(to_next ? next : first);
        INFO("host stderr:\n" << host.log());
        REQUIRE(host.wait_for_version(to_next ? OXIOS_VERSION "-next" : OXIOS_VERSION));
        reload_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    stop = true;
    for (auto& t : clients) t.join();
    CHECK(failed.load() == 0);
    CHECK(ok.load() > 100);
    CHECK(ready_field(host, "reloads") == 6);
    CHECK(ready_field(host, "failed_reloads") == 0);
    std::sort(reload_ms.begin(), reload_ms.end());
    MESSAGE("reload (file replaced -> new version answering) median ms: " << reload_ms[reload_ms.size() / 2]);
    // Only the current private copy stays mapped: old copies were unloaded
    // (the last one may still be draining for a moment).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (mapped_copies(host.pid(), "oxios-host-") != 1 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(mapped_copies(host.pid(), "oxios-host-") == 1);
}

TEST_CASE("SIGHUP reloads the plugins") {
    HostProcess host;
    CHECK(ready_field(host, "reloads") == 0);
    ::kill(host.pid(), SIGHUP);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (ready_field(host, "reloads") < 1 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(ready_field(host, "reloads") == 1);
    CHECK(host.client().Get("/health")->status == 200);
}

TEST_CASE("POST /admin/plugins/{name}/reload reloads from loopback; unknown plugin is 404") {
    HostProcess host;
    auto c = host.client();
    host.install_plugin(env_or("OXIOS_PLUGIN_NEXT"), "web_plugin.so");
    REQUIRE(host.wait_for_version(OXIOS_VERSION "-next"));
    auto r = c.Post("/admin/plugins/web/reload", "", "application/json");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body.find("\"status\":\"reloaded\"") != std::string::npos);
    CHECK(ready_field(host, "reloads") == 2);
    auto missing = c.Post("/admin/plugins/nope/reload", "", "application/json");
    REQUIRE(missing);
    CHECK(missing->status == 404);
    auto get = c.Get("/admin/plugins/web/reload");
    REQUIRE(get);
    CHECK(get->status == 405);
}
