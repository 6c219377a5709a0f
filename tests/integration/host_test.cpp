// The real host over real HTTP on 127.0.0.1: start, the first routes through
// the ABI, bad configs, clean shutdown.
#include "host_process.hpp"
#include "json_answer.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <sys/resource.h>

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

using oxios::test::HostProcess;
using oxios::test::parse;

TEST_CASE("host serves /health, /health/ready and /api/status through the web plugin") {
    HostProcess host;
    auto c = host.client();

    auto health = c.Get("/health");
    REQUIRE(health);
    CHECK(health->status == 200);
    CHECK(health->get_header_value("Content-Type") == "application/json");
    auto h = parse(health->body);
    CHECK(std::string(h["status"].GetString()) == "ok");
    CHECK(std::string(h["version"].GetString()) == OXIOS_VERSION);

    auto ready = c.Get("/health/ready");
    REQUIRE(ready);
    CHECK(ready->status == 200);
    auto r = parse(ready->body);
    CHECK(std::string(r["status"].GetString()) == "healthy");
    CHECK(r["uptime_secs"].IsNumber());
    REQUIRE(r["components"].HasMember("plugins"));
    auto& plugins = r["components"]["plugins"];
    CHECK(plugins["reloads"].GetUint64() == 0);
    REQUIRE(plugins["loaded"].Size() == 1);
    CHECK(std::string(plugins["loaded"][0]["name"].GetString()) == "web");

    auto status = c.Get("/api/status");
    REQUIRE(status);
    CHECK(status->status == 200);
    auto s = parse(status->body);
    CHECK(std::string(s["service"].GetString()) == "oxios");
    CHECK(std::string(s["status"].GetString()) == "running");
    CHECK(std::string(s["uptime"].GetString()).find('s') != std::string::npos);
    CHECK(s["components"]["state_store"]["healthy"].GetBool());
}

TEST_CASE("unknown routes are JSON 404s and a wrong method is 405") {
    HostProcess host;
    auto c = host.client();
    auto r = c.Get("/api/does-not-exist");
    REQUIRE(r);
    CHECK(r->status == 404);
    CHECK(parse(r->body).HasMember("error"));
    auto m = c.Delete("/health");
    REQUIRE(m);
    CHECK(m->status == 405);
    CHECK(parse(m->body).HasMember("error"));
}

TEST_CASE("keep-alive: many requests on one connection") {
    HostProcess host;
    auto c = host.client();
    c.set_keep_alive(true);
    for (int i = 0; i < 200; ++i) {
        auto r = c.Get("/health");
        REQUIRE(r);
        REQUIRE(r->status == 200);
    }
}

TEST_CASE("a bad config is a clear error and exit code 2") {
    auto dir = std::filesystem::temp_directory_path() / "oxios-badcfg-test";
    std::filesystem::create_directories(dir);
    auto cfg = dir / "bad.json";
    std::string out;

    std::ofstream(cfg) << "{ not json";
    CHECK(oxios::test::run_host_once({"--config", cfg.string(), "--port", "0"}, &out) == 2);
    CHECK(out.find("config") != std::string::npos);

    std::ofstream(cfg, std::ios::trunc) << R"({"gateway":{"port":70000}})";
    CHECK(oxios::test::run_host_once({"--config", cfg.string(), "--port", "0"}, &out) == 2);
    CHECK(out.find("gateway.port") != std::string::npos);

    CHECK(oxios::test::run_host_once({"--config", (dir / "missing.json").string()}, &out) == 2);
    CHECK(out.find("not found") != std::string::npos);

    CHECK(oxios::test::run_host_once({"--port", "not-a-port"}, &out) == 2);
    std::filesystem::remove_all(dir);
}

TEST_CASE("SIGTERM drains and exits 0; SIGINT too") {
    for (int sig : {15, 2}) {
        HostProcess host;
        auto c = host.client();
        REQUIRE(c.Get("/health"));
        CHECK(host.stop(sig) == 0);
        CHECK(host.log().find("stopped") != std::string::npos);
    }
}

