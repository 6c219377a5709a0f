// The cron service (docs/api-operator.md, "Cron jobs") with a fake clock and a fake
// gateway whose replies the test delivers: scheduled runs and their session
// exchange, overlap, max_concurrent, catch-up vs missed, persistence, a
// corrupt state file, shutdown, the enabled switch and the multi-host gate.
#include "services/cron_service.hpp"
#include "services/service_error.hpp"
#include "services/service_registry.hpp"
#include "services_test_support.hpp"
#include "store/file_record_store.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <thread>

using namespace oxios::kernel;
using services::CronService;
using services::CronSettings;
using services_test::Event;
using services_test::parse;
using services_test::slurp;
using services_test::spit;
using services_test::TempDir;

namespace {

constexpr int64_t kT0 = 1780000000;  // 2026-05-28T20:26:40Z, a multiple of 10 s

struct Submitted {
    ChatMessage msg;
    DeliverySink sink;
};

struct CronFixture {
    TempDir tmp;
    std::filesystem::path ws = tmp.path();
    std::atomic<int64_t> now{kT0 * 1'000'000};
    FileRecordStore records{ws, [this] { return now.load(); }, nullptr};
    std::mutex m;
    std::condition_variable cv;
    std::vector<Event> events;
    std::vector<Submitted> submitted;
    std::vector<std::string> appended;  // session ids
    CronSettings settings;
    bool busy = false, may_fire = true;
    std::shared_ptr<CronService> svc;

    CronFixture() { open(); }
    ~CronFixture() {
        if (svc) svc->stop();
    }

    CronService::Deps deps() {
        CronService::Deps d;
        d.records = &records;
        d.publish = [this](std::string_view type, std::string_view fields) {
            std::lock_guard lock(m);
            events.push_back({std::string(type), std::string(fields)});
            cv.notify_all();
            return static_cast<uint64_t>(events.size());
        };
        d.now_us = [this] { return now.load(); };
        d.settings = [this] {
            std::lock_guard lock(m);
            return settings;
        };
        d.submit = [this](ChatMessage msg, DeliverySink sink) {
            std::lock_guard lock(m);
            if (busy) return OXIOS_E_BUSY;
            submitted.push_back({std::move(msg), std::move(sink)});
            cv.notify_all();
            return OXIOS_OK;
        };
        d.append = [this](const oxios_exchange& ex) {
            std::lock_guard lock(m);
            appended.emplace_back(ex.session_id.ptr, ex.session_id.len);
            return OXIOS_OK;
        };
        d.may_fire = [this] {
            std::lock_guard lock(m);
            return may_fire;
        };
        return d;
    }

    // (Re)starts the service over the same store, as a host restart does.
    void open() {
        if (svc) svc->stop();
        svc = CronService::create(deps());
        svc->start();
    }

    void at(int64_t secs) {
        now = secs * 1'000'000;
        svc->wake();
    }

    template <class Pred>
    bool wait_for(Pred pred) {
        std::unique_lock lock(m);
        return cv.wait_for(lock, std::chrono::seconds(5), pred);
    }
    size_t count(std::string_view type) {
        size_t n = 0;
        for (const auto& e : events) n += e.type == type;
        return n;
    }
    bool wait_events(std::string_view type, size_t n) {
        return wait_for([&] { return count(type) >= n; });
    }
    bool wait_submitted(size_t n) {
        return wait_for([&] { return submitted.size() >= n; });
    }
    std::string last_fields(std::string_view type) {
        std::lock_guard lock(m);
        for (auto it = events.rbegin(); it != events.rend(); ++it)
            if (it->type == type) return it->fields;
        return "";
    }

    void reply(size_t i, std::string text, bool ok = true) {
        Delivery d;
        DeliverySink sink;
        {
            std::lock_guard lock(m);
            d.message = std::make_shared<ChatMessage>(submitted.at(i).msg);
            sink = submitted.at(i).sink;
        }
        d.kind = ok ? OXIOS_DELIVERY_REPLY : OXIOS_DELIVERY_ERROR;
        d.content = std::move(text);
        sink(d);
    }

