// oxios-host on the PostgreSQL state store: two hosts on one database, an
// outage under requests, and the start check. A throwaway server per case.
#include "host_process.hpp"
#include "json_answer.hpp"
#include "sse_client.hpp"
#include "support/pg_server.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <fstream>
#include <thread>

using namespace oxios::test;

namespace {

HostProcess::Options on_postgres(const std::string& url) {
    HostProcess::Options o;
    o.config_json = R"({"state_store":{"backend":"postgres"}})";
    o.env = {"OXIOS_PG_URL=" + url};
    return o;
}

httplib::Result chat(const HostProcess& host, const std::string& session, const std::string& text) {
    return host.client().Post("/api/chat", R"({"content":")" + text + R"(","session_id":")" + session + "\"}",
                              "application/json");
}

}  // namespace

TEST_CASE("postgres: a chat on host A is listed and readable on host B") {
    PgServer server;
    const std::string url = server.fresh_database();
    HostProcess a(on_postgres(url)), b(on_postgres(url));
    auto r = chat(a, "shared-1", "hello from A");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    auto list = b.client().Get("/api/sessions");
    REQUIRE(list);
    CHECK(list->status == 200);
    CHECK(list->body.find("shared-1") != std::string::npos);
    auto got = b.client().Get("/api/sessions/shared-1");
    REQUIRE(got);
    REQUIRE(got->status == 200);
    auto doc = parse(got->body);
    REQUIRE(doc["user_messages"].Size() == 1);
    CHECK(doc["user_messages"][0]["content"].GetString() == std::string("hello from A"));
    // Nothing of the sessions went to the workspace's files.
    CHECK_FALSE(std::filesystem::exists(a.workspace() / "sessions" / "shared-1.json"));
    auto ready = b.client().Get("/health/ready");
    REQUIRE(ready);
    CHECK(ready->status == 200);
    CHECK(ready->body.find("postgres") != std::string::npos);
}

TEST_CASE("postgres: during an outage requests get a JSON 503 at once, and chats work again after") {
    PgServer server;
    HostProcess host(on_postgres(server.fresh_database()));
    REQUIRE(chat(host, "o", "before")->status == 200);
    server.stop();
    for (int i = 0; i < 3; ++i) {
        auto r = chat(host, "o", "during");
        REQUIRE(r);
        CHECK(r->status == 503);
        CHECK(parse(r->body)["error"].GetString() == std::string("state store unavailable"));
    }
    auto list = host.client().Get("/api/sessions");
    REQUIRE(list);
    CHECK(list->status == 503);
    CHECK(parse(list->body)["error"].GetString() == std::string("state store unavailable"));
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // the health figure is cached for 1 s
    auto ready = host.client().Get("/health/ready");
    REQUIRE(ready);
    CHECK(ready->status == 503);
    CHECK(ready->body.find("unavailable") != std::string::npos);

    server.start();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        auto r = chat(host, "o", "after");
        status = r ? r->status : 0;
        if (status == 200) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(status == 200);
    auto doc = parse(host.client().Get("/api/sessions/o")->body);
    REQUIRE(doc["user_messages"].Size() == 2);
    CHECK(doc["user_messages"][1]["content"].GetString() == std::string("after"));
}

TEST_CASE("postgres: a host started with an unreachable URL exits 2 naming it, never the password") {
    char tmpl[] = "/tmp/oxios-pgcfg-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    const std::string config = std::string(tmpl) + "/config.json";
    std::ofstream(config) << R"({"state_store":{"backend":"postgres","postgres":{"url":)"
                             R"("postgresql://oxios:s3cret@127.0.0.1:1/oxios?connect_timeout=2"}}})";
    std::string out;
    const int code = run_host_once({"--config", config, "--workspace", std::string(tmpl) + "/ws", "--port", "0"}, &out);
    CHECK(code == 2);
    CHECK(out.find("cannot connect to PostgreSQL at host=127.0.0.1 port=1 dbname=oxios user=oxios") !=
          std::string::npos);
    CHECK(out.find("s3cret") == std::string::npos);

    // Postgres chosen without a URL: said so, exit 2.
    std::ofstream(config) << R"({"state_store":{"backend":"postgres"}})";
    CHECK(run_host_once({"--config", config, "--workspace", std::string(tmpl) + "/ws", "--port", "0"}, &out) == 2);
    CHECK(out.find("state_store.postgres.url") != std::string::npos);
    std::filesystem::remove_all(tmpl);
}

