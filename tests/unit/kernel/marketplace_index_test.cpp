// The marketplace over an HTTP(S) JSON index (docs/api-operator.md,
// "Marketplace"), served by a cpp-httplib server on 127.0.0.1 in the test:
// search and install with relative URLs, sha256, the 4 MiB / bad JSON / stall
// / redirect / non-loopback refusals, the cache, and HTTPS with a CA trusted
// (or not) through SSL_CERT_FILE.
#include "audit/audit_chain.hpp"
#include "config/config_schema.hpp"
#include "marketplace/marketplace.hpp"
#include "services_test_support.hpp"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <thread>

using namespace services_test;
using oxios::kernel::marketplace::Settings;
using Ms = std::chrono::milliseconds;

namespace {

// Serves `files` by path; "/stall..." answers only when the server stops (or
// after 5 s); counts the requests of each path.
class IndexServer {
public:
    explicit IndexServer(std::unique_ptr<httplib::Server> server = std::make_unique<httplib::Server>())
        : server_(std::move(server)) {
        server_->Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
            std::unique_lock lock(mutex_);
            ++hits_[req.path];
            if (req.path.starts_with("/stall")) {
                released_.wait_for(lock, std::chrono::seconds(5), [this] { return stopping_; });
                res.set_content("{}", "application/json");
                return;
            }
            if (const auto r = redirects_.find(req.path); r != redirects_.end()) return res.set_redirect(r->second);
            const auto f = files_.find(req.path);
            if (f == files_.end()) {
                res.status = 404;
                return;
            }
            res.set_content(f->second, "application/json");
        });
        port_ = server_->bind_to_any_port("127.0.0.1");
        REQUIRE(port_ > 0);
        thread_ = std::thread([this] { server_->listen_after_bind(); });
    }
    ~IndexServer() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        released_.notify_all();
        server_->stop();
        thread_.join();
    }
    void serve(const std::string& path, const std::string& body) {
        std::lock_guard lock(mutex_);
        files_[path] = body;
    }
    void redirect(const std::string& from, const std::string& to) {
        std::lock_guard lock(mutex_);
        redirects_[from] = to;
    }
    int hits(const std::string& path) {
        std::lock_guard lock(mutex_);
        return hits_[path];
    }
    std::string url(const std::string& path, const std::string& scheme = "http") const {
        return scheme + "://127.0.0.1:" + std::to_string(port_) + path;
    }

private:
    std::unique_ptr<httplib::Server> server_;
    std::mutex mutex_;
    std::condition_variable released_;
    bool stopping_ = false;
    std::map<std::string, std::string> files_, redirects_;
    std::map<std::string, int> hits_;
    int port_ = 0;
    std::thread thread_;
};

struct IndexMarket : Fixture {
    Settings settings;
    IndexServer server;
    const std::string notes_md = skill_md("Notes", "Write notes with git history", "2.0.0");

