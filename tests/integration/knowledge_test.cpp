// The Knowledge pages' sequences over HTTP against the real host: folder,
// new note, save, link, backlink and graph edge, search, history after the
// git batch, restore, chat append and delete by hash, checklist, journal,
// copilot on the echo engine; bad inputs touch nothing outside the vault.
#include "host_process.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <filesystem>
#include <string>

using oxios::test::HostProcess;
using oxios::test::read_file;

namespace {

// The JSON answer of a GET (no body) or a POST (JSON body), its status checked.
rapidjson::Document call(httplib::Client& c, const char* method, const std::string& path, const std::string& body = "",
                         int status = 200) {
    httplib::Result r =
        std::string(method) == "GET" ? c.Get(path.c_str()) : c.Post(path.c_str(), body, "application/json");
    REQUIRE_MESSAGE(r, path);
    CHECK_MESSAGE(r->status == status, method << " " << path << " -> " << r->status << " " << r->body);
    rapidjson::Document doc;
    doc.Parse(r->body.empty() ? "{}" : r->body.c_str());
    REQUIRE_MESSAGE(!doc.HasParseError(), "not JSON: " << r->body);
    return doc;
}

}  // namespace

TEST_CASE("knowledge over HTTP: the UI's editing, linking, search, history and restore sequence") {
    HostProcess::Options o;
    o.config_json = R"({"git":{"commit_delay_ms":600000,"max_commit_delay_ms":600000}})";
    HostProcess host(o);
    auto c = host.client();
    const auto vault = host.workspace() / "knowledge";

    auto put = c.Put("/api/knowledge/file/Projects/.keep", "", "text/plain");  // "new folder"
    REQUIRE(put);
    CHECK(put->status == 204);
    put = c.Put("/api/knowledge/file/Projects/New%20file.md", "", "text/markdown");
    REQUIRE(put);
    CHECK(put->status == 204);
    put = c.Put("/api/knowledge/file/Projects/New%20file.md", "# Plan\nfirst version", "text/markdown");
    CHECK(put->status == 204);
    auto tree = call(c, "GET", "/api/knowledge/tree?dir=Projects");
    REQUIRE(tree.Size() == 1);
    CHECK(std::string(tree[0]["name"].GetString()) == "New file.md");

    auto read = c.Get("/api/knowledge/file/Projects/New%20file.md");
    REQUIRE(read);
    CHECK(read->get_header_value("Content-Type") == "text/markdown; charset=utf-8");
    CHECK(read->body == "# Plan\nfirst version");

    // Link it from another note, as autocomplete writes it.
    c.Put("/api/knowledge/file/Inbox.md", "todo: see [the plan](Projects/New%20file.md) soon", "text/markdown");
    auto backlinks = call(c, "GET", "/api/knowledge/backlinks?path=Projects%2FNew%20file.md");
    REQUIRE(backlinks.Size() == 1);
    CHECK(std::string(backlinks[0]["source_path"].GetString()) == "Inbox.md");
    CHECK(std::string(backlinks[0]["link_text"].GetString()) == "the plan");
    auto graph = call(c, "GET", "/api/knowledge/graph");
    REQUIRE(graph["edges"].Size() == 1);
    CHECK(std::string(graph["edges"][0]["target"].GetString()) == "Projects/New file.md");

    auto found = call(c, "POST", "/api/knowledge/search", R"({"query":"new file","limit":20})");
    REQUIRE(found["count"].GetInt() >= 1);
    CHECK(std::string(found["results"][0]["path"].GetString()) == "Projects/New file.md");
    CHECK(found["results"][0]["name_similarity"].GetInt() == 100);
    CHECK(found["results"][0]["backlink_count"].GetInt() == 1);

    // History after the git batch, then restore the first version.
    auto history = call(c, "GET", "/api/knowledge/file/Projects/New%20file.md/history");  // flushes first
    REQUIRE(history["count"].GetInt() == 1);
    c.Put("/api/knowledge/file/Projects/New%20file.md", "# Plan\nsecond version", "text/markdown");
    history = call(c, "GET", "/api/knowledge/file/Projects/New%20file.md/history");
    REQUIRE(history["count"].GetInt() == 2);
    const std::string first = history["history"][1]["hash"].GetString();
    auto restored =
        call(c, "POST", "/api/knowledge/file/Projects/New%20file.md/restore", R"({"hash":")" + first + R"("})");
    CHECK(std::string(restored["status"].GetString()) == "restored");
    CHECK(std::string(restored["path"].GetString()) == "Projects/New file.md");
    CHECK(read_file(vault / "Projects/New file.md") == "# Plan\nfirst version");

    // Delete: the folder is not empty; the note goes, then the folder.
    auto del = c.Delete("/api/knowledge/file/Projects");
    CHECK(del->status == 409);
    CHECK(c.Delete("/api/knowledge/file/Projects/New%20file.md")->status == 204);
    CHECK(c.Delete("/api/knowledge/file/Projects")->status == 204);
    CHECK(!std::filesystem::exists(vault / "Projects"));
    CHECK(call(c, "GET", "/api/knowledge/backlinks?path=Projects%2FNew%20file.md").Size() == 1);  // still named
    CHECK(call(c, "GET", "/api/knowledge/graph")["edges"].Size() == 0);

    // A .json note comes back as text; routes the UI never calls are 404.
    c.Put("/api/knowledge/file/data.json", R"({"a":1})", "application/json");
    CHECK(c.Get("/api/knowledge/file/data.json")->get_header_value("Content-Type") == "text/plain; charset=utf-8");
    CHECK(c.Get("/api/knowledge/stats/today")->status == 404);
}

