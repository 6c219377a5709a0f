// workspace.tree / workspace.read / workspace.write, traversal refusals included.
#include "services_test_support.hpp"

#include <doctest/doctest.h>

using namespace services_test;

namespace {

void check_denied(const Result& r) {
    CHECK(r.status == OXIOS_E_DENIED);
    CHECK(error_of(r) == "path traversal denied");
}

}  // namespace

TEST_CASE("workspace.write then read returns the raw bytes") {
    Fixture f;
    auto doc = f.ok("workspace.write", Args().set("path", "notes/today.md").set("content", "# Hi\n\"x\""));
    CHECK(std::string(doc["status"].GetString()) == "saved");
    CHECK(std::string(doc["path"].GetString()) == "notes/today.md");
    CHECK(doc["bytes"].GetUint64() == 8);
    CHECK(slurp(f.ws / "notes/today.md") == "# Hi\n\"x\"");

    Result r = f.call("workspace.read", Args().set("path", "notes/today.md"));
    CHECK(r.status == OXIOS_OK);
    CHECK(r.body == "# Hi\n\"x\"");  // raw, not JSON

    // Overwrite; normalised path in the answer; no temp file left behind.
    auto again = f.ok("workspace.write", Args().set("path", "./notes//today.md").set("content", ""));
    CHECK(std::string(again["path"].GetString()) == "notes/today.md");
    CHECK(again["bytes"].GetUint64() == 0);
    CHECK(slurp(f.ws / "notes/today.md").empty());
    CHECK(listing(f.ws) == std::vector<std::string>{"notes", "notes/today.md"});

    // `..` that stays inside the workspace is fine.
    Result inside = f.call("workspace.read", Args().set("path", "notes/../notes/today.md"));
    CHECK(inside.status == OXIOS_OK);
}

TEST_CASE("workspace.read keeps binary bytes, NULs included") {
    Fixture f;
    std::string bytes("a\0b\xff", 4);
    spit(f.ws / "bin.dat", bytes);
    Result r = f.call("workspace.read", Args().set("path", "bin.dat"));
    CHECK(r.status == OXIOS_OK);
    CHECK(r.body == bytes);
}

TEST_CASE("workspace.tree lists directories first, then by name") {
    Fixture f;
    spit(f.ws / "b.txt", "12345");
    spit(f.ws / "a.txt", "1");
    spit(f.ws / "zdir/inner.txt", "x");
    fs::create_directories(f.ws / "adir");
    Result r = f.call("workspace.tree", "{}");
    REQUIRE(r.status == OXIOS_OK);
    auto doc = parse(r.body);
    REQUIRE(doc.IsArray());
    REQUIRE(doc.Size() == 4);
    std::vector<std::string> names;
    for (auto& e : doc.GetArray()) names.push_back(e["name"].GetString());
    CHECK(names == std::vector<std::string>{"adir", "zdir", "a.txt", "b.txt"});
    CHECK(doc[0]["is_dir"].GetBool());
    CHECK(doc[1]["is_dir"].GetBool());
    CHECK_FALSE(doc[3]["is_dir"].GetBool());
    CHECK(doc[3]["size"].GetUint64() == 5);

    auto sub = f.ok("workspace.tree", Args().set("dir", "zdir"));
    REQUIRE(sub.Size() == 1);
    CHECK(std::string(sub[0]["name"].GetString()) == "inner.txt");
    CHECK(sub[0]["size"].GetUint64() == 1);
}

TEST_CASE("workspace: missing things are NOT_FOUND") {
    Fixture f;
    spit(f.ws / "file.txt", "x");
    fs::create_directories(f.ws / "dir");

    Result a = f.call("workspace.read", Args().set("path", "nope.txt"));
    CHECK(a.status == OXIOS_E_NOT_FOUND);
    CHECK(error_of(a) == "file not found");
    Result b = f.call("workspace.read", Args().set("path", "dir"));
    CHECK(b.status == OXIOS_E_NOT_FOUND);
    CHECK(error_of(b) == "file not found");
    Result c = f.call("workspace.read", Args().set("path", "file.txt/below"));
    CHECK(c.status == OXIOS_E_NOT_FOUND);

    Result d = f.call("workspace.tree", Args().set("dir", "nope"));
    CHECK(d.status == OXIOS_E_NOT_FOUND);
    CHECK(error_of(d) == "directory not found");
    Result e = f.call("workspace.tree", Args().set("dir", "file.txt"));
    CHECK(e.status == OXIOS_E_NOT_FOUND);
    CHECK(error_of(e) == "directory not found");
}

TEST_CASE("workspace.write: size limit, directories and bad arguments") {
    Fixture f;
    Result big = f.call("workspace.write", Args().set("path", "big.txt").set("content", std::string(1048577, 'a')));
    CHECK(big.status == OXIOS_E_TOO_LARGE);
    CHECK(error_of(big) == "1048577 bytes exceeds limit of 1048576 bytes");
    CHECK_FALSE(fs::exists(f.ws / "big.txt"));

    auto max = f.ok("workspace.write", Args().set("path", "max.txt").set("content", std::string(1048576, 'a')));
    CHECK(max["bytes"].GetUint64() == 1048576);
    CHECK(fs::file_size(f.ws / "max.txt") == 1048576);

    fs::create_directories(f.ws / "adir");
    Result dir = f.call("workspace.write", Args().set("path", "adir").set("content", "x"));
    CHECK(dir.status == OXIOS_E_INVALID);
    Result root = f.call("workspace.write", Args().set("path", "").set("content", "x"));
    CHECK(root.status == OXIOS_E_INVALID);
    spit(f.ws / "plain.txt", "x");
    Result under_file = f.call("workspace.write", Args().set("path", "plain.txt/child.txt").set("content", "x"));
    CHECK(under_file.status == OXIOS_E_INVALID);
    Result nocontent = f.call("workspace.write", Args().set("path", "a.txt"));
    CHECK(nocontent.status == OXIOS_E_INVALID);
    CHECK(error_of(nocontent) == "content is required");
}

