// Switching from the Rust original: its config.toml and its workspace, as
// they are, on the real host (tests/fixtures/original).
#include "host_process.hpp"
#include "json_answer.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <regex>

using oxios::test::HostProcess;
using oxios::test::read_file;
namespace fs = std::filesystem;
using oxios::test::parse;

namespace {

fs::path fixtures() { return oxios::test::env_or("OXIOS_ORIGINAL_FIXTURES"); }

// Every regular file under `dir` with its bytes, by relative path, but those
// the host adds: .git/ (docs/api-operator.md "Git") and its state in .oxios/.
std::map<std::string, std::string> files_of(const fs::path& dir) {
    std::map<std::string, std::string> out;
    for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
        if (it->path() == dir / ".git" || it->path() == dir / ".oxios")
            it.disable_recursion_pending();
        else if (it->is_regular_file())
            out[fs::relative(it->path(), dir).string()] = read_file(it->path());
    }
    return out;
}

int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

// The fixture config.toml with its port and workspace replaced.
std::string original_config(int port, const fs::path& workspace) {
    std::string text = read_file(fixtures() / "config.toml");
    text = std::regex_replace(text, std::regex("port = 4311"), "port = " + std::to_string(port));
    text = std::regex_replace(text, std::regex("~/.oxios/workspace"), workspace.string());
    return text;
}

httplib::Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

}  // namespace

TEST_CASE("original: ~/.oxios/config.toml and its workspace are served as they are, and left untouched") {
    const fs::path home = fs::temp_directory_path() / ("oxios-home-" + std::to_string(::getpid()));
    fs::remove_all(home);
    fs::create_directories(home / ".oxios");
    const fs::path ws = home / "original-workspace";
    fs::copy(fixtures() / "workspace", ws, fs::copy_options::recursive);
    const auto before = files_of(ws);
    REQUIRE(before.size() == 14);
    const int port = free_port();
    std::ofstream(home / ".oxios" / "config.toml") << original_config(port, ws);

    HostProcess::Options o;
    o.config_file = "";  // the host finds ~/.oxios/config.toml by itself
    o.pass_workspace = false;
    o.pass_port = false;
    o.env = {"HOME=" + home.string()};
    {
        HostProcess host(o);
        CHECK(host.port() == port);
        const std::string log = host.log();
        CHECK(log.find("config: " + (home / ".oxios" / "config.toml").string() + " (TOML)") != std::string::npos);
        CHECK(log.find("rate_limit_per_minute = 0 means no limit here") != std::string::npos);
        CHECK(log.find("engine.api_key is the model provider's key only") != std::string::npos);

        auto c = host.client();
        // Auth from the file: its tokens, never the provider key.
        CHECK(c.Get("/api/sessions")->status == 401);
        CHECK(c.Get("/api/sessions", bearer("sk-original-provider-key"))->status == 401);
        const auto t = bearer("tok-alpha");

        auto sessions = parse(c.Get("/api/sessions", t)->body);
        REQUIRE(sessions["total"].GetInt() == 2);
        CHECK(std::string(sessions["items"][0]["id"].GetString()) == "7f3c2a10-aaaa-4bbb-8ccc-000000000001");
        CHECK(sessions["items"][0]["message_count"].GetInt() == 2);
        CHECK(std::string(sessions["items"][0]["space_id"].GetString()) == "research");
        auto one = parse(c.Get("/api/sessions/older-session", t)->body);
        CHECK(std::string(one["agent_responses"][0]["content"].GetString()) == "reply");

        auto seeds = parse(c.Get("/api/seeds", t)->body);
        CHECK(seeds["total"].GetInt() == 2);
        auto evolution = parse(c.Get("/api/seeds/seed-child/evolution", t)->body);
        REQUIRE(evolution.Size() == 2);
        CHECK(evolution[0]["score"].GetDouble() == doctest::Approx(0.55));
        CHECK(evolution[1]["passed"].GetBool());

        const auto skills_doc = parse(c.Get("/api/skills", t)->body);  // kept alive: skills points into it
        auto skills = skills_doc["skills"].GetArray();
        REQUIRE(skills.Size() == 2);
        CHECK(std::string(skills[0]["name"].GetString()) == "git-helper");
        CHECK(std::string(skills[0]["status"].GetString()) == "disabled");
        CHECK(std::string(skills[0]["requirements"]["bins"][0].GetString()) == "git");
        CHECK(std::string(skills[1]["description"].GetString()) == "Summarise a document into key points");
        CHECK(std::string(skills[1]["version"].GetString()) == "1.2.0");

        auto memory = parse(c.Get("/api/memory", t)->body);
        CHECK(memory["total"].GetInt() == 2);
        auto fact = parse(c.Get("/api/memory/0b6f1d8e-1111-4222-8333-444455556666", t)->body);
        CHECK(std::string(fact["content"].GetString()) == "The user prefers short answers.");

        auto spaces = parse(c.Get("/api/spaces", t)->body);
        REQUIRE(spaces["total"].GetInt() == 1);
        CHECK(spaces["items"][0]["interaction_count"].GetInt() == 4);
        // The original kept approvals in its process memory only: its workspace has none.
        auto approvals = parse(c.Get("/api/approvals", t)->body);
        REQUIRE(approvals.IsArray());
        CHECK(approvals.Size() == 0);
        CHECK(c.Get("/api/workspace/file/notes.md", t)->body == before.at("notes.md"));

        // The broken session is reported, not rewritten: degraded, still 200.
        auto ready = c.Get("/health/ready");
        CHECK(ready->status == 200);
        auto r = parse(ready->body);
        CHECK(std::string(r["status"].GetString()) == "degraded");
        auto& w = r["components"]["workspace"];
        CHECK_FALSE(w["healthy"].GetBool());
        REQUIRE(w["unreadable"].Size() == 1);
        CHECK(std::string(w["unreadable"][0]["path"].GetString()) == "sessions/broken-session.json");
        CHECK(std::string(w["unreadable"][0]["reason"].GetString()).find("not a session file") == 0);
        CHECK(host.stop() == 0);
    }
    CHECK(files_of(ws) == before);  // every byte as it was, nothing added but the repository and .oxios/audit
    CHECK(fs::is_directory(ws / ".git"));
    fs::remove_all(home);
}