TEST_CASE("postgres: an SSE client on host B gets A's chat events with consecutive ids, and resumes on A exactly") {
    PgServer server;
    const std::string url = server.fresh_database();
    auto options = on_postgres(url);
    options.config_json = R"({"state_store":{"backend":"postgres"},"security":{"rate_limit_per_minute":0}})";
    HostProcess a(options), b(options);
    SseClient on_b(b.port());
    REQUIRE(on_b.status() == 200);
    for (int i = 0; i < 10; ++i) REQUIRE(chat(a, "x-" + std::to_string(i), "m")->status == 200);
    auto received = [&](SseClient& s) {
        int n = 0;
        for (const auto& m : s.messages()) n += m.data.find("\"message_received\"") != std::string::npos ? 1 : 0;
        return n;
    };
    REQUIRE(on_b.wait([&] { return received(on_b) == 10; }, std::chrono::seconds(10)));
    uint64_t first = 0, last = 0;
    std::string why;
    CHECK_MESSAGE(consecutive(on_b.messages(), first, last, why), why);
    // The client moves to host A with the id it saw half way: the rest, exactly.
    const uint64_t middle = on_b.messages()[on_b.messages().size() / 2].id;
    SseClient on_a(a.port(), "/api/events", "Last-Event-ID: " + std::to_string(middle) + "\r\n");
    REQUIRE(on_a.status() == 200);
    REQUIRE(on_a.wait([&] { return on_a.last_id() >= last; }, std::chrono::seconds(10)));
    std::string ids;
    for (const auto& m : on_a.messages())
        ids += std::to_string(m.id) + (m.event.empty() ? "" : "(" + m.event + ")") + " ";
    CHECK_MESSAGE(on_a.messages().front().id == middle + 1, "on A after " << middle << ": " << ids);
    CHECK_MESSAGE(consecutive(on_a.messages(), first, last, why), why);
    for (const auto& m : on_a.messages()) CHECK(m.event != "resync");
}

TEST_CASE("postgres: spaces one host creates or activates are listed so on the other, without a restart") {
    PgServer server;
    const std::string url = server.fresh_database();
    HostProcess a(on_postgres(url)), b(on_postgres(url));
    auto space_state = [](const HostProcess& h, const std::string& id) -> std::string {
        auto r = h.client().Get("/api/spaces");
        if (!r || r->status != 200) return "error";
        auto doc = parse(r->body);
        for (const auto& s : doc["items"].GetArray())
            if (s["id"].GetString() == id) return s["active"].GetBool() ? "active" : "listed";
        return "absent";
    };
    auto in_space = [&](const HostProcess& h, const char* space) {
        return h.client().Post("/api/chat", std::string(R"({"content":"hi","space_id":")") + space + "\"}",
                               "application/json");
    };
    REQUIRE(in_space(a, "alpha")->status == 200);
    REQUIRE(in_space(b, "beta")->status == 200);
    auto until = [](const std::function<bool()>& cond) {
        for (int i = 0; i < 100 && !cond(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        return cond();
    };
    CHECK(until([&] { return space_state(b, "alpha") == "listed"; }));
    CHECK(until([&] { return space_state(a, "beta") == "listed"; }));
    REQUIRE(a.client().Post("/api/spaces/alpha/activate", "", "application/json")->status == 200);
    CHECK(until([&] { return space_state(b, "alpha") == "active"; }));
    REQUIRE(b.client().Post("/api/spaces/beta/activate", "", "application/json")->status == 200);
    // B saw A's activation before its own: one active space in the cluster, on both hosts.
    CHECK(until([&] { return space_state(a, "beta") == "active" && space_state(a, "alpha") == "listed"; }));
    CHECK(space_state(b, "alpha") == "listed");
}

TEST_CASE("postgres: a note written through one host is found by the other's search and backlinks") {
    PgServer server;
    const std::string url = server.fresh_database();
    HostProcess a(on_postgres(url));
    auto shared = on_postgres(url);
    shared.pass_workspace = false;
    shared.extra_args = {"--workspace", a.workspace().string()};
    HostProcess b(shared);
    auto found_on_b = [&](const char* query) {
        auto r =
            b.client().Post("/api/knowledge/search", std::string(R"({"query":")") + query + "\"}", "application/json");
        return r && r->status == 200 ? parse(r->body)["count"].GetInt() : -1;
    };
    auto until = [](const std::function<bool()>& cond) {
        for (int i = 0; i < 100 && !cond(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        return cond();
    };
    REQUIRE(found_on_b("zucchini") == 0);
    REQUIRE(a.client().Put("/api/knowledge/file/Garden.md", "zucchini and [[Beans]]", "text/markdown")->status == 204);
    CHECK(until([&] { return found_on_b("zucchini") == 1; }));
    auto back = b.client().Get("/api/knowledge/backlinks?path=Beans.md");
    REQUIRE(back);
    CHECK(parse(back->body).Size() == 1);
    REQUIRE(a.client().Delete("/api/knowledge/file/Garden.md")->status == 204);
    CHECK(until([&] { return found_on_b("zucchini") == 0; }));
}
