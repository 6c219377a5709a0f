// The git service: the repository at start, batching of reported changes,
// what is tracked, the commit messages and events, the flush at shutdown.
#include "config/config.hpp"
#include "git_test_support.hpp"

#include <chrono>
#include <thread>

using namespace git_test;

TEST_CASE("git: a fresh workspace becomes a repository on main with an initial snapshot") {
    GitFixture f;
    CHECK(f.messages() == std::vector<std::string>{"oxios: initial snapshot"});
    const fs::path ws = f.tmp.path() / "older";
    spit(ws / "notes/old.md", "written before the host");
    spit(ws / "sessions/s1.json", "{}");

    // A workspace with files from before the first start.
    GitSettings s;
    GitService::Options o;
    o.workspace = ws.string();
    o.settings = [s] { return s; };
    {
        GitService git(o);
        const auto log = git.log(10);
        REQUIRE(log.size() == 1);
        CHECK(log[0].message == "oxios: initial snapshot");
        CHECK(log[0].author == "oxios");
    }
    CHECK(file_at(ws, "HEAD", "notes/old.md") == "written before the host");
    CHECK_FALSE(file_at(ws, "HEAD", "sessions/s1.json"));  // excluded
    CHECK(slurp(ws / ".git/HEAD") == "ref: refs/heads/main\n");
    const std::string exclude = slurp(ws / ".git/info/exclude");
    for (const char* line : {"/sessions/", "/spaces/", "/.oxios/", "*.tmp", ".spare-*"})
        CHECK(exclude.find(std::string(line) + "\n") != std::string::npos);

    // A restart opens the same repository: no second initial commit, no
    // duplicated exclude lines.
    {
        GitService again(o);
        CHECK(again.log(10).size() == 1);
    }
    CHECK(slurp(ws / ".git/info/exclude") == exclude);
}

TEST_CASE("git: N writes make fewer commits, with every content in HEAD") {
    GitFixture f;
    constexpr int kFiles = 20;
    for (int i = 0; i < kFiles; ++i) f.write("notes/n" + std::to_string(i) + ".md", "note " + std::to_string(i));
    REQUIRE(f.git->flush());
    const auto msgs = f.messages();
    // The initial snapshot and one batch: the delay is far longer than the writes.
    REQUIRE(msgs.size() == 2);
    CHECK(msgs[0] == "workspace: 20 changes");
    for (int i = 0; i < kFiles; ++i)
        CHECK(file_at(f.ws, "HEAD", "notes/n" + std::to_string(i) + ".md") == "note " + std::to_string(i));
    const auto committed = f.events_of("git_committed");
    REQUIRE(committed.size() == 1);
    auto ev = parse(committed[0].fields);
    CHECK(ev["files"].GetInt() == kFiles);
    CHECK(std::string(ev["source"].GetString()) == "workspace");
    CHECK(std::string(ev["hash"].GetString()) == f.head_hash());
    CHECK(std::string(ev["short_hash"].GetString()) == f.head_hash().substr(0, 7));
    CHECK_FALSE(ev.HasMember("message"));

    // The full message lists every change.
    GitService::CommitInfo head = f.git->log(1)[0];
    CHECK(head.message == "workspace: 20 changes");
}

