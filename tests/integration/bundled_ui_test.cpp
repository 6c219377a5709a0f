// A web_plugin.so copied alone into an empty plugin directory serves the
// whole web UI: its files are compiled into the .so.
#include "host_process.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

using oxios::test::HostProcess;
using oxios::test::read_file;
namespace fs = std::filesystem;

TEST_CASE("a web_plugin.so alone in its plugin directory serves every file of the bundled UI") {
    ::unsetenv("OXIOS_WEB_UI_DIR");  // no override: the host's plugin directory holds the .so only
    HostProcess host;
    size_t plugin_dir_entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(host.plugin_dir())) ++plugin_dir_entries;
    REQUIRE(plugin_dir_entries == 1);

    const fs::path source = oxios::test::env_or("OXIOS_UI_DIR");  // plugin/ui, embedded at build time
    REQUIRE(fs::is_regular_file(source / "index.html"));
    auto c = host.client();
    size_t files = 0;
    for (const auto& e : fs::recursive_directory_iterator(source)) {
        if (!e.is_regular_file()) continue;
        const std::string path = "/" + fs::relative(e.path(), source).generic_string();
        CAPTURE(path);
        auto r = c.Get(path);
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(r->body == read_file(e.path()));
        CHECK(r->has_header("ETag"));
        CHECK(r->has_header("Last-Modified"));
        ++files;
    }
    CHECK(files >= 5);

    // Client routes get index.html; a missing asset is a 404.
    auto root = c.Get("/");
    REQUIRE(root);
    CHECK(root->status == 200);
    CHECK(root->body == read_file(source / "index.html"));
    CHECK(root->get_header_value("Content-Type") == "text/html; charset=utf-8");
    CHECK(root->get_header_value("Cache-Control") == "no-cache");
    auto route = c.Get("/chat/some-session");
    REQUIRE(route);
    CHECK(route->body == root->body);
    auto missing = c.Get("/assets/nope.js");
    REQUIRE(missing);
    CHECK(missing->status == 404);

    // The same caching rules as from disk: gzip on request, 304 on revalidation.
    auto app = c.Get("/assets/app.js", {{"Accept-Encoding", "gzip"}});
    REQUIRE(app);
    CHECK(app->status == 200);
    CHECK(app->get_header_value("Content-Type") == "text/javascript; charset=utf-8");
    CHECK(app->get_header_value("Vary") == "Accept-Encoding");
    CHECK(app->get_header_value("Cache-Control") == "no-cache");
    auto again = c.Get("/assets/app.js", {{"If-None-Match", app->get_header_value("ETag")}});
    REQUIRE(again);
    CHECK(again->status == 304);
}
