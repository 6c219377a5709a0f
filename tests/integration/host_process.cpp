#include "host_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace fs = std::filesystem;

namespace oxios::test {

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

int spawn(const std::vector<std::string>& args, const fs::path& out, const fs::path& err,
          const std::vector<std::string>& env) {
    int pid = ::fork();
    if (pid == 0) {
        for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
        // dup2, not freopen: freopen would flush the test's own unwritten
        // output (doctest's report so far) into the log a second time.
        const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (o >= 0) ::dup2(o, STDOUT_FILENO);
        if (e >= 0) ::dup2(e, STDERR_FILENO);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        std::_Exit(127);
    }
    return pid;
}

HostProcess::HostProcess() : HostProcess(Options{}) {}

HostProcess::HostProcess(Options options) : options_(std::move(options)) {
    std::string tmpl = (fs::temp_directory_path() / "oxios-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    root_ = tmpl;
    fs::create_directories(plugin_dir());
    fs::create_directories(workspace());
    if (options_.copy_web_plugin) fs::copy_file(env_or("OXIOS_PLUGIN"), plugin_dir() / "web_plugin.so");
    std::vector<std::string> args = {env_or("OXIOS_HOST_BIN"), "--plugins", plugin_dir().string()};
    if (!options_.config_file.empty()) {
        std::ofstream(root_ / options_.config_file) << options_.config_json;
        args.insert(args.end(), {"--config", (root_ / options_.config_file).string()});
    }
    if (options_.pass_workspace) args.insert(args.end(), {"--workspace", workspace().string()});
    if (options_.pass_port) args.insert(args.end(), {"--port", "0"});
    for (auto& a : options_.extra_args) args.push_back(a);
    pid_ = spawn(args, root_ / "stdout.log", root_ / "stderr.log", options_.env);
    if (!options_.expect_start) return;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        auto out = read_file(root_ / "stdout.log");
        auto at = out.find("listening on http://");
        if (at != std::string::npos) {
            auto colon = out.find(':', at + 20);
            port_ = std::atoi(out.c_str() + colon + 1);
            if (port_ > 0) return;
        }
        int status;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("oxios-host exited at start: " + log());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error("oxios-host did not start: " + log());
}

HostProcess::~HostProcess() {
    if (pid_ > 0) stop(SIGTERM, std::chrono::seconds(10));  // SIGKILL only if it hangs
    std::error_code ec;
    if (!env_or("OXIOS_KEEP_TEST_DIRS").size()) fs::remove_all(root_, ec);
}

httplib::Client HostProcess::client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(5);
    c.set_read_timeout(30);
    return c;
}

void HostProcess::install_plugin(const std::string& so, const std::string& name) const {
    auto tmp = plugin_dir() / ("." + name + ".tmp");
    fs::copy_file(so, tmp, fs::copy_options::overwrite_existing);
    fs::rename(tmp, plugin_dir() / name);
}

bool HostProcess::wait_for_version(const std::string& version, std::chrono::milliseconds timeout) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto c = client();
    while (std::chrono::steady_clock::now() < deadline) {
        auto r = c.Get("/health");
        if (r && r->status == 200 && r->body.find("\"version\":\"" + version + "\"") != std::string::npos) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
}

std::string HostProcess::log() const { return read_file(root_ / "stderr.log"); }

int HostProcess::stop(int sig, std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return exit_code_;
    ::kill(pid_, sig);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    for (;;) {
        int r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_) break;
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    return exit_code_;
}

int run_host_once(const std::vector<std::string>& args, std::string* output) {
    std::string tmpl = (fs::temp_directory_path() / "oxios-once-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) return -1;
    fs::path dir = tmpl;
    std::vector<std::string> full = {env_or("OXIOS_HOST_BIN")};
    full.insert(full.end(), args.begin(), args.end());
    int pid = spawn(full, dir / "out", dir / "err");
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (output) *output = read_file(dir / "out") + read_file(dir / "err");
    std::error_code ec;
    fs::remove_all(dir, ec);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

}  // namespace oxios::test
