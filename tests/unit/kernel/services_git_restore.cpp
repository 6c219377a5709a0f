// git.restore (history only moves forward), git.tag / git.tags, git.verify,
// and the refusals of bad hashes and paths.
#include "git_test_support.hpp"
#include "services/service_error.hpp"

#include <zlib.h>

using namespace git_test;

namespace {

// Commits a state and returns HEAD's hash.
std::string commit_state(GitFixture& f, const std::vector<std::pair<std::string, std::string>>& files) {
    for (const auto& [path, content] : files) f.write(path, content);
    REQUIRE(f.git->flush());
    return f.head_hash();
}

}  // namespace

TEST_CASE("git.restore of the whole tree is a new commit and loses nothing") {
    GitFixture f;
    const std::string v1 = commit_state(f, {{"a.md", "a1"}, {"dir/keep.md", "k"}});
    commit_state(f, {{"a.md", "a2"}, {"b.md", "written after the target"}});
    spit(f.ws / "c.md", "an external edit, never reported");
    f.write("sessions/s.json", "{\"session\":1}");
    const std::string before = f.head_hash();

    auto r = f.ok("git.restore", Args().set("hash", v1.substr(0, 8)));
    CHECK(std::string(r["status"].GetString()) == "restored");
    CHECK(std::string(r["from"].GetString()) == v1);
    CHECK(r["path"].IsNull());
    CHECK(r["files_changed"].GetInt() == 3);  // a.md changed, b.md and c.md removed
    REQUIRE(r["snapshot"].IsString());        // c.md was not in HEAD
    const std::string snapshot = r["snapshot"].GetString();
    const std::string commit = r["commit"].GetString();
    CHECK(commit == f.head_hash());

    // The files are the target's; excluded ones untouched.
    CHECK(slurp(f.ws / "a.md") == "a1");
    CHECK(slurp(f.ws / "dir/keep.md") == "k");
    CHECK_FALSE(fs::exists(f.ws / "b.md"));
    CHECK_FALSE(fs::exists(f.ws / "c.md"));
    CHECK(slurp(f.ws / "sessions/s.json") == "{\"session\":1}");

    // History moved forward: restore on top of the snapshot on top of the old HEAD.
    const auto msgs = f.messages();
    REQUIRE(msgs.size() >= 5);
    CHECK(msgs[0] == "oxios: restore to " + v1.substr(0, 7));
    CHECK(msgs[1] == "oxios: snapshot before restore to " + v1.substr(0, 7));
    CHECK(std::string(f.ok("git.log", Args())["entries"][2]["hash"].GetString()) == before);
    // Nothing written after the target is lost.
    CHECK(file_at(f.ws, before, "b.md") == "written after the target");
    CHECK(file_at(f.ws, snapshot, "c.md") == "an external edit, never reported");
    CHECK(file_at(f.ws, commit, "a.md") == "a1");
    CHECK_FALSE(file_at(f.ws, commit, "b.md"));

    auto ev = f.events_of("git_restored");
    REQUIRE(ev.size() == 1);
    auto fields = parse(ev[0].fields);
    CHECK(fields["files_changed"].GetInt() == 3);
    CHECK(std::string(fields["snapshot"].GetString()) == snapshot);

    // The same tree again: no commit, nothing changed.
    auto again = f.ok("git.restore", Args().set("hash", v1));
    CHECK(again["files_changed"].GetInt() == 0);
    CHECK(again["snapshot"].IsNull());
    CHECK(std::string(again["commit"].GetString()) == commit);
    CHECK(f.messages().size() == msgs.size());

    // And back to the newest state: b.md returns.
    f.ok("git.restore", Args().set("hash", before));
    CHECK(slurp(f.ws / "b.md") == "written after the target");
    CHECK(slurp(f.ws / "a.md") == "a2");
}

TEST_CASE("git.restore of one file snapshots it first and leaves the rest alone") {
    GitFixture f;
    const std::string v1 = commit_state(f, {{"notes/a.md", "a1"}, {"notes/b.md", "b1"}});
    commit_state(f, {{"notes/a.md", "a2"}, {"notes/b.md", "b2"}});
    spit(f.ws / "notes/a.md", "a3, unsaved in git");

    auto r = f.ok("git.restore", Args().set("hash", v1).set("path", "notes/a.md"));
    CHECK(std::string(r["path"].GetString()) == "notes/a.md");
    CHECK(r["files_changed"].GetInt() == 1);
    REQUIRE(r["snapshot"].IsString());
    CHECK(file_at(f.ws, r["snapshot"].GetString(), "notes/a.md") == "a3, unsaved in git");
    CHECK(slurp(f.ws / "notes/a.md") == "a1");
    CHECK(slurp(f.ws / "notes/b.md") == "b2");
    CHECK(f.messages()[0] == "oxios: restore notes/a.md from " + v1.substr(0, 7));

    // Already equal: no commit.
    auto same = f.ok("git.restore", Args().set("hash", v1).set("path", "./notes//a.md"));
    CHECK(same["files_changed"].GetInt() == 0);
    CHECK(same["snapshot"].IsNull());

    // A deleted file comes back.
    fs::remove(f.ws / "notes/b.md");
    f.ok("git.restore", Args().set("hash", v1).set("path", "notes/b.md"));
    CHECK(slurp(f.ws / "notes/b.md") == "b1");
}

