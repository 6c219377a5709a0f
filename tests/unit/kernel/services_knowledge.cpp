// knowledge.* files: path rules (rule 1), tree, read, write, delete, events,
// and the index following vault and workspace writes.
#include "services_test_support.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

using namespace services_test;

namespace {

std::string file(const char* path, std::string_view content) {
    return Args().set("path", path).set("content", content).str();
}

// The services fixture with knowledge.* registered.
struct Vault : Fixture {
    Vault() {
        with_knowledge = true;
        reopen();
    }
};

int status_of(Fixture& f, const char* method, const Args& args) { return f.call(method, args).status; }
int status_of(Fixture& f, const char* method, const std::string& args) { return f.call(method, args).status; }

}  // namespace

TEST_CASE("knowledge: the traversal catalogue is refused before anything is created") {
    Vault f;
    fs::create_symlink(f.outside, f.ws / "knowledge" / "out");
    for (const char* bad : {"../x.md", "a/../../x.md", "/etc/passwd", "a\\..\\x.md", "out/secret.txt", "out/new.md",
                            "a/b/../../../ws/x.md"}) {
        CAPTURE(bad);
        Result w = f.call("knowledge.write", file(bad, "x"));
        CHECK(w.status == OXIOS_E_DENIED);
        CHECK(error_of(w) == "path traversal denied");
        CHECK(status_of(f, "knowledge.read", Args().set("path", bad)) == OXIOS_E_DENIED);
        CHECK(status_of(f, "knowledge.delete", Args().set("path", bad)) == OXIOS_E_DENIED);
    }
    CHECK(f.registry->call("knowledge.write", std::string(R"({"path":"a\u0000b.md","content":"x"})")).status ==
          OXIOS_E_DENIED);
    CHECK(listing(f.outside) == std::vector<std::string>{"secret.txt"});
    CHECK(status_of(f, "knowledge.tree", Args().set("dir", "..")) == OXIOS_E_DENIED);
}

TEST_CASE("knowledge: hidden components, .keep and long names") {
    Vault f;
    Result hidden = f.call("knowledge.write", file(".obsidian/x.md", "x"));
    CHECK(hidden.status == OXIOS_E_INVALID);
    CHECK(error_of(hidden) == "hidden path");
    CHECK(status_of(f, "knowledge.write", file("a/.secret.md", "x")) == OXIOS_E_INVALID);
    CHECK(status_of(f, "knowledge.write", file(".keep/x.md", "x")) == OXIOS_E_INVALID);  // .keep only last
    CHECK(!fs::exists(f.ws / "knowledge" / ".obsidian"));

    // `<dir>/.keep` with an empty body makes a directory, listed without its dot-name.
    CHECK(status_of(f, "knowledge.write", file("Projects/.keep", "")) == OXIOS_OK);
    CHECK(fs::is_directory(f.ws / "knowledge" / "Projects"));
    auto tree = parse(f.call("knowledge.tree", Args()).body);
    REQUIRE(tree.Size() == 1);
    CHECK(std::string(tree[0]["name"].GetString()) == "Projects");
    CHECK(tree[0]["is_dir"].GetBool());
    CHECK(parse(f.call("knowledge.tree", Args().set("dir", "Projects")).body).Size() == 0);

    const std::string long_name(256, 'n');
    Result too_long = f.call("knowledge.write", file(long_name.c_str(), "x"));
    CHECK(too_long.status == OXIOS_E_INVALID);
    CHECK(error_of(too_long) == "path component is too long");
    std::string long_path;
    while (long_path.size() <= 1024) long_path += std::string(200, 'd') + "/";
    CHECK(error_of(f.call("knowledge.write", file((long_path + "x.md").c_str(), "x"))) == "path is too long");
    CHECK(status_of(f, "knowledge.write", file(std::string(255, 'n').c_str(), "x")) == OXIOS_OK);
}

