// The web UI's static files (GET /{*path} outside /api): content types, SPA
// fallback, real files anywhere, containment, validators and 304, gzip,
// Cache-Control, and where the UI directory comes from.
#include "plugin_fixture.hpp"

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

using namespace plugin_test;
namespace fs = std::filesystem;

namespace {

std::string gunzip(const std::string& in) {
    z_stream zs{};
    REQUIRE(inflateInit2(&zs, 15 + 16) == Z_OK);
    std::string out;
    char buf[16384];
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    int rc = Z_OK;
    while (rc == Z_OK) {
        zs.next_out = reinterpret_cast<Bytef*>(buf);
        zs.avail_out = sizeof buf;
        rc = inflate(&zs, Z_NO_FLUSH);
        out.append(buf, sizeof buf - zs.avail_out);
    }
    inflateEnd(&zs);
    REQUIRE(rc == Z_STREAM_END);
    return out;
}

void write(const fs::path& p, const std::string& content) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string big_text(size_t n) {
    std::string s;
    while (s.size() < n) s += "export const line" + std::to_string(s.size()) + " = 'hello world';\n";
    return s;
}

// Sets (or clears) an environment variable for one scope.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value)
            ::setenv(name, value->c_str(), 1);
        else
            ::unsetenv(name);
    }
    ~ScopedEnv() {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

// A UI directory in a temp root, with a secret file next to (outside) it.
struct UiFixture : Fixture {
    fs::path root;
    fs::path ui;
    ScopedEnv no_env{"OXIOS_WEB_UI_DIR", std::nullopt};
    std::string js = big_text(4096);

    UiFixture() {
        std::string tmpl = (fs::temp_directory_path() / "oxios-ui-test-XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        root = tmpl;
        ui = root / "ui";
        write(ui / "index.html", "<!doctype html><title>Oxios</title>INDEX");
        write(ui / "favicon.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
        write(ui / "assets" / "app.js", js);
        write(ui / "assets" / "mod.mjs", "export default 1;\n");
        write(ui / "assets" / "app.css", "body{color:red}\n");
        write(ui / "assets" / "app.js.map", "{}");
        write(ui / "assets" / "index-D3xRj5Qb.js", "console.log(1);\n");
        write(ui / "assets" / "logo.png", std::string("\x89PNG\r\n\x1a\n", 8) + std::string(4000, '\0'));
        write(ui / "assets" / "font.woff2", std::string(2000, 'w'));
        write(ui / "favicon.ico", std::string(2000, 'i'));
        write(ui / "robots.txt", "User-agent: *\n");
        write(ui / "locales" / "en" / "common.json", R"({"hello":"Hello"})");
        write(root / "secret.txt", "TOP SECRET");
        use_dir(ui);
    }
    ~UiFixture() {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
    void use_dir(const fs::path& dir) { host.set_config(R"({"web":{"ui_dir":)" + json_string(dir.string()) + "}}"); }
};

void check_not_found_json(const Response& r) {
    CHECK(r.status == 404);
    CHECK(r.content_type.rfind("application/json", 0) == 0);
    CHECK(r.body.find("TOP SECRET") == std::string::npos);
    CHECK(r.body.find("INDEX") == std::string::npos);
}

}  // namespace

TEST_CASE_FIXTURE(UiFixture, "content types by extension") {
    const std::pair<const char*, const char*> cases[] = {
        {"/", "text/html"},
        {"/index.html", "text/html"},
        {"/assets/app.js", "text/javascript"},
        {"/assets/mod.mjs", "text/javascript"},
        {"/assets/app.css", "text/css"},
        {"/assets/app.js.map", "application/json"},
        {"/locales/en/common.json", "application/json"},
        {"/favicon.svg", "image/svg+xml"},
        {"/assets/logo.png", "image/png"},
        {"/favicon.ico", "image/x-icon"},
        {"/assets/font.woff2", "font/woff2"},
        {"/robots.txt", "text/plain"},
    };
    for (const auto& [path, type] : cases) {
        const std::string target = path;
        CAPTURE(target);
        const auto r = host.get(target);
        CHECK(r.status == 200);
        CHECK(r.content_type.rfind(type, 0) == 0);
        CHECK(r.header("X-Content-Type-Options") == "nosniff");
    }
    CHECK(host.get("/").content_type == "text/html; charset=utf-8");
    CHECK(host.get("/assets/app.css").body == "body{color:red}\n");
    CHECK(host.get("/assets/logo.png").body.size() == 4008);
}

TEST_CASE_FIXTURE(UiFixture, "client routes get index.html; real files win wherever they are") {
    for (const char* path : {"/", "/chat", "/chat/abc-123", "/settings/", "/sessions/x?tab=2", "/health/x"}) {
        const std::string target = path;
        CAPTURE(target);
        const auto r = host.get(target);
        CHECK(r.status == 200);
        CHECK(r.body.find("INDEX") != std::string::npos);
        CHECK(r.content_type == "text/html; charset=utf-8");
        CHECK(r.header("Cache-Control") == "no-cache");
    }
    CHECK(host.get("/favicon.svg").body.find("<svg") == 0);
    CHECK(host.get("/locales/en/common.json").body == R"({"hello":"Hello"})");
    // A directory is not a file: client route.
    CHECK(host.get("/locales/en").body.find("INDEX") != std::string::npos);
    // A missing file under /assets/ is a 404, never index.html as JavaScript.
    check_not_found_json(host.get("/assets/missing.js"));
    check_not_found_json(host.get("/assets/"));
}

TEST_CASE_FIXTURE(UiFixture, "/api paths stay JSON: unknown is 404, wrong method 405") {
    error_of(host.get("/api/nope"), 404);
    error_of(host.get("/api/sessions/abc/def/ghi"), 404);
    error_of(host.get("/api"), 404);
    const auto r = host.request({.method = "DELETE", .target = "/api/status"});
    CHECK(r.status == 405);
    // Known API routes are unaffected.
    CHECK(host.get("/health").status == 200);
}

TEST_CASE_FIXTURE(UiFixture, "no path escapes the UI directory") {
    // Symlinks inside the UI that lead out: a file and a directory.
    fs::create_symlink(root / "secret.txt", ui / "leak.txt");
    fs::create_symlink(root, ui / "up");
    // A symlink that stays inside is fine.
    fs::create_symlink(ui / "robots.txt", ui / "robots-link.txt");

    for (const char* path :
         {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/%2e%2e/secret.txt",
          "/assets/..%2f..%2fsecret.txt", "/%2e%2e%2fsecret.txt", "/..%5csecret.txt", "/./index.html", "/leak.txt",
          "/up/secret.txt", "/up", "/index.html%00.txt", "/assets/%00", "//etc/passwd"}) {
        const std::string target = path;
        CAPTURE(target);
        const auto r = host.get(target);
        CHECK(r.status == 404);
        CHECK(r.body.find("TOP SECRET") == std::string::npos);
        CHECK(r.content_type.rfind("application/json", 0) == 0);
    }
    CHECK(host.get("/robots-link.txt").body == "User-agent: *\n");

    // index.html itself leading out is refused too.
    fs::remove(ui / "index.html");
    fs::create_symlink(root / "secret.txt", ui / "index.html");
    check_not_found_json(host.get("/"));
    check_not_found_json(host.get("/some/route"));
}

TEST_CASE_FIXTURE(UiFixture, "a missing index.html is a JSON 404; files still served") {
    fs::remove(ui / "index.html");
    check_not_found_json(host.get("/"));
    check_not_found_json(host.get("/chat"));
    CHECK(host.get("/favicon.svg").status == 200);
}

TEST_CASE_FIXTURE(UiFixture, "a missing UI directory is a JSON 404") {
    use_dir(root / "nope");
    check_not_found_json(host.get("/"));
    check_not_found_json(host.get("/favicon.svg"));
}

TEST_CASE_FIXTURE(UiFixture, "Cache-Control by kind of file") {
    CHECK(host.get("/").header("Cache-Control") == "no-cache");
    CHECK(host.get("/index.html").header("Cache-Control") == "no-cache");
    CHECK(host.get("/anything").header("Cache-Control") == "no-cache");
    // Fingerprinted (content-hashed) bundles under /assets/ never change.
    CHECK(host.get("/assets/index-D3xRj5Qb.js").header("Cache-Control") == "public, max-age=31536000, immutable");
    // Unhashed assets change under the same name: always revalidated.
    CHECK(host.get("/assets/app.js").header("Cache-Control") == "no-cache");
    CHECK(host.get("/favicon.svg").header("Cache-Control") == "public, max-age=3600");
    CHECK(host.get("/locales/en/common.json").header("Cache-Control") == "public, max-age=3600");
}

TEST_CASE_FIXTURE(UiFixture, "ETag and Last-Modified give 304 without a body") {
    const auto first = host.get("/assets/app.css");
    REQUIRE(first.status == 200);
    const std::string etag = first.header("ETag");
    const std::string last_modified = first.header("Last-Modified");
    REQUIRE(etag.size() > 2);
    CHECK(etag.front() == '"');
    CHECK(etag.back() == '"');
    CHECK(last_modified.find(" GMT") != std::string::npos);

    auto r = host.get("/assets/app.css", {{"If-None-Match", etag}});
    CHECK(r.status == 304);
    CHECK(r.body.empty());
    CHECK(r.header("ETag") == etag);
    CHECK(r.header("Cache-Control") == "no-cache");
    CHECK(host.get("/assets/app.css", {{"If-None-Match", "\"other\", W/" + etag}}).status == 304);
    CHECK(host.get("/assets/app.css", {{"If-None-Match", "*"}}).status == 304);
    CHECK(host.get("/assets/app.css", {{"If-None-Match", "\"other\""}}).status == 200);

    r = host.get("/assets/app.css", {{"If-Modified-Since", last_modified}});
    CHECK(r.status == 304);
    CHECK(r.body.empty());
    CHECK(host.get("/assets/app.css", {{"If-Modified-Since", "Mon, 01 Jan 2001 00:00:00 GMT"}}).status == 200);
    CHECK(host.get("/assets/app.css", {{"If-Modified-Since", "garbage"}}).status == 200);
    // If-None-Match decides when both are present.
    CHECK(host.get("/assets/app.css", {{"If-None-Match", "\"other\""}, {"If-Modified-Since", last_modified}}).status ==
          200);

    // The SPA fallback revalidates too.
    const auto index = host.get("/chat/1");
    CHECK(host.get("/chat/2", {{"If-None-Match", index.header("ETag")}}).status == 304);

    // A changed file has a new validator and is served again.
    write(ui / "assets" / "app.css", "body{color:blue}\n");
    const auto later = std::filesystem::file_time_type::clock::now() + std::chrono::seconds(5);
    fs::last_write_time(ui / "assets" / "app.css", later);
    r = host.get("/assets/app.css", {{"If-None-Match", etag}});
    CHECK(r.status == 200);
    CHECK(r.body == "body{color:blue}\n");
    CHECK(r.header("ETag") != etag);
}

TEST_CASE_FIXTURE(UiFixture, "gzip when the client accepts it and it is worth it") {
    auto r = host.get("/assets/app.js", {{"Accept-Encoding", "gzip, deflate, br"}});
    REQUIRE(r.status == 200);
    CHECK(r.header("Content-Encoding") == "gzip");
    CHECK(r.header("Vary") == "Accept-Encoding");
    CHECK(r.content_type.rfind("text/javascript", 0) == 0);
    CHECK(r.body.size() < js.size());
    CHECK(gunzip(r.body) == js);
    const std::string gz_etag = r.header("ETag");

    // Served again from the cache: same bytes.
    CHECK(host.get("/assets/app.js", {{"Accept-Encoding", "gzip"}}).body == r.body);

    // Not accepted: identity (with its own validator).
    auto plain = host.get("/assets/app.js");
    CHECK(plain.header("Content-Encoding").empty());
    CHECK(plain.body == js);
    CHECK(plain.header("Vary") == "Accept-Encoding");
    CHECK(plain.header("ETag") != gz_etag);
    CHECK(host.get("/assets/app.js", {{"Accept-Encoding", "gzip;q=0, br"}}).header("Content-Encoding").empty());
    CHECK(host.get("/assets/app.js", {{"Accept-Encoding", "identity"}}).header("Content-Encoding").empty());
    CHECK(host.get("/assets/app.js", {{"Accept-Encoding", "*"}}).header("Content-Encoding") == "gzip");

    // Either tag revalidates.
    CHECK(host.get("/assets/app.js", {{"Accept-Encoding", "gzip"}, {"If-None-Match", gz_etag}}).status == 304);
    CHECK(host.get("/assets/app.js", {{"If-None-Match", gz_etag}}).status == 304);

    // Small files and already-compressed types are sent as they are.
    CHECK(host.get("/assets/app.css", {{"Accept-Encoding", "gzip"}}).header("Content-Encoding").empty());
    CHECK(host.get("/assets/logo.png", {{"Accept-Encoding", "gzip"}}).header("Content-Encoding").empty());
    CHECK(host.get("/assets/font.woff2", {{"Accept-Encoding", "gzip"}}).header("Content-Encoding").empty());

    // A changed file is compressed afresh.
    const std::string js2 = big_text(8000);
    write(ui / "assets" / "app.js", js2);
    fs::last_write_time(ui / "assets" / "app.js",
                        std::filesystem::file_time_type::clock::now() + std::chrono::seconds(7));
    CHECK(gunzip(host.get("/assets/app.js", {{"Accept-Encoding", "gzip"}}).body) == js2);
}

TEST_CASE_FIXTURE(UiFixture, "the UI directory: config web.ui_dir, then env OXIOS_WEB_UI_DIR, then the bundled UI") {
    const fs::path other = root / "dist";
    write(other / "index.html", "DIST INDEX");
    write(other / "assets" / "index-Ab12Cd34.js", "dist();");

    // Config wins over the env.
    ScopedEnv env("OXIOS_WEB_UI_DIR", ui.string());
    use_dir(other);
    CHECK(host.get("/").body == "DIST INDEX");
    CHECK(host.get("/assets/index-Ab12Cd34.js").body == "dist();");
    check_not_found_json(host.get("/assets/app.js"));

    // Empty (the default) or absent config: the env.
    host.set_config(R"({"web":{"ui_dir":""}})");
    CHECK(host.get("/").body.find("INDEX") != std::string::npos);
    CHECK(host.get("/assets/app.js").body == js);
    host.set_config("{}");
    CHECK(host.get("/assets/app.js").body == js);

    // Neither: the UI bundled into the .so at build time; a `ui` directory
    // next to the loaded .so is not looked at.
    {
        ScopedEnv none("OXIOS_WEB_UI_DIR", std::nullopt);
        const std::string bundled_index = slurp(fs::path(std::getenv("OXIOS_UI_DIR")) / "index.html");
        const fs::path beside = fs::path(host.plugin_copy_path()).parent_path() / "ui";
        write(beside / "index.html", "BESIDE THE SO");
        CHECK(host.get("/").body == bundled_index);
        CHECK(host.get("/x/y").body == bundled_index);
        std::error_code ec;
        fs::remove_all(beside, ec);
    }

    // "~/" expands to $HOME.
    {
        ScopedEnv home("HOME", root.string());
        host.set_config(R"({"web":{"ui_dir":"~/dist"}})");
        CHECK(host.get("/").body == "DIST INDEX");
    }
}

TEST_CASE_FIXTURE(UiFixture, "the UI is public even when auth is on; /api is not") {
    host.set_config(R"({"security":{"auth_enabled":true},"web":{"ui_dir":)" + json_string(ui.string()) + "}}");
    host.set_tokens({"t0k"});
    CHECK(host.get("/").status == 200);
    CHECK(host.get("/assets/app.js").status == 200);
    CHECK(host.get("/chat/route").status == 200);
    error_of(host.get("/api/nope"), 401);
}

TEST_CASE_FIXTURE(Fixture, "the bundled UI: every file of plugin/ui, by the same rules as from disk") {
    ScopedEnv none("OXIOS_WEB_UI_DIR", std::nullopt);
    host.set_config("{}");
    const fs::path source = std::getenv("OXIOS_UI_DIR");  // what the build embedded
    size_t files = 0;
    for (const auto& e : fs::recursive_directory_iterator(source)) {
        if (!e.is_regular_file()) continue;
        const std::string path = "/" + fs::relative(e.path(), source).generic_string();
        CAPTURE(path);
        const Response r = host.get(path);
        CHECK(r.status == 200);
        CHECK(r.body == slurp(e.path()));
        ++files;
    }
    CHECK(files >= 5);

    const std::string index = slurp(source / "index.html");
    const Response root = host.get("/");
    CHECK(root.body == index);
    CHECK(root.content_type == "text/html; charset=utf-8");
    CHECK(root.header("Cache-Control") == "no-cache");
    CHECK(host.get("/chat/some/route").body == index);
    check_not_found_json(host.get("/assets/missing.js"));
    check_not_found_json(host.get("/../index.html"));
    check_not_found_json(host.get("/assets/../../secret"));

    // Validators: a strong ETag per content, 304 on either validator.
    const std::string js = slurp(source / "assets" / "app.js");
    REQUIRE(js.size() > 1024);
    const Response app = host.get("/assets/app.js");
    CHECK(app.content_type == "text/javascript; charset=utf-8");
    CHECK(app.header("Cache-Control") == "no-cache");
    CHECK(app.header("X-Content-Type-Options") == "nosniff");
    const std::string etag = app.header("ETag");
    REQUIRE(etag.size() > 2);
    CHECK(etag.front() == '"');
    CHECK(host.get("/assets/app.js").header("ETag") == etag);
    CHECK(host.get("/assets/app.css").header("ETag") != etag);
    const Response revalidated = host.get("/assets/app.js", {{"If-None-Match", etag}});
    CHECK(revalidated.status == 304);
    CHECK(revalidated.body.empty());
    CHECK(host.get("/assets/app.js", {{"If-Modified-Since", app.header("Last-Modified")}}).status == 304);

    // gzip when accepted, with its own tag.
    const Response gz = host.get("/assets/app.js", {{"Accept-Encoding", "gzip"}});
    CHECK(gz.header("Content-Encoding") == "gzip");
    CHECK(gz.header("Vary") == "Accept-Encoding");
    CHECK(gz.header("ETag") != etag);
    CHECK(gunzip(gz.body) == js);
}