TEST_CASE("git.restore refuses bad hashes and paths, touching nothing") {
    GitFixture f;
    const std::string v1 = commit_state(f, {{"a.md", "a1"}});
    commit_state(f, {{"a.md", "a2"}});
    const size_t commits = commit_count(f.ws);
    struct Case {
        const char* hash;
        const char* path;
        oxios_status status;
        std::string error;
    };
    const std::vector<Case> cases = {
        {"zz!", nullptr, OXIOS_E_INVALID, "invalid hash: expected 4 to 40 hex digits or a tag name"},
        {"", nullptr, OXIOS_E_INVALID, "invalid hash: expected 4 to 40 hex digits or a tag name"},
        {"../v1", nullptr, OXIOS_E_INVALID, "invalid hash: expected 4 to 40 hex digits or a tag name"},
        {"0123456789abcdef0123456789abcdef01234567", nullptr, OXIOS_E_NOT_FOUND, ""},
        {"nosuchtag", nullptr, OXIOS_E_NOT_FOUND, ""},
        {v1.c_str(), "../outside/secret.txt", OXIOS_E_DENIED, "path traversal denied"},
        {v1.c_str(), "a.md/../../outside/secret.txt", OXIOS_E_DENIED, "path traversal denied"},
        {v1.c_str(), "/etc/passwd", OXIOS_E_DENIED, "path traversal denied"},
        {v1.c_str(), ".git/config", OXIOS_E_DENIED, "path is reserved"},
        {v1.c_str(), "x/.git/config", OXIOS_E_DENIED, "path is reserved"},
        {v1.c_str(), "sessions/s.json", OXIOS_E_INVALID, "path is not tracked"},
        {v1.c_str(), ".oxios/cron.json", OXIOS_E_INVALID, "path is not tracked"},
        {v1.c_str(), ".", OXIOS_E_INVALID, "path must name a file"},
        {v1.c_str(), "%2e%2e/outside/secret.txt", OXIOS_E_NOT_FOUND, ""},  // a literal name
        {v1.c_str(), "missing.md", OXIOS_E_NOT_FOUND, ""},
    };
    for (const auto& c : cases) {
        CAPTURE(c.hash);
        CAPTURE(c.path ? c.path : "(whole tree)");
        Args args;
        args.set("hash", c.hash);
        if (c.path) args.set("path", c.path);
        Result r = f.call("git.restore", args);
        CHECK(r.status == c.status);
        if (!c.error.empty())
            CHECK(error_of(r) == c.error);
        else
            CHECK(!error_of(r).empty());
    }
    for (const std::string& long_path : {std::string(5000, 'a'), "dir/" + std::string(256, 'b')}) {
        Result r = f.call("git.restore", Args().set("hash", v1).set("path", long_path));
        CHECK(r.status == OXIOS_E_INVALID);
        CHECK(error_of(r) == "path is too long");
    }
    // Outside the workspace: a symlink inside pointing out is not followed.
    fs::create_directory_symlink(f.outside, f.ws / "out");
    Result link = f.call("git.restore", Args().set("hash", v1).set("path", "out/secret.txt"));
    CHECK(link.status == OXIOS_E_DENIED);
    CHECK(slurp(f.outside / "secret.txt") == "top secret");
    CHECK(listing(f.outside) == std::vector<std::string>{"secret.txt"});
    CHECK(slurp(f.ws / "a.md") == "a2");
    CHECK(commit_count(f.ws) == commits);
    CHECK(f.events_of("git_restored").empty());
}

TEST_CASE("git.restore: an ambiguous prefix is a conflict") {
    GitFixture f;
    // Objects until two share their first four hex digits (the birthday bound).
    git_repository* repo = nullptr;
    REQUIRE(git_repository_open(&repo, f.ws.c_str()) == 0);
    std::map<std::string, int> seen;
    std::string prefix;
    for (int i = 0; prefix.empty() && i < 20000; ++i) {
        const std::string content = "blob " + std::to_string(i);
        git_oid oid;
        REQUIRE(git_blob_create_from_buffer(&oid, repo, content.data(), content.size()) == 0);
        char hex[GIT_OID_HEXSZ + 1];
        git_oid_tostr(hex, sizeof hex, &oid);
        if (!seen.emplace(std::string(hex, 4), i).second) prefix = std::string(hex, 4);
    }
    git_repository_free(repo);
    REQUIRE(!prefix.empty());
    Result r = f.call("git.restore", Args().set("hash", prefix));
    CHECK(r.status == OXIOS_E_CONFLICT);
    CHECK(error_of(r) == "ambiguous hash: " + prefix);
}

