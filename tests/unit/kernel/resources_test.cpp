// The resources sampler (docs/api-operator.md, "Resources"): /proc parsing from fixture files
// (tests/fixtures/proc), CPU percentage from two samples, overload
// transitions, history, and the resources.* methods.
#include "config/config.hpp"
#include "services/proc_stats.hpp"
#include "services/resource_sampler.hpp"
#include "services/service_registry.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <mutex>
#include <vector>

using namespace oxios::kernel;
using namespace oxios::kernel::services;
using oxios::kernel::test::TempDir;
namespace fs = std::filesystem;

namespace {

fs::path fixtures() {
    const char* dir = std::getenv("OXIOS_PROC_FIXTURES");
    REQUIRE_MESSAGE(dir != nullptr, "OXIOS_PROC_FIXTURES is not set (run through ctest)");
    return dir;
}

std::string fixture(const std::string& moment, const std::string& name) {
    return *proc::read((fixtures() / moment).string(), name);
}

// A /proc root whose files a test replaces between samples.
struct ProcRoot {
    TempDir dir;
    void set(const std::string& name, const std::string& moment) {
        fs::copy_file(fixtures() / moment / name, dir.path() / name, fs::copy_options::overwrite_existing);
    }
    void moment(const std::string& m) {
        for (const char* name : {"stat", "meminfo", "loadavg"}) set(name, m);
    }
};

struct Events {
    std::mutex m;
    std::vector<std::pair<std::string, std::string>> all;
    std::function<void(std::string_view, std::string_view)> sink() {
        return [this](std::string_view type, std::string_view fields) {
            std::lock_guard lock(m);
            all.emplace_back(std::string(type), std::string(fields));
        };
    }
};

// Only memory can overload: the other thresholds are out of reach.
ResourceSettings memory_only(double memory_percent) {
    ResourceSettings s;
    s.overload_cpu_percent = 100;
    s.overload_disk_percent = 100;
    s.overload_load_avg = 1e9;
    s.overload_memory_percent = memory_percent;
    return s;
}

}  // namespace

TEST_CASE("resources: /proc fixture files parse to the figures they hold") {
    const auto t0 = proc::parse_stat(fixture("t0", "stat"));
    REQUIRE(t0);
    CHECK(t0->total == 10000 + 500 + 3000 + 80000 + 1000 + 200 + 300);  // guest not counted twice
    CHECK(t0->idle == 80000);
    CHECK(t0->iowait == 1000);
    const auto t1 = proc::parse_stat(fixture("t1", "stat"));
    REQUIRE(t1);
    // 10,200 jiffies passed, 2,000 idle and 500 iowait.
    CHECK(proc::cpu_percent(*t0, *t1) == doctest::Approx(100.0 * 7700 / 10200));
    CHECK(proc::cpu_percent(*t1, *t1) == 0);  // no time passed
    CHECK(proc::cpu_percent(*t1, *t0) == 0);  // counters went back (not a real case): no garbage

    const auto mem = proc::parse_meminfo(fixture("t0", "meminfo"));
    REQUIRE(mem);
    CHECK(mem->total == uint64_t{16384000} * 1024);
    CHECK(mem->available == uint64_t{4096000} * 1024);
    CHECK(proc::parse_loadavg(fixture("t0", "loadavg")) == doctest::Approx(1.25));

    CHECK_FALSE(proc::parse_stat("intr 1 2 3\n"));
    CHECK_FALSE(proc::parse_stat("cpu  a b c d\n"));
    CHECK_FALSE(proc::parse_meminfo("MemTotal: 100 kB\n"));  // no MemAvailable
    CHECK_FALSE(proc::parse_loadavg("garbage"));
    CHECK_FALSE(proc::parse_loadavg(""));

    const auto disk = proc::disk_usage("/");
    REQUIRE(disk);
    CHECK(disk->size >= disk->used);
    CHECK(disk->percent() >= 0);
    CHECK(disk->percent() <= 100);
    CHECK_FALSE(proc::disk_usage("/no/such/directory"));
}

