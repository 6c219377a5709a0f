// The marketplace over an HTTP index, through the real host: the registry URL
// is set through PUT /api/config (a non-loopback http:// one is a 400 naming
// the key), search and install answer as with a directory, a stalled index is a
// 504 within marketplace.timeout_ms. The index server runs in this process.
#include "host_process.hpp"
#include "json_answer.hpp"

#include <doctest/doctest.h>
#include <httplib.h>
#include <rapidjson/document.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

using oxios::test::HostProcess;
using oxios::test::parse;

TEST_CASE("marketplace over HTTP: an index registry set by PUT /api/config; search, install, 504") {
    httplib::Server index;
    std::atomic<bool> stopping{false};
    index.Get("/index.json", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(R"({"skills":[{"slug":"pdf-tools","name":"PDF Tools","summary":"Split and merge PDF files",)"
                        R"("version":"2.1.0","files":[{"path":"SKILL.md","url":"skills/pdf.md"}]}]})",
                        "application/json");
    });
    index.Get("/skills/pdf.md", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("---\nname: PDF Tools\ndescription: Split and merge PDF files\n---\nUse qpdf.\n",
                        "text/markdown");
    });
    index.Get("/stall.json", [&](const httplib::Request&, httplib::Response& res) {
        for (int i = 0; i < 300 && !stopping; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        res.set_content("{}", "application/json");
    });
    const int port = index.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    std::thread serving([&] { index.listen_after_bind(); });
    const std::string base = "http://127.0.0.1:" + std::to_string(port);

    {
        HostProcess host;
        auto c = host.client();
        auto r =
            c.Put("/api/config", R"({"marketplace":{"registry":"http://example.com/index.json"}})", "application/json");
        REQUIRE(r);
        CHECK(r->status == 400);
        CHECK_MESSAGE(
            r->body.find("marketplace.registry: http:// is only allowed to a loopback host") != std::string::npos,
            r->body);
        r = c.Put("/api/config", R"({"marketplace":{"registry":")" + base + R"(/index.json","timeout_ms":500}})",
                  "application/json");
        REQUIRE(r);
        REQUIRE_MESSAGE(r->status == 200, r->body);

        r = c.Get("/api/marketplace/search?q=pdf%20merge");
        REQUIRE(r);
        REQUIRE_MESSAGE(r->status == 200, r->body);
        auto found = parse(r->body);
        REQUIRE(found.Size() == 1);
        CHECK(found[0]["score"].GetDouble() == 0.7);  // the directory registry's figure for the same skill
        r = c.Post("/api/marketplace/skills/pdf-tools/install", "{}", "application/json");
        REQUIRE(r);
        REQUIRE_MESSAGE(r->status == 200, r->body);
        CHECK(std::string(parse(r->body)["version"].GetString()) == "2.1.0");
        std::ifstream installed(host.workspace() / "skills" / "pdf-tools" / "SKILL.md");
        CHECK(std::string(std::istreambuf_iterator<char>(installed), {}).ends_with("Use qpdf.\n"));

        r = c.Put("/api/config", R"({"marketplace":{"registry":")" + base + R"(/stall.json"}})", "application/json");
        REQUIRE(r);
        REQUIRE(r->status == 200);
        const auto t0 = std::chrono::steady_clock::now();
        r = c.Get("/api/marketplace/search?q=pdf");
        REQUIRE(r);
        CHECK(r->status == 504);
        CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(1500));
    }
    stopping = true;
    index.stop();
    serving.join();
}