TEST_CASE("original: PUT /api/config and the engine routes write TOML back to config.toml") {
    HostProcess::Options o;
    o.config_file = "config.toml";
    o.config_json = read_file(fixtures() / "config.toml");
    HostProcess host(o);
    auto c = host.client();
    const auto t = bearer("tok-beta");
    const fs::path file = host.root() / "config.toml";

    auto put = c.Put("/api/config", t, R"({"session":{"ttl_hours":5},"engine":{"api_key":""}})", "application/json");
    REQUIRE(put->status == 200);
    auto model = c.Put("/api/engine/model", t, R"({"model_id":"openai/gpt-4o-mini"})", "application/json");
    REQUIRE(model->status == 200);
    auto bad = c.Put("/api/config", t, R"({"gateway":{"port":"x"}})", "application/json");
    CHECK(bad->status == 400);

    const std::string text = read_file(file);
    CHECK(text.find("ttl_hours = 5") != std::string::npos);
    CHECK(text.find("default_model = 'openai/gpt-4o-mini'") != std::string::npos);
    CHECK(text.find("api_key = 'sk-original-provider-key'") != std::string::npos);
    CHECK_FALSE(fs::exists(host.root() / "config.json"));
    const std::string applied = c.Get("/api/config", t)->body;
    CHECK(host.stop() == 0);

    // The file written is TOML that a new host reads back to the same config.
    o.config_json = text;
    HostProcess again(o);
    auto c2 = again.client();
    CHECK(parse(c2.Get("/api/config", t)->body) == parse(applied));
    CHECK(parse(applied)["engine"]["api_key_set"].GetBool());
}

TEST_CASE("original: --check-config explains the config, or exits 2 naming the line and key") {
    std::string out;
    CHECK(oxios::test::run_host_once({"--check-config", (fixtures() / "config.toml").string()}, &out) == 0);
    CHECK(out.find("gateway.port = 4311    # file, line 7") != std::string::npos);
    CHECK(out.find("engine.api_key = (set, hidden)") != std::string::npos);
    CHECK(out.find("sk-original-provider-key") == std::string::npos);
    CHECK(out.find("tok-alpha") == std::string::npos);
    CHECK(out.find("gateway.reply_timeout_secs = 90    # file, line 8") != std::string::npos);
    CHECK(out.find("channels.telegram.bot_token_env (line 90): not a key of this host") != std::string::npos);
    CHECK(out.find("rate_limit_per_minute = 0 means no limit here") != std::string::npos);

    CHECK(oxios::test::run_host_once({"--check-config", (fixtures() / "config.json").string()}, &out) == 0);
    CHECK(out.find("gateway.port = 4311    # file") != std::string::npos);

    const fs::path dir = fs::temp_directory_path() / ("oxios-check-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    auto refused = [&](const std::string& text, const std::string& line, const std::string& key) {
        std::ofstream(dir / "config.toml") << text;
        CAPTURE(text);
        for (const char* flag : {"--check-config", "--config"}) {
            CHECK(oxios::test::run_host_once({flag, (dir / "config.toml").string(), "--port", "0"}, &out) == 2);
            CAPTURE(out);
            CHECK(out.find(line) != std::string::npos);
            CHECK(out.find(key) != std::string::npos);
        }
    };
    refused("[gateway]\nport = 4200\nport = 4300\n", "line 3", "gateway.port");
    refused("[security]\n\nauth_enabled = \"yes\"\n", "line 3", "security.auth_enabled: must be a boolean");
    refused("[engine]\nsystem_prompt = \"never closed\n", "line 2", "engine.system_prompt");
    fs::remove_all(dir);
    CHECK(oxios::test::run_host_once({"--check-config", "/nonexistent/config.toml"}, &out) == 2);
}
