// The Resources and Scheduler pages' calls over HTTP against the real host:
// samples with every figure a number, overload events on the SSE stream,
// and the gateway's real queue while a slow model turn is held.
#include "fake_openai.hpp"
#include "host_process.hpp"
#include "json_answer.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using oxios::test::HostProcess;
using oxios::test::parse;

namespace {

rapidjson::Document get_json(httplib::Client& c, const std::string& path, int status = 200) {
    auto r = c.Get(path.c_str());
    REQUIRE_MESSAGE(r, path);
    CHECK_MESSAGE(r->status == status, path << " -> " << r->status << " " << r->body);
    CHECK(r->get_header_value("Content-Type").rfind("application/json", 0) == 0);
    return parse(r->body);
}

void check_sample(const rapidjson::Value& s) {
    REQUIRE(s.IsObject());
    CHECK(s["timestamp"].IsString());
    for (const char* k :
         {"cpu_percent", "memory_percent", "disk_percent", "memory_used_mb", "memory_total_mb", "disk_used_gb",
          "disk_total_gb", "load_avg_1m", "active_agents", "pending_tasks", "total_token_usage"}) {
        CAPTURE(k);
        REQUIRE(s.HasMember(k));
        CHECK(s[k].IsNumber());
    }
    for (const char* k : {"cpu_percent", "memory_percent", "disk_percent"}) {
        CHECK(s[k].GetDouble() >= 0);
        CHECK(s[k].GetDouble() <= 100);
    }
    CHECK(s["memory_total_mb"].GetDouble() > 0);
    CHECK(s["disk_total_gb"].GetDouble() > 0);
}

// Reads the event stream live on a thread, from before the test acts.
class EventReader {
public:
    explicit EventReader(const HostProcess& host) : client_(host.client()) {
        thread_ = std::thread([this] {
            std::string buf;
            client_.Get(
                "/api/events", httplib::Headers{},
                [this](const httplib::Response& r) {
                    connected_ = r.status == 200;
                    return true;
                },
                [this, &buf](const char* data, size_t len) {
                    buf.append(data, len);
                    std::lock_guard lock(mutex_);
                    for (size_t nl; (nl = buf.find('\n')) != std::string::npos; buf.erase(0, nl + 1))
                        if (buf.rfind("data: ", 0) == 0) lines_.push_back(buf.substr(6, nl - 6));
                    return true;
                });
        });
    }
    ~EventReader() {
        client_.stop();
        thread_.join();
    }
    bool connected() const { return connected_; }
    std::vector<std::string> lines() {
        std::lock_guard lock(mutex_);
        return lines_;
    }

private:
    httplib::Client client_;
    std::atomic<bool> connected_{false};
    std::mutex mutex_;
    std::vector<std::string> lines_;
    std::thread thread_;
};

bool wait_until(const std::function<bool()>& cond) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (!cond()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

bool is_type(const std::string& line, const char* type) {
    return line.find(std::string("\"type\":\"") + type + "\"") != std::string::npos;
}

}  // namespace

TEST_CASE("resources over HTTP: samples, history, overload, and its transitions on the event stream") {
    HostProcess::Options o;
    // Only the disk can go over its threshold: the machine's load is no factor.
    o.config_json = R"({"resources":{"sample_interval_secs":1,"history_size":4,"overload_cpu_percent":100,)"
                    R"("overload_memory_percent":100,"overload_disk_percent":100,"overload_load_avg":1000000}})";
    HostProcess host(o);
    auto c = host.client();
    EventReader events(host);
    REQUIRE(wait_until([&] { return events.connected(); }));

    check_sample(get_json(c, "/api/resources"));
    auto h = get_json(c, "/api/resources/history?last_n=30");
    REQUIRE(h["snapshots"].Size() >= 1);
    CHECK(h["snapshots"].Size() <= 4);  // clamped to history_size
    CHECK(h["count"].GetUint() == h["snapshots"].Size());
    check_sample(h["snapshots"][h["snapshots"].Size() - 1]);
    CHECK(get_json(c, "/api/resources/history?last_n=1")["count"].GetUint() == 1);
    for (const char* bad : {"abc", "1e3", "%ff", "-"}) {
        auto e = get_json(c, std::string("/api/resources/history?last_n=") + bad, 400);
        CHECK(std::string(e["error"].GetString()).find("last_n") != std::string::npos);
    }
    auto r = c.Post("/api/resources", "{}", "application/json");
    REQUIRE(r);
    CHECK(r->status == 405);
    CHECK_FALSE(get_json(c, "/api/resources/overload")["overloaded"].GetBool());

    // Threshold 0: overloaded from the next sample on (within a second).
    auto count = [&](const char* type) {
        int n = 0;
        for (const auto& l : events.lines()) n += is_type(l, type) ? 1 : 0;
        return n;
    };
    auto put = c.Put("/api/config", R"({"resources":{"overload_disk_percent":0}})", "application/json");
    REQUIRE(put);
    REQUIRE(put->status == 200);
    auto o1 = get_json(c, "/api/resources/overload");
    CHECK(o1["overloaded"].GetBool());
    REQUIRE(o1["reasons"].Size() == 1);
    CHECK(std::string(o1["reasons"][0].GetString()).rfind("disk_percent ", 0) == 0);
    CHECK(o1["threshold"]["disk_percent"].GetDouble() == 0);
    CHECK(o1["threshold"]["load_avg"].GetDouble() == 1000000);
    check_sample(o1["current"]);
    REQUIRE(wait_until([&] { return count("resources_overloaded") == 1; }));

    put = c.Put("/api/config", R"({"resources":{"overload_disk_percent":100}})", "application/json");
    REQUIRE(put);
    REQUIRE(wait_until([&] { return count("resources_recovered") == 1; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // more samples: no more events
    CHECK(count("resources_overloaded") == 1);
    CHECK(count("resources_recovered") == 1);
    for (const auto& l : events.lines()) {
        if (!is_type(l, "resources_overloaded") && !is_type(l, "resources_recovered")) continue;
        auto d = parse(l);
        CHECK(d.MemberCount() == 8);  // id, timestamp, type and the five fields
        for (const char* k : {"cpu_percent", "memory_percent", "disk_percent", "load_avg_1m"}) CHECK(d[k].IsNumber());
        CHECK(d["reasons"].Size() == (is_type(l, "resources_overloaded") ? 1u : 0u));
    }

    // Bad config values are refused with the key's name.
    auto bad = c.Put("/api/config", R"({"resources":{"history_size":0}})", "application/json");
    REQUIRE(bad);
    CHECK(bad->status == 400);
    CHECK(bad->body.find("resources.history_size") != std::string::npos);
}

TEST_CASE("scheduler over HTTP: the real queue while a model turn is held, answered when saturated") {
    oxios::fake::FakeOpenAI fake;
    oxios::fake::Reply held;
    held.chunks = {oxios::fake::sse_delta("slow")};
    held.hang = true;  // no end of stream: open until the fake stops
    fake.set_default(held);
    HostProcess::Options o;
    o.config_json = R"({"security":{"rate_limit_per_minute":0},"gateway":{"max_concurrent":1,"queue_capacity":1},)"
                    R"("engine":{"default_model":"openai/fake","api_key":"k","max_retries":0,)"
                    R"("providers":{"openai":{"base_url":")" +
                    fake.base_url() + R"("}}}})";
    HostProcess host(o);

    std::vector<int> statuses(2, 0);
    std::vector<std::thread> chats;
    struct Cleanup {  // whatever happens, the held turn ends and the chats are joined
        oxios::fake::FakeOpenAI& fake;
        std::vector<std::thread>& chats;
        ~Cleanup() {
            fake.stop();
            for (auto& th : chats)
                if (th.joinable()) th.join();
        }
    } cleanup{fake, chats};
    auto chat = [&host, &statuses](int i, std::string body) {
        auto c = host.client();
        c.set_read_timeout(60, 0);
        auto r = c.Post("/api/chat", body, "application/json");
        statuses[static_cast<size_t>(i)] = r ? r->status : -1;
    };
    chats.emplace_back(chat, 0, R"({"content":"first\nquestion","session_id":"sched-1","user_id":"alice"})");
    auto c = host.client();
    REQUIRE_MESSAGE(wait_until([&] { return get_json(c, "/api/scheduler/stats")["running"].GetUint() == 1; }),
                    "chat status " << statuses[0] << "; host log:\n"
                                   << host.log());
    chats.emplace_back(chat, 1, R"({"content":"second"})");
    REQUIRE(wait_until([&] { return get_json(c, "/api/scheduler/stats")["queued"].GetUint() == 1; }));

    // Saturated: a third chat is refused, the scheduler still answers.
    auto refused = c.Post("/api/chat", R"({"content":"third"})", "application/json");
    REQUIRE(refused);
    CHECK(refused->status == 503);
    auto s = get_json(c, "/api/scheduler/stats");
    CHECK(s["queued"].GetUint() == 1);
    CHECK(s["running"].GetUint() == 1);
    CHECK(s["max_concurrent"].GetUint() == 1);
    CHECK(s["queue_capacity"].GetUint() == 1);
    CHECK(s["completed_total"].GetUint() == 0);

    auto t = get_json(c, "/api/scheduler/tasks");
    REQUIRE(t["running"].Size() == 1);
    REQUIRE(t["queued"].Size() == 1);
    const auto& run = t["running"][0];
    CHECK(std::string(run["status"].GetString()) == "running");
    CHECK(std::string(run["description"].GetString()) == "first question");
    CHECK(std::string(run["session_id"].GetString()) == "sched-1");
    CHECK(std::string(run["user_id"].GetString()) == "alice");
    CHECK(run["agent_id"].IsString());
    CHECK(run["started_at"].IsString());
    const auto& q = t["queued"][0];
    CHECK(std::string(q["status"].GetString()) == "queued");
    CHECK(std::string(q["priority"].GetString()) == "normal");
    CHECK(q["started_at"].IsNull());
    CHECK(q["agent_id"].IsNull());
    CHECK(q["session_id"].IsNull());
    CHECK(q["error"].IsNull());
    CHECK(get_json(c, "/api/resources")["pending_tasks"].GetUint() <= 1);

    fake.stop();  // the held turn ends, the queued one fails to connect
    for (auto& th : chats) th.join();
    INFO("chat statuses " << statuses[0] << " " << statuses[1]);
    CHECK(statuses[0] > 0);
    CHECK(statuses[1] > 0);
    // The HTTP answer may leave before the gateway files the task as done.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
        s = get_json(c, "/api/scheduler/stats");
        t = get_json(c, "/api/scheduler/tasks");
        const bool settled =
            s["completed_total"].GetUint() + s["failed_total"].GetUint() == 2 && t["running"].Size() == 0;
        if (settled || std::chrono::steady_clock::now() > until) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK(s["completed_total"].GetUint() + s["failed_total"].GetUint() == 2);  // the 503 was never admitted
    CHECK(t["queued"].Size() == 0);
    CHECK(t["running"].Size() == 0);
}