    IndexMarket() {
        settings.registry = server.url("/reg/index.json");
        settings.timeout_ms = 2000;
        settings.max_files = 8;
        settings.max_skill_bytes = 4096;
        oxios::kernel::register_marketplace_service(*registry, context(), [this] { return settings; });
        // Relative ("files/..."), host-relative and absolute file URLs.
        server.serve("/reg/index.json", R"({"skills":[
          {"slug":"git-helper","name":"Git Helper","summary":"Commits and branches","version":"1.0.0",
           "updatedAt":1780000000000,"files":[{"path":"SKILL.md","url":"files/git-helper.md"}]},
          {"slug":"docker","name":"Docker","summary":"Containers; works with git repos",
           "updatedAt":"2026-05-28T00:00:00Z","files":[{"path":"SKILL.md","url":"/other/docker.md"}]},
          {"slug":"notes","name":"Notes","summary":"Write notes with git history","version":"2.0.0","files":[
             {"path":"SKILL.md","url":")" + server.url("/reg/files/notes.md") +
                                            R"(","sha256":")" + oxios::kernel::audit::sha256_hex(notes_md) + R"("},
             {"path":"templates/daily.md","url":"files/daily.md"}]},
          {"slug":"bad-sha","name":"Bad","summary":"x","files":[{"path":"SKILL.md","url":"files/notes.md",
             "sha256":"0000000000000000000000000000000000000000000000000000000000000000"}]},
          {"slug":"escape","name":"Escape","summary":"x","files":[{"path":"SKILL.md","url":"files/notes.md"},
             {"path":"../../outside/x","url":"files/daily.md"}]},
          {"slug":"slow","name":"Slow","summary":"x","files":[{"path":"SKILL.md","url":"/stall/slow.md"}]},
          {"slug":"../bad slug","files":[]}
        ]})");
        server.serve("/reg/files/git-helper.md", skill_md("Git Helper", "Commits and branches", "2.0.0"));
        server.serve("/other/docker.md", skill_md("Docker", "Containers", "2.0.0"));
        server.serve("/reg/files/notes.md", notes_md);
        server.serve("/reg/files/daily.md", "# day\n");
    }
    Result search(const std::string& q) { return call("marketplace.search", Args().set("q", q)); }
    Result install(const std::string& slug) { return call("marketplace.install", Args().set("slug", slug)); }
};

// Sets SSL_CERT_FILE for one scope.
struct CertFileEnv {
    std::optional<std::string> old;
    explicit CertFileEnv(const fs::path& file) {
        if (const char* v = std::getenv("SSL_CERT_FILE")) old = v;
        ::setenv("SSL_CERT_FILE", file.c_str(), 1);
    }
    ~CertFileEnv() { old ? ::setenv("SSL_CERT_FILE", old->c_str(), 1) : ::unsetenv("SSL_CERT_FILE"); }
};

// A self-signed certificate for 127.0.0.1/localhost (its own CA), by the openssl CLI.
void make_cert(const fs::path& dir) {
    const std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
        "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
        (dir / "key.pem").string() + " -out " + (dir / "cert.pem").string() + " 2>/dev/null";
    REQUIRE(std::system(cmd.c_str()) == 0);
}

}  // namespace

TEST_CASE_FIXTURE(IndexMarket, "marketplace index: search ranks like a directory registry; the index is cached") {
    auto r = search("git");
    REQUIRE(r.ok());
    auto hits = parse(r.body);
    REQUIRE(hits.Size() == 3);  // the bad slug skipped
    CHECK(std::string(hits[0]["slug"].GetString()) == "git-helper");
    CHECK(hits[0]["score"].GetDouble() == 1.0);
    CHECK(std::string(hits[0]["displayName"].GetString()) == "Git Helper");
    CHECK(hits[0]["updatedAt"].GetInt64() == 1780000000000);
    CHECK(std::string(hits[1]["slug"].GetString()) == "docker");  // summary only: 0.4, ties by slug
    CHECK(hits[1]["score"].GetDouble() == 0.4);
    CHECK(hits[1]["updatedAt"].GetInt64() == 1779926400000);  // the RFC 3339 form
    CHECK(hits[1]["version"].IsNull());
    CHECK(std::string(hits[2]["slug"].GetString()) == "notes");
    CHECK_FALSE(hits[2]["installed"].GetBool());
    CHECK(server.hits("/reg/index.json") == 1);
    CHECK(parse(search("help git").body)[0]["score"].GetDouble() == 0.85);
    CHECK(server.hits("/reg/index.json") == 1);  // within cache_secs: no request
    settings.cache_secs = 0;
    CHECK(search("git").ok());
    CHECK(server.hits("/reg/index.json") == 2);
}

