// Temp files made ahead for durable writes (host/kernel/infra/spare_files.hpp).
#include "infra/spare_files.hpp"
#include "file_session_store.hpp"
#include "infra/atomic_file.hpp"
#include "infra/clock.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>
#include <system_error>
#include <thread>
#include <vector>

using namespace oxios::kernel;
using namespace oxios::kernel::test;
namespace fs = std::filesystem;

namespace {

std::set<std::string> names_in(const fs::path& dir) {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
    return out;
}

size_t spares_on_disk(const fs::path& dir) {
    size_t n = 0;
    for (const auto& name : names_in(dir))
        if (name.starts_with(".spare-") && name.ends_with(".tmp")) ++n;
    return n;
}

// The pool is filled by its own thread: wait (bounded) for it to settle.
bool wait_ready(const SpareFiles& spares, size_t n) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (spares.ready() != n) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

}  // namespace

TEST_CASE("spare files: none before the first write, then the pool is topped up to its size") {
    TempDir dir;
    SpareFiles spares(dir.path(), 3);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(spares.ready() == 0);
    CHECK(names_in(dir.path()).empty());  // an idle store adds no files
    CHECK_FALSE(spares.take().has_value());

    spares.refill();
    REQUIRE(wait_ready(spares, 3));
    CHECK(spares_on_disk(dir.path()) == 3);
    auto f = spares.take();
    REQUIRE(f.has_value());
    CHECK(f->path.parent_path() == dir.path());
    struct stat st {};
    REQUIRE(::fstat(f->fd, &st) == 0);
    CHECK(st.st_size == 0);
    ::close(f->fd);
    ::unlink(f->path.c_str());
    CHECK(spares.ready() == 2);
}

TEST_CASE("spare files: a write through the pool lands complete under the target's name and leaves no temp file") {
    TempDir dir;
    const fs::path target = dir.path() / "s1.json";
    {
        SpareFiles spares(dir.path(), 2);
        write_file_atomic(target, {"{\"a\":", "1}"}, &spares);  // none ready yet: creates its own
        CHECK(slurp(target) == "{\"a\":1}");
        REQUIRE(wait_ready(spares, 2));
        const auto before = names_in(dir.path());

        write_file_atomic(target, {"{\"a\":", "22}"}, &spares);  // replaces through a spare
        CHECK(slurp(target) == "{\"a\":22}");
        REQUIRE(wait_ready(spares, 2));
        // One spare became the target; a new one took its place.
        const auto after = names_in(dir.path());
        size_t gone = 0;
        for (const auto& name : before)
            if (name != "s1.json" && !after.count(name)) ++gone;
        CHECK(gone == 1);
        CHECK(after.size() == 3);

        // A spares pool of another directory is not used for this one.
        TempDir other;
        SpareFiles elsewhere(other.path(), 2);
        elsewhere.refill();
        REQUIRE(wait_ready(elsewhere, 2));
        const auto there = names_in(other.path());
        write_file_atomic(target, {"{}"}, &elsewhere);
        CHECK(slurp(target) == "{}");
        CHECK(names_in(other.path()) == there);
    }
    // The destructor removes the spares nobody used.
    CHECK(names_in(dir.path()) == std::set<std::string>{"s1.json"});
}

TEST_CASE("spare files: when they cannot be created, writes fail with the reason and the pool recovers") {
    TempDir dir;
    const fs::path sub = dir.path() / "sessions";
    fs::create_directories(sub);
    SpareFiles spares(sub, 2);
    spares.refill();
    REQUIRE(wait_ready(spares, 2));
    for (int i = 0; i < 2; ++i) {
        auto f = spares.take();
        REQUIRE(f.has_value());
        ::close(f->fd);
    }
    fs::remove_all(sub);  // the directory is gone: creating fails

    try {
        write_file_atomic(sub / "x.json", {"data"}, &spares);
        FAIL("the write should have failed");
    } catch (const std::system_error& e) {
        CHECK(std::string(e.what()).find("create") != std::string::npos);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(spares.ready() == 0);

    // It does not retry on its own (no spinning on a full disk): only the
    // next write asks again.
    fs::create_directories(sub);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK(spares.ready() == 0);
    write_file_atomic(sub / "x.json", {"data"}, &spares);
    CHECK(slurp(sub / "x.json") == "data");
    REQUIRE(wait_ready(spares, 2));
}

TEST_CASE("spare files: a spare removed or replaced behind the pool's back is never written") {
    TempDir dir;
    SpareFiles spares(dir.path(), 2);
    spares.refill();
    REQUIRE(wait_ready(spares, 2));
    std::vector<std::string> spare_names;
    for (const auto& name : names_in(dir.path())) spare_names.push_back(name);
    REQUIRE(spare_names.size() == 2);
    fs::remove(dir.path() / spare_names[0]);  // a cleaner took one
    fs::remove(dir.path() / spare_names[1]);  // and someone wrote a file of their own under the other's name
    std::ofstream(dir.path() / spare_names[1]) << "not yours";

    write_file_atomic(dir.path() / "t.json", {"{\"ok\":true}"}, &spares);
    CHECK(slurp(dir.path() / "t.json") == "{\"ok\":true}");
    CHECK(slurp(dir.path() / spare_names[1]) == "not yours");
}

TEST_CASE("spare files: the session store writes through them and a restart removes the ones a crash left") {
    TempDir dir;
    const fs::path sessions = dir.path() / "sessions";
    {
        FileSessionStore store(sessions, clock::now_us);
        Exchange first;
        first.session_id = "s0";
        REQUIRE(store.append(first.view()) == OXIOS_OK);
        // The first write asked for spares: the store keeps four ready.
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (spares_on_disk(sessions) < 4 && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        CHECK(spares_on_disk(sessions) == 4);
        {
            FileSessionStore other(sessions, clock::now_us);  // a second store on the directory removes them
        }
        CHECK(spares_on_disk(sessions) == 0);
        for (int i = 1; i < 3; ++i) {  // ... and this one's writes do not fail for it
            Exchange ex;
            ex.session_id = "s" + std::to_string(i);
            REQUIRE(store.append(ex.view()) == OXIOS_OK);
        }
    }
    CHECK(names_in(sessions) == std::set<std::string>{"s0.json", "s1.json", "s2.json"});

    std::ofstream(sessions / ".spare-left-by-a-crash.tmp");  // kill -9 while spares were ready
    FileSessionStore store(sessions, clock::now_us);
    CHECK(names_in(sessions) == std::set<std::string>{"s0.json", "s1.json", "s2.json"});
    auto got = store.get("s1");
    REQUIRE(got.status == OXIOS_OK);
    CHECK(got.body.find("echo: hi") != std::string::npos);
}