    std::string create(const char* schedule, const char* name = "job") {
        return parse(svc->create_job(name, schedule, "say hi", true))["id"].GetString();
    }
    rapidjson::Document job(const std::string& id) { return parse(svc->get_json(id)); }
    bool wait_next_run(const std::string& id, const std::string& want) {
        for (int i = 0; i < 500; ++i) {
            const auto j = job(id);
            if (j["next_run"].IsString() && j["next_run"].GetString() == want) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
    }
};

}  // namespace

TEST_CASE("cron service: a scheduled run is a chat in session cron-<id>, recorded on the job") {
    CronFixture f;
    const std::string id = f.create("*/10 * * * * *");
    CHECK(std::string(f.job(id)["next_run"].GetString()) == "2026-05-28T20:26:50.000000Z");
    f.at(kT0 + 10);
    REQUIRE(f.wait_submitted(1));
    CHECK(f.submitted[0].msg.session_id == "cron-" + id);
    CHECK(f.submitted[0].msg.user_id == "cron");
    CHECK(f.submitted[0].msg.content == "say hi");
    CHECK(f.submitted[0].msg.no_space);
    CHECK(f.last_fields("cron_job_started").find("\"trigger\":\"schedule\"") != std::string::npos);
    CHECK(f.job(id)["running"].GetBool());
    f.now = (kT0 + 12) * 1'000'000;
    f.reply(0, "echo: say hi");
    const auto j = f.job(id);
    CHECK(j["run_count"].GetInt() == 1);
    CHECK(j["last_success"].GetBool());
    CHECK(std::string(j["last_result"].GetString()) == "echo: say hi");
    CHECK(j["last_duration_ms"].GetInt() == 2000);
    CHECK(std::string(j["last_run"].GetString()) == "2026-05-28T20:26:50.000000Z");
    CHECK(std::string(j["next_run"].GetString()) == "2026-05-28T20:27:00.000000Z");
    CHECK_FALSE(j["running"].GetBool());
    CHECK(f.appended == std::vector<std::string>{"cron-" + id});
    const std::string done = f.last_fields("cron_job_completed");
    CHECK(done.find("\"success\":true") != std::string::npos);
    CHECK(done.find("echo") == std::string::npos);  // never the result text
}

TEST_CASE("cron service: a fire time reached while the job runs is skipped; trigger -> 409") {
    CronFixture f;
    const std::string id = f.create("*/10 * * * * *");
    f.at(kT0 + 10);
    REQUIRE(f.wait_submitted(1));
    f.at(kT0 + 20);
    REQUIRE(f.wait_events("cron_job_skipped", 1));
    CHECK(f.last_fields("cron_job_skipped").find("\"reason\":\"still_running\"") != std::string::npos);
    CHECK(f.submitted.size() == 1);
    try {
        f.svc->trigger(id, false);
        FAIL("trigger of a running job was accepted");
    } catch (const services::ServiceError& e) {
        CHECK(e.status() == OXIOS_E_CONFLICT);
        CHECK(std::string(e.what()) == "cron job is already running");
    }
    f.reply(0, "late", false);
    CHECK_FALSE(f.job(id)["last_success"].GetBool());
    CHECK(std::string(f.job(id)["next_run"].GetString()) == "2026-05-28T20:27:10.000000Z");
}

TEST_CASE("cron service: at most max_concurrent runs; due jobs wait FIFO") {
    CronFixture f;
    f.settings.max_concurrent = 1;
    const std::string a = f.create("*/10 * * * * *", "a");
    const std::string b = f.create("*/10 * * * * *", "b");
    f.at(kT0 + 10);
    REQUIRE(f.wait_submitted(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK(f.submitted.size() == 1);
    CHECK(f.submitted[0].msg.session_id == "cron-" + a);
    f.reply(0, "ok");
    REQUIRE(f.wait_submitted(2));
    CHECK(f.submitted[1].msg.session_id == "cron-" + b);
    f.reply(1, "ok");
}

TEST_CASE("cron service: gateway busy fails the run at once") {
    CronFixture f;
    const std::string id = f.create("0 0 1 1 *");
    f.busy = true;
    try {
        f.svc->trigger(id, false);
        FAIL("accepted");
    } catch (const services::ServiceError& e) {
        CHECK(e.status() == OXIOS_E_BUSY);
        CHECK(std::string(e.what()) == "gateway busy");
    }
    CHECK(std::string(f.job(id)["last_result"].GetString()) == "gateway busy");
    CHECK(f.job(id)["run_count"].GetInt() == 1);
}

TEST_CASE("cron service: jobs persist in .oxios/cron.json and reload") {
    CronFixture f;
    const std::string id = f.create("*/10 * * * * *");
    f.svc->update_job(id, {std::string("renamed"), std::nullopt, std::nullopt, std::nullopt});
    const auto doc = parse(slurp(f.ws / ".oxios" / "cron.json"));
    CHECK(doc["version"].GetInt() == 1);
    CHECK(std::string(doc["jobs"][0]["name"].GetString()) == "renamed");
    CHECK_FALSE(doc["jobs"][0].HasMember("running"));
    f.open();
    const auto j = f.job(id);
    CHECK(std::string(j["name"].GetString()) == "renamed");
    CHECK(std::string(j["schedule"].GetString()) == "*/10 * * * * *");
    CHECK(std::string(j["session_id"].GetString()) == "cron-" + id);
}

TEST_CASE("cron service: a missed run within missed_grace_secs runs once at start, else is skipped") {
    CronFixture f;
    const std::string id = f.create("0 * * * * *");  // every minute
    f.svc->stop();
    SUBCASE("within grace: catch_up once") {
        f.now = (kT0 + 600) * 1'000'000;  // ten fire times missed
        f.open();
        REQUIRE(f.wait_submitted(1));
        CHECK(f.last_fields("cron_job_started").find("\"trigger\":\"catch_up\"") != std::string::npos);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        CHECK(f.submitted.size() == 1);
        CHECK(std::string(f.job(id)["next_run"].GetString()) == "2026-05-28T20:37:00.000000Z");
        f.reply(0, "ok");
    }
    SUBCASE("beyond grace: missed") {
        f.settings.missed_grace_secs = 30;
        f.now = (kT0 + 665) * 1'000'000;  // 20:37:45: the latest miss (20:37:00) was 45 s ago
        f.open();
        REQUIRE(f.wait_events("cron_job_skipped", 1));
        CHECK(f.last_fields("cron_job_skipped").find("\"reason\":\"missed\"") != std::string::npos);
        CHECK(f.submitted.empty());
    }
}

TEST_CASE("cron service: a corrupt cron.json is set aside and the service starts empty") {
    CronFixture f;
    f.svc->stop();
    spit(f.ws / ".oxios" / "cron.json", "{not json");
    f.open();
    CHECK(parse(f.svc->list_json())["jobs"].Size() == 0);
    bool set_aside = false;
    for (const auto& e : std::filesystem::directory_iterator(f.ws / ".oxios"))
        set_aside |= e.path().filename().string().rfind("cron.json.corrupt-", 0) == 0;
    CHECK(set_aside);
}

TEST_CASE("cron service: shutdown fails runs in flight (host stopping)") {
    CronFixture f;
    const std::string id = f.create("0 0 1 1 *");
    f.svc->trigger(id, false);
    REQUIRE(f.wait_submitted(1));
    f.svc->stop();
    f.reply(0, "too late");  // the gateway's own answer after the service stopped is ignored
    const auto doc = parse(slurp(f.ws / ".oxios" / "cron.json"));
    CHECK(std::string(doc["jobs"][0]["last_result"].GetString()) == "host stopping");
    CHECK_FALSE(doc["jobs"][0]["last_success"].GetBool());
}

TEST_CASE("cron service: cron.enabled=false or another host holding the gate: nothing fires; trigger works") {
    CronFixture f;
    SUBCASE("disabled") { f.settings.enabled = false; }
    SUBCASE("gate closed") { f.may_fire = false; }
    const std::string id = f.create("*/10 * * * * *");
    f.at(kT0 + 10);
    f.at(kT0 + 20);
    // The scheduler passes both fire times without running them.
    CHECK(f.wait_next_run(id, "2026-05-28T20:27:10.000000Z"));
    CHECK(f.submitted.empty());
    f.svc->trigger(id, false);
    REQUIRE(f.wait_submitted(1));
    f.reply(0, "ok");
}

TEST_CASE("cron service: disable clears next_run, enable computes it from now; trigger waits") {
    CronFixture f;
    const std::string id = f.create("*/10 * * * * *");
    f.svc->update_job(id, {std::nullopt, std::nullopt, std::nullopt, false});
    CHECK(f.job(id)["next_run"].IsNull());
    f.now = (kT0 + 95) * 1'000'000;
    f.svc->update_job(id, {std::nullopt, std::nullopt, std::nullopt, true});
    CHECK(std::string(f.job(id)["next_run"].GetString()) == "2026-05-28T20:28:20.000000Z");
    f.svc->update_job(id, {std::nullopt, std::nullopt, std::nullopt, false});
    std::optional<services::CronOutcome> got;
    std::thread waiter([&] { got = f.svc->trigger(id, true).outcome; });
    REQUIRE(f.wait_submitted(1));
    f.reply(0, "done");
    waiter.join();
    REQUIRE(got);
    CHECK(got->success);
    CHECK(got->summary == "done");
    CHECK(f.job(id)["next_run"].IsNull());  // trigger leaves next_run alone
}

TEST_CASE("cron service: delete during a run; the run finishes unrecorded") {
    CronFixture f;
    const std::string id = f.create("0 0 1 1 *");
    f.svc->trigger(id, false);
    REQUIRE(f.wait_submitted(1));
    f.svc->delete_job(id);
    f.reply(0, "ok");
    CHECK(parse(f.svc->list_json())["jobs"].Size() == 0);
    CHECK(f.count("cron_job_completed") == 0);
    CHECK(f.appended.size() == 1);  // its session keeps the exchange
}

TEST_CASE("cron methods: statuses and messages of bad arguments") {
    CronFixture f;
    ServiceRegistry reg;
    ServiceContext ctx;
    register_cron_service(reg, ctx, f.deps());
    CHECK(reg.call("cron.create", R"({"name":"n","schedule":"0 0 30 2 *","command":"c"})").body ==
          R"({"error":"schedule never fires"})");
    CHECK(reg.call("cron.create", R"({"name":"n","schedule":"@reboot","command":"c"})").status == OXIOS_E_INVALID);
    CHECK(reg.call("cron.create", R"({"name":"","schedule":"* * * * *","command":"c"})").status == OXIOS_E_INVALID);
    CHECK(reg.call("cron.create", "{\"name\":\"" + std::string(129, 'x') + R"(","schedule":"* * * * *","command":"c"})")
              .status == OXIOS_E_TOO_LARGE);
    const auto made = reg.call("cron.create", R"({"name":"n","schedule":" 0  9 * * * ","goal":"g"})");
    REQUIRE(made.status == OXIOS_OK);
    const auto job = parse(made.body);
    CHECK(std::string(job["command"].GetString()) == "g");
    CHECK(std::string(job["schedule"].GetString()) == "0 9 * * *");
    CHECK(reg.call("cron.get", R"({"id":"nope"})").body == R"({"error":"cron job not found"})");
    CHECK(reg.call("cron.delete", R"({"id":"nope"})").status == OXIOS_E_NOT_FOUND);
    f.settings.max_jobs = 1;
    CHECK(reg.call("cron.create", R"({"name":"n","schedule":"* * * * *","command":"c"})").body ==
          R"({"error":"too many cron jobs"})");
    reg.stop();
}