TEST_CASE("knowledge: write, read, tree order, binary files kept, size, delete") {
    Vault f;
    const fs::path vault = f.ws / "knowledge";
    CHECK(status_of(f, "knowledge.write", file("b.md", "# B")) == OXIOS_OK);
    CHECK(status_of(f, "knowledge.write", file("a/deep/c.json", "{\"x\":1}")) == OXIOS_OK);
    CHECK(slurp(vault / "a/deep/c.json") == "{\"x\":1}");
    Result r = f.call("knowledge.read", Args().set("path", "b.md"));
    CHECK(r.status == OXIOS_OK);
    CHECK(r.body == "# B");
    CHECK(error_of(f.call("knowledge.read", Args().set("path", "nope.md"))) == "file not found");
    CHECK(error_of(f.call("knowledge.read", Args().set("path", "a"))) == "file not found");
    CHECK(error_of(f.call("knowledge.tree", Args().set("dir", "b.md"))) == "directory not found");

    auto tree = parse(f.call("knowledge.tree", Args()).body);
    REQUIRE(tree.Size() == 2);  // directories first
    CHECK(std::string(tree[0]["name"].GetString()) == "a");
    CHECK(tree[0]["size"].GetUint64() == 0);
    CHECK(std::string(tree[1]["name"].GetString()) == "b.md");
    CHECK(tree[1]["size"].GetUint64() == 3);

    CHECK(error_of(f.call("knowledge.write", file("a", "x"))) == "path is a directory");
    spit(vault / "img.png", std::string("\x89PNG\r\n\x1a\n\xff", 9));
    Result binary = f.call("knowledge.write", file("img.png", "text"));
    CHECK(binary.status == OXIOS_E_CONFLICT);
    CHECK(error_of(binary) == "refusing to overwrite a binary file");
    CHECK(slurp(vault / "img.png").size() == 9);

    f.knowledge.max_file_bytes = 10;
    Result big = f.call("knowledge.write", file("big.md", std::string(11, 'x')));
    CHECK(big.status == OXIOS_E_TOO_LARGE);
    CHECK(!fs::exists(vault / "big.md"));

    CHECK(status_of(f, "knowledge.write", file("a/x/.keep", "")) == OXIOS_OK);
    CHECK(status_of(f, "knowledge.delete", Args().set("path", "a/x")) == OXIOS_OK);  // empty but for .keep
    CHECK(!fs::exists(vault / "a/x"));
    Result not_empty = f.call("knowledge.delete", Args().set("path", "a"));
    CHECK(not_empty.status == OXIOS_E_CONFLICT);
    CHECK(error_of(not_empty) == "directory not empty");
    CHECK(status_of(f, "knowledge.delete", Args().set("path", "b.md")) == OXIOS_OK);
    CHECK(!fs::exists(vault / "b.md"));
    CHECK(status_of(f, "knowledge.delete", Args().set("path", "b.md")) == OXIOS_E_NOT_FOUND);
}

TEST_CASE("knowledge: writes publish knowledge_changed without content and keep the index current") {
    Vault f;
    CHECK(status_of(f, "knowledge.write", file("Target.md", "secret words")) == OXIOS_OK);
    CHECK(status_of(f, "knowledge.write", file("Target.md", "secret words again")) == OXIOS_OK);
    CHECK(status_of(f, "knowledge.delete", Args().set("path", "Target.md")) == OXIOS_OK);
    std::vector<std::string> seen;
    for (const auto& e : f.events)
        if (e.type == "knowledge_changed") seen.push_back(e.fields);
    REQUIRE(seen.size() == 3);
    CHECK(seen[0] == R"({"path":"Target.md","change":"created","source":"file"})");
    CHECK(seen[1] == R"({"path":"Target.md","change":"updated","source":"file"})");
    CHECK(seen[2] == R"({"path":"Target.md","change":"deleted","source":"file"})");

    // workspace.write under knowledge/ reaches the index: a backlink appears.
    CHECK(f.call("workspace.write", file("knowledge/Src.md", "see [[Target]]")).status == OXIOS_OK);
    auto links = parse(f.call("knowledge.backlinks", Args().set("path", "Target.md")).body);
    REQUIRE(links.Size() == 1);
    CHECK(std::string(links[0]["source_path"].GetString()) == "Src.md");
    CHECK(f.events.back().fields == R"({"path":"Src.md","change":"created","source":"workspace"})");

    // The index is built at start from the files.
    spit(f.ws / "knowledge/Other.md", "also [[Target]]");
    f.reopen();
    CHECK(parse(f.call("knowledge.backlinks", Args().set("path", "Target.md")).body).Size() == 2);
    CHECK(f.call("knowledge.backlinks", Args()).status == OXIOS_E_INVALID);
}
