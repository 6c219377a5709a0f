// knowledge.* files: path rules (rule 1), tree, read, write, delete, events,
// and the index following vault and workspace writes.
#include "services_test_support.hpp"

#include "services/knowledge_text.hpp"

#include <doctest/doctest.h>

#include <cctype>

using namespace services_test;

namespace {

std::string file(const char* path, std::string_view content) {
    return Args().set("path", path).set("content", content).str();
}

// The services fixture with knowledge.* registered.
struct VaultFixture : Fixture {
    VaultFixture() {
        with_knowledge = true;
        reopen();
    }
};

int status_of(Fixture& f, const char* method, const Args& args) { return f.call(method, args).status; }
int status_of(Fixture& f, const char* method, const std::string& args) { return f.call(method, args).status; }

}  // namespace

TEST_CASE("knowledge: the traversal catalogue is refused before anything is created") {
    VaultFixture f;
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
    VaultFixture f;
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
    while (long_path.size() <= 1024) long_path.append(200, 'd').append("/");
    CHECK(error_of(f.call("knowledge.write", file((long_path + "x.md").c_str(), "x"))) == "path is too long");
    CHECK(status_of(f, "knowledge.write", file(std::string(255, 'n').c_str(), "x")) == OXIOS_OK);
}

TEST_CASE("knowledge: write, read, tree order, binary files kept, size, delete") {
    VaultFixture f;
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
    VaultFixture f;
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

    // A hidden path under knowledge/ is the workspace's business: written, not indexed.
    CHECK(f.call("workspace.write", file("knowledge/.obsidian/x.md", "[[Target]]")).status == OXIOS_OK);
    CHECK(parse(f.call("knowledge.backlinks", Args().set("path", "Target.md")).body).Size() == 1);

    // The index is built at start from the files.
    spit(f.ws / "knowledge/Other.md", "also [[Target]]");
    f.reopen();
    CHECK(parse(f.call("knowledge.backlinks", Args().set("path", "Target.md")).body).Size() == 2);
    CHECK(f.call("knowledge.backlinks", Args()).status == OXIOS_E_INVALID);
}

TEST_CASE("knowledge pages: chat, checklist, journal and habits through their methods") {
    VaultFixture f;
    f.now = int64_t{1780823100} * 1000000;  // 2026-06-07 09:05 UTC
    CHECK(f.call("knowledge.config_put", R"({"config":{"timezone":"UTC"}})").status == OXIOS_OK);
    CHECK(f.call("knowledge.chat_append", Args().set("message", " Buy\nmilk ")).status == OXIOS_OK);
    CHECK(slurp(f.ws / "knowledge/Chat.md") == "#### 07 June, Sunday\n- [ ] `09:05` Buy milk\n");
    auto messages = parse(f.call("knowledge.chat_messages").body);
    REQUIRE(messages.Size() == 2);
    CHECK(std::string(messages[1].GetString()) == "- [ ] `09:05` Buy milk");
    CHECK(error_of(f.call("knowledge.chat_append", Args().set("message", " \n "))) == "message is required");
    CHECK(error_of(f.call("knowledge.chat_delete", Args().set("msg_hash", "xyz"))) == "msg_hash must be 11 hex digits");
    CHECK(f.call("knowledge.chat_delete", Args().set("msg_hash", "00000000000")).body == R"({"deleted":false})");
    std::string hash = oxios::kernel::services::knowledge::msg_hash("- [ ] `09:05` Buy milk");
    for (char& c : hash) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));  // case does not matter
    CHECK(f.call("knowledge.chat_delete", Args().set("msg_hash", hash)).body == R"({"deleted":true})");
    CHECK(slurp(f.ws / "knowledge/Chat.md") == "#### 07 June, Sunday\n");

    CHECK(error_of(f.call("knowledge.checklist_add", Args().set("path", "Shop.txt").set("item", "x"))) ==
          "path must end in .md");
    CHECK(f.call("knowledge.checklist_add", Args().set("path", "../Shop.md").set("item", "x")).status ==
          OXIOS_E_DENIED);
    CHECK(f.call("knowledge.checklist_add", Args().set("path", "Shop.md").set("item", "eggs")).status == OXIOS_OK);
    CHECK(slurp(f.ws / "knowledge/Shop.md") == "- [ ] eggs\n");

    auto today = f.ok("knowledge.journal_today", Args());
    CHECK(std::string(today["path"].GetString()) == "journal/2026.06 June.md");
    CHECK(!today["exists"].GetBool());
    CHECK(f.call("knowledge.journal_add", Args().set("record", "ran jj")).status == OXIOS_OK);
    CHECK(slurp(f.ws / "knowledge/journal/2026.06 June.md") == "## 7 June, Sunday\n`09:05` ran jj\n");
    CHECK(f.ok("knowledge.journal_today", Args())["exists"].GetBool());

    spit(f.ws / "knowledge/habits/Run.md", "");
    spit(f.ws / "knowledge/insights/2025 Habits.md", "### March\n\U0001F7E2\U0001F7E2 Run\n");
    auto habits = f.ok("knowledge.habits", Args().set("year", 2025));
    CHECK(habits["Run"]["60"].GetInt() == 1);                      // March 1st, 2025
    CHECK(f.ok("knowledge.habits", Args())["Run"].ObjectEmpty());  // 2026 has no insights file
    CHECK(error_of(f.call("knowledge.habits", Args().set("year", 1969))) == "year must be between 1970 and 9999");

    std::vector<std::string> sources;
    for (const auto& e : f.events)
        if (e.type == "knowledge_changed") sources.push_back(parse(e.fields)["source"].GetString());
    CHECK(sources == std::vector<std::string>{"config", "chat", "chat", "checklist", "journal"});
}

TEST_CASE("knowledge config: defaults, partial merge of known members, validation naming the key") {
    VaultFixture f;
    auto config = f.ok("knowledge.config_get", Args());
    CHECK(std::string(config["mode"].GetString()) == "full");
    CHECK(config["pomodoro_duration_in_minutes"].GetInt() == 50);
    CHECK(config["channels"].IsArray());
    CHECK(f.call("knowledge.config_put", R"({"config":{"mode":"tasks","language":null,"extra":1}})").status ==
          OXIOS_OK);
    config = f.ok("knowledge.config_get", Args());
    CHECK(std::string(config["mode"].GetString()) == "tasks");
    CHECK(std::string(config["language"].GetString()) == "en");
    CHECK(!config.HasMember("extra"));
    const std::pair<const char*, const char*> bad[] = {
        {R"({"mode":"zen"})", "mode: must be one of chat, full, tasks, notes, journal"},
        {R"({"timezone":"Mars"})", "timezone: must be \"local\", \"UTC\" or ±HH:MM"},
        {R"({"pomodoro_duration_in_minutes":1441})", "pomodoro_duration_in_minutes: must be an integer from 0 to 1440"},
        {R"({"language":"abcdefghijklmnopq"})", "language: must be a string of at most 16 bytes"},
        {R"({"channels":["a"]})", "channels: must be an array of integers"},
        {R"({"schedules":[1]})", "schedules: must be an array of objects"},
        {R"({"quick_commands":[1]})", "quick_commands: must be an array of strings"}};
    for (const auto& [in, why] : bad) {
        CAPTURE(in);
        Result r = f.call("knowledge.config_put", std::string(R"({"config":)") + in + "}");
        CHECK(r.status == OXIOS_E_INVALID);
        CHECK(error_of(r) == why);
    }
    spit(f.ws / "knowledge/config.json", "{not json");
    CHECK(std::string(f.ok("knowledge.config_get", Args())["mode"].GetString()) == "full");
}