TEST_CASE("the host raises its open-file limit to the hard limit at start, and says so") {
    // Started with a low soft limit (inherited), as a shell's default 1,024 would be.
    rlimit mine{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &mine) == 0);
    rlimit low = mine;
    low.rlim_cur = std::min<rlim_t>(mine.rlim_max, 512);
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
    std::unique_ptr<HostProcess> host;
    try {
        host = std::make_unique<HostProcess>();
    } catch (...) {
        ::setrlimit(RLIMIT_NOFILE, &mine);
        throw;
    }
    ::setrlimit(RLIMIT_NOFILE, &mine);
    std::ifstream limits("/proc/" + std::to_string(host->pid()) + "/limits");
    std::string line, soft, hard;
    while (std::getline(limits, line))
        if (line.rfind("Max open files", 0) == 0) std::istringstream(line.substr(14)) >> soft >> hard;
    REQUIRE(!hard.empty());
    CHECK(soft == hard);
    CHECK(host->log().find("open-file limit " + soft + " (soft was " + std::to_string(low.rlim_cur)) !=
          std::string::npos);
}

TEST_CASE("encoded slashes stay inside their path segment: bad ids are 400, never another route") {
    HostProcess host;
    auto c = host.client();
    for (const char* target : {"/api/sessions/..%2f..%2fetc%2fpasswd", "/api/sessions/a%2Fb", "/api/spaces/..%2f.."}) {
        CAPTURE(target);
        auto r = c.Get(target);
        REQUIRE(r);
        CHECK(r->status == 400);
        CHECK(parse(r->body).HasMember("error"));
    }
    auto d = c.Delete("/api/sessions/..%2fconfig");
    REQUIRE(d);
    CHECK(d->status == 400);
}

TEST_CASE("HEAD is answered by the GET route, without a body") {
    HostProcess host;
    auto r = host.client().Head("/health");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body.empty());
}

TEST_CASE("kill -9 during a chat loop: every session file parses and every acknowledged exchange is on disk") {
    std::vector<std::pair<std::string, std::string>> acknowledged;  // (session id, content)
    std::filesystem::path workspace;
    const std::filesystem::path kept =
        std::filesystem::temp_directory_path() / ("oxios-kill9-" + std::to_string(::getpid()));
    std::filesystem::remove_all(kept);
    {
        HostProcess::Options options;
        options.config_json = R"({"security":{"rate_limit_per_minute":0}})";
        HostProcess host(options);
        workspace = host.workspace();
        std::atomic<bool> stop{false};
        std::mutex m;
        std::vector<std::thread> clients;
        for (int t = 0; t < 3; ++t) {
            clients.emplace_back([&, t] {
                auto c = host.client();
                const std::string session = "kill-" + std::to_string(t);
                for (int i = 0; !stop && i < 100000; ++i) {
                    const std::string content = "m" + std::to_string(t) + "-" + std::to_string(i);
                    auto r = c.Post("/api/chat", R"({"content":")" + content + R"(","session_id":")" + session + "\"}",
                                    "application/json");
                    if (!r) return;  // the host is gone
                    if (r->status == 200) {
                        std::lock_guard lock(m);
                        acknowledged.emplace_back(session, content);
                    }
                }
            });
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(700));
        host.stop(9);
        stop = true;
        for (auto& t : clients) t.join();
        // Keep the files: restart a host on the same workspace below.
        std::filesystem::copy(workspace, kept, std::filesystem::copy_options::recursive);
    }
    REQUIRE(acknowledged.size() > 0);
    // A new host on the same workspace serves every acknowledged exchange.
    HostProcess::Options options;
    options.extra_args = {"--workspace", kept.string()};
    HostProcess again(options);
    auto c = again.client();
    std::map<std::string, std::string> bodies;
    for (int t = 0; t < 3; ++t) {
        auto r = c.Get(("/api/sessions/kill-" + std::to_string(t)).c_str());
        REQUIRE(r);
        if (r->status == 200) {
            CHECK(parse(r->body).IsObject());
            bodies["kill-" + std::to_string(t)] = r->body;
        }
    }
    size_t missing = 0;
    for (auto& [session, content] : acknowledged)
        if (bodies[session].find("\"" + content + "\"") == std::string::npos) ++missing;
    CHECK(missing == 0);
    for (auto& entry : std::filesystem::directory_iterator(kept / "sessions")) {
        if (entry.path().extension() != ".json") continue;
        std::ifstream in(entry.path());
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        rapidjson::Document d;
        d.Parse(text.c_str());
        CHECK_FALSE(d.HasParseError());
    }
    MESSAGE(acknowledged.size() << " exchanges acknowledged before kill -9, " << missing << " missing after restart");
    std::filesystem::remove_all(kept);
}