TEST_CASE("git.tag / git.tags: lightweight tags on HEAD or a hash, names checked") {
    GitFixture f;
    const std::string v1 = commit_state(f, {{"a.md", "1"}});
    f.write("a.md", "2");  // pending: a tag without hash flushes first
    auto t = f.ok("git.tag", Args().set("tag", "v2"));
    CHECK(std::string(t["status"].GetString()) == "created");
    CHECK(std::string(t["tag"].GetString()) == "v2");
    CHECK(std::string(t["hash"].GetString()) == f.head_hash());
    CHECK(file_at(f.ws, "v2", "a.md") == "2");
    auto t1 = f.ok("git.tag", Args().set("tag", "release-1.0_a").set("hash", v1.substr(0, 10)));
    CHECK(std::string(t1["hash"].GetString()) == v1);
    CHECK(f.ok("git.tags")["tags"] == parse(R"(["release-1.0_a","v2"])"));

    Result dup = f.call("git.tag", Args().set("tag", "v2"));
    CHECK(dup.status == OXIOS_E_CONFLICT);
    CHECK(error_of(dup) == "tag exists: v2");
    for (const std::string& bad :
         std::vector<std::string>{"", "-v", ".v", "a..b", "x.lock", "a b", "a/b", "é", std::string(101, 'a'), "v~1"}) {
        CAPTURE(bad);
        Result r = f.call("git.tag", Args().set("tag", bad));
        CHECK(r.status == OXIOS_E_INVALID);
        CHECK(error_of(r) == "invalid tag name");
    }
    CHECK(f.call("git.tag", Args().set("tag", "v3").set("hash", "deadbeef")).status == OXIOS_E_NOT_FOUND);
    CHECK(f.ok("git.tags")["tags"].Size() == 2);
    auto ev = f.events_of("git_tagged");
    REQUIRE(ev.size() == 2);
    CHECK(parse(ev[1].fields)["tag"] == "release-1.0_a");

    // A tag names a restore target.
    f.ok("git.restore", Args().set("hash", "release-1.0_a"));
    CHECK(slurp(f.ws / "a.md") == "1");
}

TEST_CASE("git.verify finds a corrupted object") {
    GitFixture f;
    commit_state(f, {{"a.md", "content that will rot"}, {"b.md", "fine"}});
    f.ok("git.tag", Args().set("tag", "t1"));
    auto ok = f.ok("git.verify");
    CHECK(ok["valid"].GetBool());
    CHECK(ok["errors"].Size() == 0);
    CHECK(std::string(ok["head"].GetString()) == f.head_hash());
    CHECK(ok["commits"].GetInt() == 2);
    CHECK(ok["objects"].GetInt() >= 2 + 2 + 2);  // commits, trees, blobs

    SUBCASE("a flipped byte") {
        std::string hex;
        const fs::path obj = loose_blob(f.ws, "content that will rot", &hex);
        REQUIRE(fs::exists(obj));
        std::string bytes = slurp(obj);
        bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x55);
        fs::permissions(obj, fs::perms::owner_write, fs::perm_options::add);
        spit(obj, bytes);
        auto bad = f.ok("git.verify");
        CHECK_FALSE(bad["valid"].GetBool());
        REQUIRE(bad["errors"].Size() == 1);
        CHECK(std::string(bad["errors"][0].GetString()).rfind(hex + ": ", 0) == 0);
    }
    SUBCASE("other content under the same name (hash mismatch)") {
        std::string hex;
        const fs::path obj = loose_blob(f.ws, "content that will rot", &hex);
        const std::string fake = std::string("blob 4") + '\0' + "evil";
        uLongf size = compressBound(fake.size());
        std::string out(size, '\0');
        REQUIRE(compress(reinterpret_cast<Bytef*>(out.data()), &size, reinterpret_cast<const Bytef*>(fake.data()),
                         fake.size()) == Z_OK);
        out.resize(size);
        fs::permissions(obj, fs::perms::owner_write, fs::perm_options::add);
        spit(obj, out);
        auto bad = f.ok("git.verify");
        CHECK_FALSE(bad["valid"].GetBool());
        REQUIRE(bad["errors"].Size() == 1);
        CHECK(std::string(bad["errors"][0].GetString()).rfind(hex + ": ", 0) == 0);
    }
    SUBCASE("a missing object") {
        fs::remove(loose_blob(f.ws, "fine"));
        auto bad = f.ok("git.verify");
        CHECK_FALSE(bad["valid"].GetBool());
        CHECK(bad["errors"].Size() == 1);
    }
}

TEST_CASE("git.verify past its deadline is a timeout, not a partial answer") {
    GitFixture f;
    commit_state(f, {{"a.md", "a"}});
    try {
        f.git->verify(std::chrono::milliseconds(-1));
        FAIL("no timeout");
    } catch (const oxios::kernel::services::ServiceError& e) {
        CHECK(e.status() == OXIOS_E_TIMEOUT);
        CHECK(std::string(e.what()).rfind("verify timed out", 0) == 0);
    }
}