TEST_CASE("git: the thread commits by itself after commit_delay_ms of quiet") {
    GitFixture f(50);
    const size_t before = commit_count(f.ws);
    f.write("a.md", "one");
    f.write("a.md", "two");  // the same path twice: one change
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (file_at(f.ws, "HEAD", "a.md") != "two" && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(file_at(f.ws, "HEAD", "a.md") == "two");  // no flush asked for it
    const size_t made = commit_count(f.ws) - before;
    CHECK(made >= 1);
    CHECK(made <= 2);  // one, unless the machine paused 50 ms between the writes
    CHECK(f.messages()[0] == "workspace: write a.md");
    CHECK(f.git->counters().pending == 0);
}

TEST_CASE("git: sessions, spaces and temp files are never committed; .git and .oxios are reserved") {
    GitFixture f;
    f.write("sessions/s.json", "{}");
    f.write("spaces/x.json", "{}");
    f.write("notes/a.tmp", "temp");
    f.write("notes/keep.md", "kept");
    REQUIRE(f.git->flush());
    CHECK(file_at(f.ws, "HEAD", "notes/keep.md") == "kept");
    for (const char* p : {"sessions/s.json", "spaces/x.json", "notes/a.tmp"}) CHECK_FALSE(file_at(f.ws, "HEAD", p));
    CHECK(f.messages()[0] == "workspace: write notes/keep.md");

    for (const char* p : {".git/config", ".git/hooks/pre-commit", ".oxios/cron.json", "notes/../.git/HEAD"}) {
        CAPTURE(p);
        Result r = f.call("workspace.write", Args().set("path", p).set("content", "x"));
        CHECK(r.status == OXIOS_E_DENIED);
        CHECK(error_of(r) == "path is reserved");
    }
    CHECK_FALSE(fs::exists(f.ws / ".oxios"));
    CHECK(slurp(f.ws / ".git/config").find("[core]") != std::string::npos);
    // Reading stays allowed.
    CHECK(f.call("workspace.read", Args().set("path", ".git/HEAD")).status == OXIOS_OK);
}

TEST_CASE("git: skills and memory changes are committed with their source") {
    GitFixture f;
    f.ok("skills.create", Args().set("name", "greet").set("description", "d").set("content", "Say hi."));
    REQUIRE(f.git->flush());
    CHECK(f.messages()[0] == "skills: write skills/greet/SKILL.md");
    f.ok("skills.disable", Args().set("name", "greet"));
    REQUIRE(f.git->flush());
    CHECK(f.messages()[0] == "skills: write skills/greet/.disabled");
    f.ok("skills.delete", Args().set("name", "greet"));
    REQUIRE(f.git->flush());
    CHECK(f.messages()[0] == "skills: 2 changes");
    CHECK_FALSE(file_at(f.ws, "HEAD", "skills/greet/SKILL.md"));

    auto created = f.ok("memory.create", Args().set("content", "the sky is blue"));
    const std::string id = created["id"].GetString();
    f.write("notes/x.md", "x");
    REQUIRE(f.git->flush());
    CHECK(f.messages()[0] == "oxios: 2 changes");  // mixed sources
    CHECK(file_at(f.ws, "HEAD", "memory/fact/" + id + ".json").has_value());
    auto ev = parse(f.events_of("git_committed").back().fields);
    CHECK(std::string(ev["source"].GetString()) == "oxios");
}

TEST_CASE("git: what is pending is committed when the service stops") {
    GitFixture f;  // never commits by itself
    f.write("late.md", "written just before shutdown");
    CHECK(f.git->counters().pending == 1);
    f.open();  // stop + start
    CHECK(file_at(f.ws, "HEAD", "late.md") == "written just before shutdown");
    CHECK(f.messages()[0] == "workspace: write late.md");
}

TEST_CASE("git: a path's history counts only the commits that touched it") {
    GitFixture f;
    f.write("knowledge/a.md", "1");
    REQUIRE(f.git->flush());
    f.write("knowledge/b.md", "1");
    REQUIRE(f.git->flush());
    f.write("knowledge/a.md", "2");
    REQUIRE(f.git->flush());
    fs::remove(f.ws / "knowledge/a.md");
    f.git->changed("knowledge", "delete", "knowledge/a.md");

    auto doc = f.ok("git.history", Args().set("path", "knowledge/a.md"));
    REQUIRE(doc["count"].GetInt() == 3);  // added, changed, deleted
    CHECK(std::string(doc["history"][0]["message"].GetString()) == "knowledge: delete knowledge/a.md");
    CHECK(std::string(doc["history"][2]["message"].GetString()) == "workspace: write knowledge/a.md");
    for (const auto& e : doc["history"].GetArray()) {
        CHECK(std::string(e["hash"].GetString()).size() == 40);
        CHECK(std::string(e["short_hash"].GetString()).size() == 7);
        CHECK(std::string(e["timestamp"].GetString()).back() == 'Z');
        CHECK(std::string(e["author"].GetString()) == "oxios");
    }
    CHECK(f.git->history("knowledge/b.md", 50).size() == 1);
    CHECK(f.git->history("knowledge/none.md", 50).empty());
    Result r = f.call("git.history", Args().set("path", "../outside/secret.txt"));
    CHECK(r.status == OXIOS_E_DENIED);
}

TEST_CASE("git: disabled, the methods say so and no repository appears") {
    GitFixture f(600000, false);
    CHECK_FALSE(fs::exists(f.ws / ".git"));
    f.write("a.md", "still written");
    CHECK(slurp(f.ws / "a.md") == "still written");
    for (const char* m : {"git.log", "git.tags", "git.verify"}) {
        Result r = f.call(m, Args());
        CHECK(r.status == OXIOS_E_BUSY);
        CHECK(error_of(r) == "git is disabled");
    }
    CHECK(f.git->health().healthy);
    CHECK(f.git->health().detail == "disabled");

    // Enabled while running: opened on the next use.
    {
        std::lock_guard lock(f.mutex);
        f.settings.enabled = true;
    }
    CHECK(f.messages() == std::vector<std::string>{"oxios: initial snapshot"});
    CHECK(file_at(f.ws, "HEAD", "a.md") == "still written");
}

TEST_CASE("git: an unusable repository is unhealthy and the methods answer BUSY with why") {
    GitFixture f(600000, false);
    spit(f.ws / ".git", "not a repository");  // a file where the directory goes
    {
        std::lock_guard lock(f.mutex);
        f.settings.enabled = true;
    }
    f.open();
    Result r = f.call("git.log", Args());
    CHECK(r.status == OXIOS_E_BUSY);
    CHECK(error_of(r).rfind("git unavailable: ", 0) == 0);
    CHECK_FALSE(f.git->health().healthy);
    f.write("a.md", "writes never fail because of git");
    CHECK(slurp(f.ws / "a.md") == "writes never fail because of git");
}

TEST_CASE("git config section: a default for every key, bad values refused with the key") {
    auto c = oxios::kernel::Config::from_text("{}");
    CHECK(c->get_bool("git.enabled", false));
    CHECK(c->get_int("git.commit_delay_ms", 0) == 2000);
    CHECK(c->get_int("git.max_commit_delay_ms", 0) == 10000);
    CHECK(c->get_string("git.author_name") == "oxios");
    CHECK(c->get_string("git.author_email") == "oxios@localhost");
    for (const char* bad : {R"({"git":{"enabled":"yes"}})", R"({"git":{"commit_delay_ms":-1}})",
                            R"({"git":{"max_commit_delay_ms":1.5}})", R"({"git":{"author_name":3}})", R"({"git":7})"}) {
        CAPTURE(bad);
        auto doc = parse(bad);
        Result r = c->put(doc);
        CHECK(r.status == OXIOS_E_INVALID);
        CHECK(error_of(r).find("git") != std::string::npos);
    }
    auto ok = parse(R"({"git":{"commit_delay_ms":50}})");
    REQUIRE(c->put(ok).status == OXIOS_OK);
    CHECK(c->get_int("git.commit_delay_ms", 0) == 50);
    CHECK(c->get_int("git.max_commit_delay_ms", 0) == 10000);  // merged, not replaced
}