TEST_CASE("resources: a sample from fixture files, and the CPU percentage of two") {
    ProcRoot root;
    root.moment("t0");
    ResourceSources src;
    src.proc_root = root.dir.str();
    src.disk_path = root.dir.str();
    src.now_us = [] { return int64_t{1'700'000'000'000'000}; };
    src.active_agents = [] { return uint64_t{3}; };
    src.pending_tasks = [] { return uint64_t{4}; };
    src.total_tokens = [] { return uint64_t{1234}; };
    ResourceSampler sampler(src);

    const ResourceSample first = sampler.sample_now();  // since boot (jiffies from 0)
    CHECK(first.cpu_percent == doctest::Approx(100.0 * (95000 - 80000 - 1000) / 95000));
    CHECK(first.memory_percent == doctest::Approx(75.0));
    CHECK(first.memory_used_mb == doctest::Approx(12000.0));
    CHECK(first.memory_total_mb == doctest::Approx(16000.0));
    CHECK(first.load_avg_1m == doctest::Approx(1.25));
    CHECK(first.active_agents == 3);
    CHECK(first.pending_tasks == 4);
    CHECK(first.total_token_usage == 1234);
    CHECK(first.timestamp_us == 1'700'000'000'000'000);
    CHECK(first.disk_total_gb > 0);
    CHECK(first.disk_percent > 0);

    root.moment("t1");
    const ResourceSample second = sampler.sample_now();
    CHECK(second.cpu_percent == doctest::Approx(75.490196).epsilon(1e-6));
    CHECK(second.memory_percent == doctest::Approx(10.0));
    CHECK(second.memory_used_mb == doctest::Approx(1600.0));
    CHECK(second.load_avg_1m == doctest::Approx(0.30));
}

TEST_CASE("resources: an unreadable source gives 0, logged once, never a missing number") {
    TempDir empty;
    std::vector<std::string> lines;
    ResourceSources src;
    src.proc_root = (empty.path() / "nothing").string();
    src.disk_path = (empty.path() / "nothing").string();
    src.log = [&lines](std::string_view line) { lines.emplace_back(line); };
    ResourceSampler sampler(src);
    for (int i = 0; i < 3; ++i) {
        const ResourceSample s = sampler.sample_now();
        for (double v : {s.cpu_percent, s.memory_percent, s.disk_percent, s.memory_used_mb, s.memory_total_mb,
                         s.disk_used_gb, s.disk_total_gb, s.load_avg_1m})
            CHECK(v == 0);
    }
    REQUIRE(lines.size() == 4);  // stat, meminfo, loadavg, disk: once each
    CHECK(lines[0].find("stat") != std::string::npos);
    CHECK(lines[3].find("file system") != std::string::npos);
}

TEST_CASE("resources: an overload transition is published once per crossing") {
    ProcRoot root;
    root.moment("t0");  // memory 75 %
    Events events;
    ResourceSettings settings = memory_only(50);
    ResourceSources src;
    src.proc_root = root.dir.str();
    src.disk_path = root.dir.str();
    src.settings = [&settings] { return settings; };
    src.publish = events.sink();
    ResourceSampler sampler(src);

    sampler.sample_now();
    sampler.sample_now();
    REQUIRE(events.all.size() == 1);
    CHECK(events.all[0].first == "resources_overloaded");
    auto f = test::parse(events.all[0].second);
    CHECK(f["memory_percent"].GetDouble() == doctest::Approx(75.0));
    REQUIRE(f["reasons"].Size() == 1);
    CHECK(std::string(f["reasons"][0].GetString()) == "memory_percent 75.0 > 50");
    for (const char* k : {"cpu_percent", "disk_percent", "load_avg_1m"}) CHECK(f[k].IsNumber());
    CHECK(f.MemberCount() == 5);

    auto [state, current] = sampler.overload();
    CHECK(state.overloaded);
    CHECK(state.memory_percent == 50);
    CHECK(current.memory_percent == doctest::Approx(75.0));

    root.set("meminfo", "t1");  // memory 10 %
    sampler.sample_now();
    sampler.sample_now();
    REQUIRE(events.all.size() == 2);
    CHECK(events.all[1].first == "resources_recovered");
    CHECK(test::parse(events.all[1].second)["reasons"].Size() == 0);
    CHECK_FALSE(sampler.overload().first.overloaded);

    root.set("meminfo", "t0");
    sampler.sample_now();
    REQUIRE(events.all.size() == 3);
    CHECK(events.all[2].first == "resources_overloaded");

    // The load threshold 0 means 2 × online CPUs.
    settings.overload_load_avg = 0;
    src.online_cpus = 4;
    ResourceSampler four_cpus(src);
    CHECK(four_cpus.overload().first.load_avg == 8);
}

TEST_CASE("resources: history is a bounded ring, oldest first, the last is current") {
    ProcRoot root;
    root.moment("t0");
    ResourceSettings settings;
    settings.history_size = 3;
    int64_t now = 1'000'000;
    ResourceSources src;
    src.proc_root = root.dir.str();
    src.disk_path = root.dir.str();
    src.settings = [&settings] { return settings; };
    src.now_us = [&now] { return now; };
    ResourceSampler sampler(src);

    // Before the first sample: one taken on the spot.
    auto h = sampler.history(30);
    REQUIRE(h.size() == 1);
    for (int i = 0; i < 5; ++i) {
        now += 1'000'000;
        sampler.sample_now();
    }
    h = sampler.history(30);  // clamped to history_size
    REQUIRE(h.size() == 3);
    CHECK(h[0].timestamp_us == 4'000'000);
    CHECK(h[2].timestamp_us == 6'000'000);
    CHECK(sampler.current().timestamp_us == 6'000'000);
    CHECK(sampler.history(0).size() == 1);
    CHECK(sampler.history(-7).size() == 1);
    CHECK(sampler.history(2)[1].timestamp_us == 6'000'000);
}

TEST_CASE("resources: the methods' shapes, and the thread stops at once") {
    TempDir ws;
    ServiceRegistry registry;
    ServiceContext ctx;
    ctx.workspace = ws.str();
    std::vector<std::string> types;
    ctx.publish = [&types](std::string_view type, std::string_view) {
        types.emplace_back(type);
        return uint64_t{1};
    };
    ResourceSources src;  // the real /proc
    register_resources_service(registry, ctx, src);

    const char* const numbers[] = {"cpu_percent",     "memory_percent", "disk_percent",     "memory_used_mb",
                                   "memory_total_mb", "disk_used_gb",   "disk_total_gb",    "load_avg_1m",
                                   "active_agents",   "pending_tasks",  "total_token_usage"};
    auto check_sample = [&](const rapidjson::Value& s) {
        REQUIRE(s.IsObject());
        CHECK(s["timestamp"].IsString());
        for (const char* k : numbers) {
            CAPTURE(k);
            REQUIRE(s.HasMember(k));
            CHECK(s[k].IsNumber());
        }
        CHECK(s.MemberCount() == 12);
        CHECK(s["memory_total_mb"].GetDouble() > 0);
        CHECK(s["cpu_percent"].GetDouble() <= 100);
    };
    auto r = registry.call("resources.current", "{}");
    REQUIRE(r.ok());
    check_sample(test::parse(r.body));

    r = registry.call("resources.history", R"({"last_n":5})");
    REQUIRE(r.ok());
    auto h = test::parse(r.body);
    CHECK(h["count"].GetUint() == h["snapshots"].Size());
    CHECK(h["snapshots"].Size() >= 1);
    check_sample(h["snapshots"][h["snapshots"].Size() - 1]);
    CHECK(registry.call("resources.history", R"({"last_n":"5"})").status == OXIOS_E_INVALID);

    r = registry.call("resources.overload", "{}");
    REQUIRE(r.ok());
    auto o = test::parse(r.body);
    CHECK(o["overloaded"].IsBool());
    CHECK(o["reasons"].IsArray());
    for (const char* k : {"cpu_percent", "memory_percent", "disk_percent", "load_avg"})
        CHECK(o["threshold"][k].IsNumber());
    CHECK(o["threshold"]["load_avg"].GetDouble() > 0);  // 0 in the config: 2 × CPUs
    check_sample(o["current"]);

    // The thread waits 1 s before its first sample; stop() wakes it at once.
    const auto before = std::chrono::steady_clock::now();
    registry.stop();
    CHECK(std::chrono::steady_clock::now() - before < std::chrono::milliseconds(500));
}

TEST_CASE("resources: config section with a default for every key, bad values refused by name") {
    auto c = Config::from_text("{}");
    auto whole = test::parse(c->hidden_json());
    REQUIRE(whole.HasMember("resources"));
    const auto& r = whole["resources"];
    CHECK(r["sample_interval_secs"].GetInt() == 5);
    CHECK(r["history_size"].GetInt() == 720);
    CHECK(r["overload_cpu_percent"].GetDouble() == 90);
    CHECK(r["overload_memory_percent"].GetDouble() == 90);
    CHECK(r["overload_disk_percent"].GetDouble() == 95);
    CHECK(r["overload_load_avg"].GetDouble() == 0);

    for (const char* bad :
         {R"({"resources":{"sample_interval_secs":0}})", R"({"resources":{"sample_interval_secs":3601}})",
          R"({"resources":{"history_size":100001}})", R"({"resources":{"history_size":1.5}})",
          R"({"resources":{"overload_cpu_percent":101}})", R"({"resources":{"overload_disk_percent":"95"}})",
          R"({"resources":{"overload_load_avg":-1}})", R"({"resources":[]})"}) {
        CAPTURE(bad);
        auto doc = test::parse(bad);
        const Result res = c->put(doc);
        CHECK(res.status == OXIOS_E_INVALID);
        CHECK(res.body.find("resources") != std::string::npos);
    }
    auto partial = test::parse(R"({"resources":{"overload_memory_percent":42.5}})");
    REQUIRE(c->put(partial).ok());
    CHECK(c->get_double("resources.overload_memory_percent", 0) == 42.5);
    CHECK(c->get_int("resources.history_size", 0) == 720);  // deep merge: the rest kept
}