TEST_CASE_FIXTURE(IndexMarket, "marketplace index: install fetches the files (relative URLs, sha256) and lists them") {
    auto r = install("notes");
    REQUIRE_MESSAGE(r.ok(), r.body);
    CHECK(slurp(ws / "skills" / "notes" / "SKILL.md") == notes_md);
    CHECK(slurp(ws / "skills" / "notes" / "templates" / "daily.md") == "# day\n");
    auto origin = parse(slurp(ws / "skills" / "notes" / ".origin.json"));
    CHECK(std::string(origin["registry"].GetString()) == settings.registry);
    CHECK(std::string(origin["version"].GetString()) == "2.0.0");
    CHECK(std::string(ok("skills.get", Args().set("name", "notes"))["source"].GetString()) == "managed");
    CHECK(events.back().fields == R"({"name":"notes","version":"2.0.0","source":"marketplace"})");
    CHECK(install("git-helper").ok());
    CHECK(install("docker").ok());  // "/other/docker.md": host-relative
    CHECK(install("notes").status == OXIOS_E_CONFLICT);
    CHECK(parse(search("notes").body)[0]["installed"].GetBool());
}

TEST_CASE_FIXTURE(IndexMarket, "marketplace index: a failed install leaves nothing (sha256, path, size, count)") {
    auto bad = install("bad-sha");
    CHECK(bad.status == OXIOS_E_UPSTREAM);
    CHECK(error_of(bad) == "invalid skill 'bad-sha': sha256 mismatch for SKILL.md");
    CHECK(error_of(install("escape")) == "invalid skill 'escape': dot path ../../outside/x");
    CHECK_FALSE(fs::exists(outside / "x"));
    server.serve("/reg/files/notes.md", skill_md("Notes", std::string(5000, 'n'), "2.0.0"));
    settings.cache_secs = 0;
    CHECK(install("notes").status == OXIOS_E_TOO_LARGE);
    settings.max_files = 1;
    server.serve("/reg/files/notes.md", notes_md);
    CHECK(install("notes").status == OXIOS_E_TOO_LARGE);
    CHECK(listing(ws / "skills").empty());  // no skill, no staging directory
}

