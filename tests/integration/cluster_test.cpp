// scripts/cluster 3: PostgreSQL, three hosts and nginx. Chat load through
// nginx while a host is killed with SIGKILL: every acknowledged exchange is
// there afterwards, and an SSE client that reconnects through nginx with
// Last-Event-ID sees no gap and no repeat (R11 in miniature).
#include "host_process.hpp"
#include "sse_client.hpp"
#include "ws_client.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

using namespace oxios::test;
namespace fs = std::filesystem;

namespace {

struct Cluster {
    fs::path dir;
    int script = -1, lb_port = 0;
    std::vector<int> pids;  // hosts, then nginx

    explicit Cluster(int hosts) {
        std::string tmpl = (fs::temp_directory_path() / "oxios-cluster-test-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        dir = tmpl;
        const std::string ready = (dir / "ready").string();
        script = spawn({"/bin/bash", env_or("OXIOS_SOURCE_DIR") + "/scripts/cluster", std::to_string(hosts)},
                       dir / "out", dir / "err", {"OXIOS_CLUSTER_READY=" + ready});
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (std::chrono::steady_clock::now() < deadline) {
            std::istringstream in(read_file(ready));
            std::string url;
            if (in >> url) {
                lb_port = std::stoi(url.substr(url.rfind(':') + 1));
                for (int pid; in >> pid;) pids.push_back(pid);
                return;
            }
            int status;
            if (::waitpid(script, &status, WNOHANG) == script) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        throw std::runtime_error("scripts/cluster did not come up: " + read_file(dir / "err"));
    }
    ~Cluster() {
        ::kill(script, SIGINT);  // its trap stops hosts, nginx and PostgreSQL
        int status;
        ::waitpid(script, &status, 0);
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    httplib::Client client() const {
        httplib::Client c("127.0.0.1", lb_port);
        c.set_read_timeout(30);
        return c;
    }
};

}  // namespace

TEST_CASE("cluster: kill -9 of a host under chat load through nginx loses nothing acknowledged, SSE resumes exactly") {
    Cluster cluster(3);
    REQUIRE(cluster.pids.size() == 4);
    auto sse = std::make_unique<SseClient>(cluster.lb_port);
    REQUIRE(sse->status() == 200);

    std::mutex mutex;
    std::map<std::string, std::vector<std::string>> acked;  // session -> contents, acknowledged
    std::atomic<bool> stop{false};
    std::atomic<int> sent{0};
    std::vector<std::thread> load;
    for (int t = 0; t < 4; ++t)
        load.emplace_back([&, t] {
            auto c = cluster.client();
            const std::string session = "kill-" + std::to_string(t);
            for (int i = 0; !stop; ++i) {
                const std::string content = "m" + std::to_string(i);
                auto r = c.Post("/api/chat", R"({"content":")" + content + R"(","session_id":")" + session + "\"}",
                                "application/json");
                ++sent;
                if (r && r->status == 200) {
                    std::lock_guard lock(mutex);
                    acked[session].push_back(content);
                }
            }
        });
    auto wait_sent = [&](int n) {
        while (sent < n) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    };
    wait_sent(100);
    ::kill(cluster.pids[0], SIGKILL);
    wait_sent(sent + 200);
    stop = true;
    for (auto& th : load) th.join();

    auto c = cluster.client();
    size_t total = 0;
    for (const auto& [session, contents] : acked) {
        auto r = c.Get("/api/sessions/" + session);
        REQUIRE(r);
        REQUIRE(r->status == 200);
        rapidjson::Document d;
        d.Parse(r->body.c_str());
        std::vector<std::string> stored;
        for (const auto& m : d["user_messages"].GetArray()) stored.emplace_back(m["content"].GetString());
        // Every acknowledged message is stored (a failed one may be too).
        size_t at = 0;
        for (const auto& content : contents) {
            while (at < stored.size() && stored[at] != content) ++at;
            CHECK_MESSAGE(at < stored.size(), session << ": acknowledged " << content << " is missing");
        }
        total += contents.size();
    }
    MESSAGE(total << " acknowledged chats of " << sent.load() << " sent; host " << cluster.pids[0] << " killed");
    CHECK(total > 200);

    // The SSE client reads what it has; if its host was the killed one, it
    // reconnects through nginx from its last id.
    sse->poll_once(200);
    const uint64_t last = sse->last_id();
    REQUIRE(last > 0);
    SseClient again(cluster.lb_port, "/api/events", "Last-Event-ID: " + std::to_string(last) + "\r\n");
    REQUIRE(again.status() == 200);
    REQUIRE(c.Post("/api/chat", R"({"content":"after","session_id":"kill-after"})", "application/json")->status == 200);
    auto all = sse->messages();
    REQUIRE(again.wait(
        [&] {
            for (const auto& m : again.messages())
                if (m.data.find("kill-after") != std::string::npos) return true;
            return false;
        },
        std::chrono::seconds(10)));
    const size_t first_part = all.size();
    std::string again_ids;
    for (const auto& m : again.messages()) {
        if (again_ids.size() < 200) again_ids += std::to_string(m.id) + (m.event.empty() ? " " : "(" + m.event + ") ");
        all.push_back(m);
    }
    INFO("first connection: " << first_part << " messages, last id " << last << ", closed " << sse->closed()
                              << "; resumed: " << again_ids);
    uint64_t first = 0, end = 0;
    std::string why;
    CHECK_MESSAGE(consecutive(all, first, end, why), why);
}

// A browser sends its Origin on the WebSocket and the event stream; the hosts
// accept them only when it names the Host the browser used (nginx's).
TEST_CASE("cluster: a browser's WebSocket chat and event stream pass nginx with their Origin") {
    Cluster cluster(2);
    const std::string origin = "http://127.0.0.1:" + std::to_string(cluster.lb_port);
    WsClient ws(cluster.lb_port, "/api/chat/stream", {{"Origin", origin}});
    Watchdog dog(std::chrono::seconds(30));
    dog.watch(ws.fd());
    INFO("WebSocket answer: " << ws.response().result_int() << " " << ws.response().body());
    REQUIRE(ws.open());
    REQUIRE(ws.send(R"({"type":"message","content":"through nginx","session_id":"nginx-ws"})"));
    std::string frames, frame;
    while (frames.find(R"("type":"done")") == std::string::npos && !(frame = ws.read()).empty()) frames += frame;
    CHECK(frames.find(R"("content":"echo: through nginx")") != std::string::npos);
    CHECK(frames.find(R"("type":"done")") != std::string::npos);

    SseClient sse(cluster.lb_port, "/api/events", "Origin: " + origin + "\r\n");
    CHECK(sse.status() == 200);
    // Another site's page is still refused, through nginx as without it.
    WsClient evil(cluster.lb_port, "/api/chat/stream", {{"Origin", "http://evil.example"}});
    CHECK_FALSE(evil.open());
    auto refused = upgrade_request(cluster.client(), "/api/chat/stream", {{"Origin", "http://evil.example"}});
    REQUIRE(refused);
    CHECK(refused->status == 403);
    CHECK(refused->body == R"({"error":"origin not allowed"})");
}