TEST_CASE("knowledge over HTTP: chat, checklist, journal, habits, config and the copilot") {
    HostProcess host;
    auto c = host.client();
    const auto vault = host.workspace() / "knowledge";
    CHECK(c.Put("/api/knowledge/config", R"({"timezone":"UTC"})", "application/json")->status == 204);
    CHECK(std::string(call(c, "GET", "/api/knowledge/config")["timezone"].GetString()) == "UTC");

    CHECK(c.Post("/api/knowledge/chat/append", R"({"message":"Buy milk"})", "application/json")->status == 204);
    CHECK(c.Post("/api/knowledge/chat/append", R"({"message":"Call mum"})", "application/json")->status == 204);
    auto messages = call(c, "GET", "/api/knowledge/chat/messages");
    REQUIRE(messages.Size() == 3);  // header + two messages
    CHECK(std::string(messages[0].GetString()).rfind("#### ", 0) == 0);
    const std::string milk = messages[1].GetString();
    CHECK(milk.rfind("- [ ] `", 0) == 0);
    CHECK(milk.size() > 14);
    // The UI's hash of the block: MD5 of its first line without "- [ ] " (checked in the unit suite);
    // here a wrong one deletes nothing and a malformed one is refused.
    CHECK(!call(c, "POST", "/api/knowledge/chat/delete", R"({"msg_hash":"00000000000"})")["deleted"].GetBool());
    call(c, "POST", "/api/knowledge/chat/delete", R"({"msg_hash":"zz"})", 400);

    CHECK(c.Post("/api/knowledge/checklist/add", R"({"path":"Shop.md","item":"eggs"})", "application/json")->status ==
          204);
    CHECK(read_file(vault / "Shop.md") == "- [ ] eggs\n");
    CHECK(c.Post("/api/knowledge/journal/add", R"({"record":"Buy milk jj"})", "application/json")->status == 204);
    auto today = call(c, "GET", "/api/knowledge/journal/today");
    CHECK(today["exists"].GetBool());
    const std::string journal = read_file(vault / today["path"].GetString());
    CHECK(journal.rfind("## ", 0) == 0);
    CHECK(journal.find("` Buy milk jj\n") != std::string::npos);
    call(c, "GET", "/api/knowledge/habits?year=1969", "", 400);
    CHECK(call(c, "GET", "/api/knowledge/habits").IsObject());

    c.Put("/api/knowledge/file/Garden.md", "tomatoes need sun", "text/markdown");
    auto answer = call(c, "POST", "/api/knowledge/copilot", R"({"question":"tomatoes","context_path":"Shop.md"})");
    const std::string content = answer["content"].GetString();
    CHECK(content.rfind("echo: ", 0) == 0);
    CHECK(content.find("tomatoes need sun") != std::string::npos);
    CHECK(content.find("- [ ] eggs") != std::string::npos);
    REQUIRE(answer["referenced_notes"].Size() == 2);
    CHECK(std::string(answer["referenced_notes"][0].GetString()) == "Shop.md");
    CHECK(std::string(answer["referenced_notes"][1].GetString()) == "Garden.md");
    // A question in words of its own finds the note holding its words.
    auto asked = call(c, "POST", "/api/knowledge/copilot", R"({"question":"What do my tomatoes need?"})");
    REQUIRE(asked["referenced_notes"].Size() == 1);
    CHECK(std::string(asked["referenced_notes"][0].GetString()) == "Garden.md");
    // Never stored as a session.
    const auto sessions = host.workspace() / "sessions";
    CHECK((!std::filesystem::exists(sessions) || std::filesystem::is_empty(sessions)));
}
