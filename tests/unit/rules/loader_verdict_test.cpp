// One set of ABI rules: every bad-plugin fixture gets the same verdict from
// the host's loader (PluginManager) and from the mock host harness.
#include "harness/mock_host.hpp"
#include "kernel.hpp"
#include "plugins/plugin_manager.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>

namespace fs = std::filesystem;

namespace {

std::string fixture(const std::string& name) {
    const char* dir = std::getenv("OXIOS_FIXTURES");
    REQUIRE(dir != nullptr);
    return (fs::path(dir) / (name + ".so")).string();
}

struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() / ("oxios-verdict-" + std::to_string(std::random_device{}()));
        fs::create_directories(path / "plugins");
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// What follows "<prefix>" in a refusal, or "loaded".
std::string reason_after(const std::string& why, const std::string& prefix) {
    const auto at = why.find(prefix);
    return at == std::string::npos ? "unexpected message: " + why : why.substr(at + prefix.size());
}

std::string host_verdict(const std::string& file) {
    TempDir dir;
    oxios::kernel::Kernel::Options ko;
    ko.workspace_override = (dir.path / "ws").string();
    oxios::kernel::Kernel kernel(ko);
    oxios::plugins::PluginManager::Options po;
    po.plugin_dir = (dir.path / "plugins").string();
    oxios::plugins::PluginManager manager(po, kernel);
    const std::string why = manager.load_or_reload(file, true);
    manager.shutdown();
    kernel.shutdown(1000);
    return why.empty() ? "loaded" : reason_after(why, file + ": ");
}

std::string harness_verdict(const std::string& file) {
    oxios::harness::MockHost host;
    try {
        host.load(file);
    } catch (const std::runtime_error& e) {
        return reason_after(e.what(), "cannot load plugin '" + file + "': ");
    }
    return "loaded";
}

}  // namespace

TEST_CASE("host and harness give every fixture the same verdict") {
    struct Case {
        const char* fixture;
        const char* verdict;  // the start of the reason both must give
    };
    const Case cases[] = {
        {"abi_major", "ABI major 99 does not match the host's 1"},
        {"small_descriptor", "descriptor too small (16 bytes, need "},
        {"no_entry", "no entry symbol oxios_plugin_entry"},
        {"null_entry", "the entry function returned no descriptor"},
        {"create_fails", "create failed: OXIOS_E_INTERNAL"},
        {"create_throws", "create threw: fixture: create throws"},
        {"start_fails", "start failed: OXIOS_E_INTERNAL"},
        {"route_twice", "route rejected: route conflict: GET /fixture/route_twice is already registered"},
        // Alone, /health conflicts with nothing (beside the web plugin, the
        // host refuses it: tests/integration/bad_plugins_test.cpp).
        {"duplicate_route", "loaded"},
        {"good_fixture", "loaded"},
        {"handler_throws", "loaded"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.fixture);
        const std::string file = fixture(c.fixture);
        REQUIRE(fs::exists(file));
        const std::string host = host_verdict(file);
        const std::string harness = harness_verdict(file);
        CHECK(host == harness);
        CHECK(host.rfind(c.verdict, 0) == 0);
    }
}
