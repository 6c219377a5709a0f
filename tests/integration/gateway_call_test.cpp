// The ABI's gateway_call through the real host (abi/oxios_plugin.h): a
// caller's own timeout_ms gives OXIOS_E_TIMEOUT on time, without a delivery,
// whichever way the host serves the message.
#include "host_process.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

using oxios::test::env_or;
using oxios::test::HostProcess;

TEST_CASE("gateway_call on the real host: the caller's timeout_ms holds against a silent engine; fn not called") {
    // An "engine" that accepts the TCP connection (backlog) and never answers.
    int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(lfd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(lfd, 16) == 0);
    socklen_t len = sizeof a;
    ::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
    const int hang_port = ntohs(a.sin_port);

    HostProcess::Options o;
    o.copy_web_plugin = false;
    o.config_json = R"({"gateway":{"reply_timeout_secs":5},"engine":{"default_model":"ollama/hang","max_retries":0,)"
                    R"("providers":{"ollama":{"base_url":"http://127.0.0.1:)" +
                    std::to_string(hang_port) + R"(/v1"}}}})";
    HostProcess host(o);
    host.install_plugin(env_or("OXIOS_BUILD_DIR") + "/test-plugins/harness_test_plugin.so", "echo.so");
    auto c = host.client();
    bool up = false;
    for (int i = 0; i < 500 && !up; ++i) {
        auto r = c.Get("/now");
        up = r && r->status == 200;
        if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    REQUIRE(up);

    const auto t0 = std::chrono::steady_clock::now();
    auto r = c.Post("/chat/sync?timeout=300", R"({"content":"hello"})", "application/json");
    const auto took = std::chrono::steady_clock::now() - t0;
    REQUIRE(r);
    rapidjson::Document d;
    d.Parse(r->body.c_str());
    REQUIRE(d.IsObject());
    INFO("body: " << r->body << " took ms: " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count());
    CHECK(d["status"].GetInt() == 5 /* OXIOS_E_TIMEOUT */);
    CHECK(d["kind"].GetUint() == 0);  // fn not called on a timeout
    CHECK(took < std::chrono::milliseconds(2000));
    ::close(lfd);
}
