// Runs a real oxios-host for integration tests: a private temp workspace and
// plugin directory, a free port on 127.0.0.1 (the host picks it: --port 0),
// stdout/stderr captured to files, stopped (SIGTERM) by the destructor.
#pragma once

#include <httplib.h>
#include <oxios/version.h>  // OXIOS_VERSION: what the host and the web plugin report

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace oxios::test {

// A WebSocket upgrade sent as a plain request, to read a refusal's status and body.
inline httplib::Result upgrade_request(httplib::Client c, const std::string& target, httplib::Headers extra = {}) {
    httplib::Headers h = {{"Upgrade", "websocket"},
                          {"Connection", "Upgrade"},
                          {"Sec-WebSocket-Version", "13"},
                          {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}};
    h.insert(extra.begin(), extra.end());
    return c.Get(target.c_str(), h);
}

std::string env_or(const char* name, const std::string& fallback = "");
std::string read_file(const std::filesystem::path& p);  // "" when unreadable

class HostProcess {
public:
    struct Options {
        std::string config_json = "{}";           // written to <root>/<config_file> (TOML text for .toml)
        std::string config_file = "config.json";  // "" = no --config (the host's default path)
        bool pass_workspace = true;               // --workspace <root>/workspace
        bool pass_port = true;                    // --port 0
        std::vector<std::string> env;             // NAME=VALUE set for the host
        bool copy_web_plugin = true;              // into the plugin directory
        std::vector<std::string> extra_args;
        bool expect_start = true;  // wait for the listening line
    };

    HostProcess();  // default options
    explicit HostProcess(Options options);
    ~HostProcess();
    HostProcess(const HostProcess&) = delete;
    HostProcess& operator=(const HostProcess&) = delete;

    int port() const { return port_; }
    int pid() const { return pid_; }
    const std::filesystem::path& root() const { return root_; }
    std::filesystem::path plugin_dir() const { return root_ / "plugins"; }
    std::filesystem::path workspace() const { return root_ / "workspace"; }
    httplib::Client client() const;

    // Installs `so` as plugin_dir()/<name> the way a build or deploy does
    // (write to a temp name, then rename), which triggers a reload.
    void install_plugin(const std::string& so, const std::string& name = "web_plugin.so") const;
    // Waits until GET /health answers with `version`; false after timeout.
    bool wait_for_version(const std::string& version,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

    std::string log() const;  // stderr so far
    // SIGTERM (or SIGKILL) and wait; returns the exit code (-signal if killed).
    int stop(int sig = 15, std::chrono::milliseconds timeout = std::chrono::seconds(20));
    bool running() const { return pid_ > 0; }

private:
    Options options_;
    std::filesystem::path root_;
    int pid_ = -1;
    int port_ = 0;
    int exit_code_ = 0;
};

// Starts args[0] (a path) with args, stdout/stderr to files, NAME=VALUE env
// added; returns the child's pid.
int spawn(const std::vector<std::string>& args, const std::filesystem::path& out, const std::filesystem::path& err,
          const std::vector<std::string>& env = {});

// Runs the host binary with args and returns its exit code (for bad-config tests).
int run_host_once(const std::vector<std::string>& args, std::string* output = nullptr);

}  // namespace oxios::test