TEST_CASE("workspace: `..`, absolute and NUL paths are denied before anything is created") {
    Fixture f;
    const std::vector<std::string> bad = {"..",
                                          "../x",
                                          "a/../../x",
                                          "../outside/secret.txt",
                                          "/etc/passwd",
                                          "a/../../outside/secret.txt",
                                          std::string("a\0b", 3),
                                          "./../ws/x"};
    auto before_ws = listing(f.ws);
    auto before_out = listing(f.outside);
    auto before_tmp = listing(f.tmp.path());
    for (const auto& p : bad) {
        INFO("path: " << p);
        check_denied(f.call("workspace.read", Args().set("path", p)));
        check_denied(f.call("workspace.write", Args().set("path", p).set("content", "pwned")));
        check_denied(f.call("workspace.tree", Args().set("dir", p)));
    }
    CHECK(listing(f.ws) == before_ws);  // no parent directory ("a") was created
    CHECK(listing(f.outside) == before_out);
    CHECK(listing(f.tmp.path()) == before_tmp);
    CHECK(slurp(f.outside / "secret.txt") == "top secret");
}

TEST_CASE("workspace: a symlinked directory leading outside is denied for read, write and tree") {
    Fixture f;
    fs::create_directory_symlink(f.outside, f.ws / "link");    // absolute target
    fs::create_directory_symlink("../outside", f.ws / "rel");  // relative target
    fs::create_directories(f.ws / "deep/er");
    fs::create_directory_symlink("../../../outside", f.ws / "deep/er/up");
    auto before = listing(f.outside);
    for (const char* dir : {"link", "rel", "deep/er/up"}) {
        INFO("dir: " << dir);
        std::string d = dir;
        check_denied(f.call("workspace.read", Args().set("path", d + "/secret.txt")));
        check_denied(f.call("workspace.write", Args().set("path", d + "/new.txt").set("content", "x")));
        check_denied(f.call("workspace.write", Args().set("path", d + "/sub/dir/new.txt").set("content", "x")));
        check_denied(f.call("workspace.write", Args().set("path", d + "/secret.txt").set("content", "x")));
        check_denied(f.call("workspace.tree", Args().set("dir", d)));
        check_denied(f.call("workspace.tree", Args().set("dir", d + "/")));
    }
    CHECK(listing(f.outside) == before);
    CHECK(slurp(f.outside / "secret.txt") == "top secret");
}

TEST_CASE("workspace: a symlink as the final component leading outside is denied") {
    Fixture f;
    fs::create_symlink(f.outside / "secret.txt", f.ws / "evil.txt");
    fs::create_symlink(f.outside / "not-yet.txt", f.ws / "dangling.txt");  // dangling
    fs::create_symlink("loop2", f.ws / "loop1");
    fs::create_symlink("loop1", f.ws / "loop2");

    check_denied(f.call("workspace.read", Args().set("path", "evil.txt")));
    check_denied(f.call("workspace.write", Args().set("path", "evil.txt").set("content", "pwned")));
    check_denied(f.call("workspace.write", Args().set("path", "dangling.txt").set("content", "pwned")));
    check_denied(f.call("workspace.read", Args().set("path", "loop1")));
    check_denied(f.call("workspace.write", Args().set("path", "loop1/x").set("content", "x")));

    CHECK(slurp(f.outside / "secret.txt") == "top secret");
    CHECK_FALSE(fs::exists(f.outside / "not-yet.txt"));
    CHECK(fs::is_symlink(f.ws / "evil.txt"));

    // The listing still shows the links, but tells nothing about their targets.
    auto tree = f.ok("workspace.tree", Args());
    bool saw_evil = false;
    for (auto& e : tree.GetArray()) {
        if (std::string(e["name"].GetString()) == "evil.txt") {
            saw_evil = true;
            CHECK_FALSE(e["is_dir"].GetBool());
            CHECK(e["size"].GetUint64() == 0);
        }
    }
    CHECK(saw_evil);
}

TEST_CASE("workspace: symlinks that stay inside the workspace are followed") {
    Fixture f;
    spit(f.ws / "docs/a.txt", "alpha");
    fs::create_directory_symlink(f.ws / "docs", f.ws / "alias");
    fs::create_symlink("docs/a.txt", f.ws / "a-link.txt");

    Result r = f.call("workspace.read", Args().set("path", "alias/a.txt"));
    CHECK(r.status == OXIOS_OK);
    CHECK(r.body == "alpha");
    Result l = f.call("workspace.read", Args().set("path", "a-link.txt"));
    CHECK(l.body == "alpha");

    auto w = f.ok("workspace.write", Args().set("path", "alias/new/b.txt").set("content", "beta"));
    CHECK(std::string(w["path"].GetString()) == "alias/new/b.txt");
    CHECK(slurp(f.ws / "docs/new/b.txt") == "beta");

    // Writing through a link replaces the target's content, the link stays.
    f.ok("workspace.write", Args().set("path", "a-link.txt").set("content", "changed"));
    CHECK(fs::is_symlink(f.ws / "a-link.txt"));
    CHECK(slurp(f.ws / "docs/a.txt") == "changed");

    auto tree = f.ok("workspace.tree", Args().set("dir", "alias"));
    CHECK(tree.Size() == 2);
    auto top = f.ok("workspace.tree", Args());
    CHECK(std::string(top[0]["name"].GetString()) == "alias");  // a directory via the link
    CHECK(top[0]["is_dir"].GetBool());
}