TEST_CASE_FIXTURE(IndexMarket, "marketplace index: bad index, stalls and refusals answer 502 / 504") {
    settings.cache_secs = 0;
    server.serve("/reg/index.json", "{not json");
    CHECK(error_of(search("git")) == "invalid registry index: not a JSON object");
    server.serve("/reg/index.json", R"({"skills":[{"slug":"a","files":[{"path":"SKILL.md"}]}]})");
    CHECK(error_of(search("git")) == "invalid registry index: skills[0]: url is required");
    server.serve("/reg/index.json", R"({"skills":[)" + std::string(4 << 20, ' ') + "]}");
    auto big = search("git");
    CHECK(big.status == OXIOS_E_UPSTREAM);
    CHECK(error_of(big) == "invalid registry index: larger than 4 MiB");
    std::string many = R"({"skills":[)";
    for (int i = 0; i <= 10'000; ++i) many += std::string(i ? "," : "") + "{}";
    server.serve("/reg/index.json", many + "]}");
    CHECK(error_of(search("git")) == "invalid registry index: more than 10000 entries");

    settings.registry = server.url("/missing.json");
    CHECK(error_of(search("git")).starts_with("marketplace registry unreachable: HTTP 404"));

    // A stall: 504 within timeout_ms (+ a margin), for the index and for a file.
    settings.timeout_ms = 300;
    settings.registry = server.url("/stall/index.json");
    auto t0 = std::chrono::steady_clock::now();
    auto stalled = search("git");
    CHECK_MESSAGE(stalled.status == OXIOS_E_TIMEOUT, stalled.body);
    CHECK(std::chrono::steady_clock::now() - t0 < Ms(1000));
    settings.registry = server.url("/reg/index.json");
    server.serve("/reg/index.json", R"({"skills":[{"slug":"slow","files":[{"path":"SKILL.md","url":"/stall/s"}]}]})");
    settings.cache_secs = 60;
    REQUIRE(search("slow").ok());  // the index is now cached: the install's budget is its files'
    t0 = std::chrono::steady_clock::now();
    CHECK(install("slow").status == OXIOS_E_TIMEOUT);
    CHECK(std::chrono::steady_clock::now() - t0 < Ms(1000));
    CHECK(listing(ws / "skills").empty());

    // http:// only to loopback: refused before any request, also through a redirect.
    settings.timeout_ms = 5000;
    settings.registry = "http://10.255.255.1:9/index.json";
    t0 = std::chrono::steady_clock::now();
    const std::string why = error_of(search("git"));
    CHECK(why ==
          "marketplace registry unreachable: http:// is only allowed to a loopback host (127.0.0.0/8, "
          "::1, localhost); use https://");
    CHECK(std::chrono::steady_clock::now() - t0 < Ms(500));
    server.redirect("/moved.json", "http://10.255.255.1:9/index.json");
    settings.registry = server.url("/moved.json");
    CHECK(error_of(search("git"))
              .starts_with("marketplace registry unreachable: redirect to http://10.255.255.1:9/index.json refused"));
    server.redirect("/moved-here.json", "/reg/index.json");  // a redirect on loopback is followed
    settings.registry = server.url("/moved-here.json");
    CHECK(search("slow").ok());
}

TEST_CASE("marketplace index: config refuses an http:// registry that is not loopback, naming the key") {
    auto check = [](const std::string& registry) {
        auto doc = parse(R"({"marketplace":{"registry":")" + registry + R"("}})");
        return oxios::kernel::config_schema::validate(doc);
    };
    const auto why = check("http://example.com/index.json");
    REQUIRE(why);
    CHECK(why->starts_with("marketplace.registry: http:// is only allowed to a loopback host"));
    CHECK(check("ftp://example.com/x") == std::nullopt);  // not a URL scheme we read: a directory name
    CHECK(check("https://example.com/index.json") == std::nullopt);
    CHECK(check("http://127.0.0.2:8080/index.json") == std::nullopt);
    CHECK(check("http://[::1]:8080/index.json") == std::nullopt);
    CHECK(check("http://localhost/index.json") == std::nullopt);
    CHECK(check("https://user:pw@example.com/i.json")->starts_with("marketplace.registry: credentials"));
}

TEST_CASE_FIXTURE(Fixture, "marketplace index: HTTPS with the certificate verified against SSL_CERT_FILE") {
    make_cert(outside);
    fs::create_directories(outside / "other");
    make_cert(outside / "other");
    IndexServer tls(
        std::make_unique<httplib::SSLServer>((outside / "cert.pem").c_str(), (outside / "key.pem").c_str()));
    const std::string md = skill_md("Secure", "over TLS", "2.0.0");
    tls.serve("/index.json", R"({"skills":[{"slug":"secure","files":[{"path":"SKILL.md","url":"secure.md"}]}]})");
    tls.serve("/secure.md", md);
    Settings settings;
    settings.registry = tls.url("/index.json", "https");
    settings.cache_secs = 0;
    oxios::kernel::register_marketplace_service(*registry, context(), [&] { return settings; });
    {
        CertFileEnv untrusted(outside / "other" / "cert.pem");
        const auto r = call("marketplace.search", Args().set("q", "secure"));
        CHECK(r.status == OXIOS_E_UPSTREAM);
        CHECK_MESSAGE(error_of(r).starts_with("marketplace registry unreachable: TLS certificate verification failed"),
                      r.body);
    }
    {
        CertFileEnv trusted(outside / "cert.pem");
        const auto r = call("marketplace.search", Args().set("q", "secure"));
        REQUIRE_MESSAGE(r.ok(), r.body);
        CHECK(parse(r.body).Size() == 1);
        REQUIRE(call("marketplace.install", Args().set("slug", "secure")).ok());
        CHECK(slurp(ws / "skills" / "secure" / "SKILL.md") == md);
    }
}
