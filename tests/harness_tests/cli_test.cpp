// The oxios-harness command line tool.
#include "common.hpp"

#include <sys/wait.h>

#include <cstdio>

using namespace harness_test;

namespace {
std::string cli() {
    if (const char* p = std::getenv("OXIOS_HARNESS_CLI")) return p;
    return OXIOS_HARNESS_CLI_DEFAULT;
}

// Runs the CLI; returns (exit code, stdout).
std::pair<int, std::string> run(const std::string& args) {
    const std::string cmd = cli() + " " + args + " 2>/dev/null";
    FILE* f = ::popen(cmd.c_str(), "r");
    REQUIRE(f != nullptr);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    const int st = ::pclose(f);
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}
}  // namespace

TEST_CASE("oxios-harness: lists routes, performs a request, exit codes") {
    auto [rc, out] = run(plugin_path());
    CHECK(rc == 0);
    CHECK(out.find("plugin: harness-test 1.0.0") != std::string::npos);
    CHECK(out.find("GET /items/{id} plain") != std::string::npos);

    std::tie(rc, out) = run("-q -H 'X-Probe: 7' " + plugin_path() + " post '/echo?a=1' hello");
    CHECK(rc == 0);
    CHECK(out.find("status: 200\ncontent-type: application/json\n") == 0);
    CHECK(out.find("\"body\":\"hello\"") != std::string::npos);
    CHECK(out.find("[\"X-Probe\",\"7\"]") != std::string::npos);

    std::tie(rc, out) = run("-q " + plugin_path() + " GET /nope");
    CHECK(rc == 1);
    CHECK(out.find("status: 404") == 0);

    CHECK(run("/nonexistent/plugin.so").first == 1);
    CHECK(run("").first == 2);
    CHECK(run(plugin_path() + " GET").first == 2);
}
