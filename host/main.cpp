// oxios-host: the kernel process. Loads the config, starts the kernel
// services, loads the plugins, serves HTTP/WebSocket/SSE on one port, reloads
// plugins when their files change or on SIGHUP, and drains on SIGTERM/SIGINT.
#include "config/config_report.hpp"
#include "http/connection_hub.hpp"
#include "http/front.hpp"
#include "kernel.hpp"
#include "plugins/plugin_manager.hpp"
#include "store/session_transfer.hpp"

#include <malloc.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace fs = std::filesystem;

namespace {

struct Args {
    std::optional<std::string> config, plugins, workspace, host;
    std::optional<int> port;
    bool watch = true;
    bool check_config = false;
    std::optional<std::string> export_dir, import_dir;  // --export-sessions / --import-sessions
};

[[noreturn]] void usage(int code) {
    std::fprintf(code ? stderr : stdout,
                 "usage: oxios-host [--config FILE] [--plugins DIR] [--port N] [--host ADDR]\n"
                 "                  [--workspace DIR] [--no-watch]\n"
                 "       oxios-host --check-config [FILE] [--port N] [--host ADDR] [--workspace DIR]\n"
                 "       oxios-host [--config FILE] [--workspace DIR] --export-sessions DIR | --import-sessions DIR\n"
                 "  --config FILE    config, .json or .toml (default ~/.oxios/config.json if it\n"
                 "                   exists, else ~/.oxios/config.toml)\n"
                 "  --check-config   print the effective config, where each value comes from and\n"
                 "                   the keys not used, then exit (0, or 2 on a bad config)\n"
                 "  --plugins DIR    plugin directory (default: plugins/ next to this program,\n"
                 "                   else ../lib/oxios/plugins)\n"
                 "  --port N         listen port, overrides gateway.port (0 = any free port)\n"
                 "  --host ADDR      listen address, overrides gateway.host\n"
                 "  --workspace DIR  workspace, overrides kernel.workspace\n"
                 "  --no-watch       do not watch the plugin directory (SIGHUP still reloads)\n"
                 "  --export-sessions DIR  copy every session of the configured state store into\n"
                 "                   DIR as session files, print the counts, exit\n"
                 "  --import-sessions DIR  store every session file of DIR into the configured\n"
                 "                   state store (newer ones are kept), print the counts, exit\n");
    std::exit(code);
}

Args parse_args(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        std::string k = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "oxios-host: %s needs a value\n", k.c_str());
                usage(2);
            }
            return argv[++i];
        };
        if (k == "--config")
            a.config = value();
        else if (k == "--plugins")
            a.plugins = value();
        else if (k == "--workspace")
            a.workspace = value();
        else if (k == "--host")
            a.host = value();
        else if (k == "--no-watch")
            a.watch = false;
        else if (k == "--export-sessions")
            a.export_dir = value();
        else if (k == "--import-sessions")
            a.import_dir = value();
        else if (k == "--check-config") {
            a.check_config = true;
            if (i + 1 < argc && argv[i + 1][0] != '-') a.config = argv[++i];
        } else if (k == "--port") {
            std::string v = value();
            char* end = nullptr;
            long p = std::strtol(v.c_str(), &end, 10);
            if (v.empty() || *end || p < 0 || p > 65535) {
                std::fprintf(stderr, "oxios-host: --port: not a port number: %s\n", v.c_str());
                std::exit(2);
            }
            a.port = static_cast<int>(p);
        } else if (k == "-h" || k == "--help")
            usage(0);
        else {
            std::fprintf(stderr, "oxios-host: unknown argument %s\n", k.c_str());
            usage(2);
        }
    }
    return a;
}

std::string default_plugin_dir(const char* argv0) {
    std::error_code ec;
    auto exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) exe = fs::absolute(argv0);
    // plugins/ next to the program (a build tree), else an install's
    // <prefix>/lib/oxios/plugins.
    const auto beside = exe.parent_path() / "plugins";
    const auto installed = exe.parent_path().parent_path() / "lib" / "oxios" / "plugins";
    return (fs::is_directory(beside, ec) || !fs::is_directory(installed, ec) ? beside : installed).string();
}

// --config, else ~/.oxios/config.json, else ~/.oxios/config.toml (the Rust
// original's); "" = defaults only. Exits 2 when --config names no file.
std::string config_path(const Args& args) {
    if (args.config) {
        if (!fs::exists(*args.config)) {
            std::fprintf(stderr, "oxios-host: config file not found: %s\n", args.config->c_str());
            std::exit(2);
        }
        return *args.config;
    }
    const char* home = std::getenv("HOME");
    if (home == nullptr) return "";
    for (const char* name : {"config.json", "config.toml"}) {
        auto p = fs::path(home) / ".oxios" / name;
        if (fs::exists(p)) return p.string();
    }
    return "";
}

int check_config(const Args& args) {
    try {
        std::fputs(
            oxios::kernel::check_config_report(config_path(args), {args.host, args.workspace, args.port}).c_str(),
            stdout);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "oxios-host: %s\n", e.what());
        return 2;
    }
}

int transfer_sessions(const Args& args, oxios::kernel::Kernel& kernel) {
    const bool out = args.export_dir.has_value();
    const std::string& dir = out ? *args.export_dir : *args.import_dir;
    try {
        auto n = out ? oxios::kernel::export_sessions(kernel.session_store(), dir)
                     : oxios::kernel::import_sessions(kernel.session_store(), dir);
        kernel.session_store().flush();
        std::printf("%s %zu sessions, %zu already there, %zu failed\n", out ? "exported" : "imported", n.copied,
                    n.unchanged, n.failed);
        return n.failed == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "oxios-host: %s\n", e.what());
        return 2;
    }
}

// Every held connection is a descriptor: 10,000 SSE + 10,000 WebSocket
// clients need far more than the usual soft limit (1,024), so take the hard one.
void raise_open_file_limit() {
    rlimit fds{};
    if (::getrlimit(RLIMIT_NOFILE, &fds) != 0) return;
    const rlim_t before = fds.rlim_cur;
    if (fds.rlim_cur != fds.rlim_max) {
        fds.rlim_cur = fds.rlim_max == RLIM_INFINITY ? rlim_t{1} << 20 : fds.rlim_max;  // the kernel's nr_open
        if (::setrlimit(RLIMIT_NOFILE, &fds) != 0) fds.rlim_cur = before;
    }
    std::fprintf(stderr, "[info] host: open-file limit %llu (soft was %llu, hard %llu)\n",
                 static_cast<unsigned long long>(fds.rlim_cur), static_cast<unsigned long long>(before),
                 static_cast<unsigned long long>(fds.rlim_max));
}

}  // namespace

int main(int argc, char** argv) {
    Args args = parse_args(argc, argv);
    if (args.check_config) return check_config(args);

    // Many short-lived JSON documents (64 KiB pools) on many threads: without
    // this, glibc gives freed arena tops back with madvise after almost every
    // request, and the TLB shootdowns cost more than the requests themselves.
    mallopt(M_TRIM_THRESHOLD, 32 << 20);
    mallopt(M_MMAP_THRESHOLD, 1 << 20);

    // Signals are taken by one thread with sigwait; block them everywhere else.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    oxios::kernel::Kernel::Options kopts;
    kopts.config_path = config_path(args);
    if (args.workspace) kopts.workspace_override = *args.workspace;

    std::unique_ptr<oxios::kernel::Kernel> kernel;
    try {
        kernel = std::make_unique<oxios::kernel::Kernel>(kopts);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "oxios-host: %s\n", e.what());
        return 2;
    }

    if (args.export_dir || args.import_dir) return transfer_sessions(args, *kernel);
    raise_open_file_limit();

    oxios::plugins::PluginManager::Options popts;
    popts.plugin_dir = args.plugins ? *args.plugins : default_plugin_dir(argv[0]);
    if (!fs::is_directory(popts.plugin_dir)) {
        std::fprintf(stderr, "oxios-host: plugin directory not found: %s\n", popts.plugin_dir.c_str());
        return 2;
    }
    oxios::plugins::PluginManager manager(popts, *kernel);
    oxios::http::ConnectionHub hub({}, manager);
    manager.set_hub(&hub);

    oxios::http::Front::Options fopts;
    fopts.host = args.host ? *args.host : kernel->bind_host();
    fopts.port = args.port ? *args.port : kernel->port();
    oxios::http::Front front(fopts, manager, &hub);

    manager.load_all();
    if (args.watch) manager.start_watching();

    int port;
    try {
        port = front.bind();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "oxios-host: %s\n", e.what());
        return 1;
    }
    std::printf("oxios-host %s listening on http://%s:%d (plugins: %s, workspace: %s)\n", kernel->version().c_str(),
                fopts.host.c_str(), port, popts.plugin_dir.c_str(), kernel->workspace().c_str());
    std::fflush(stdout);

    std::atomic<bool> stopping{false};
    std::thread signal_thread([&] {
        for (;;) {
            int sig = 0;
            if (sigwait(&signals, &sig) != 0) continue;
            if (sig == SIGHUP) {
                std::fprintf(stderr, "[info] host: SIGHUP: reloading plugins\n");
                manager.reload_all();
                continue;
            }
            std::fprintf(stderr, "[info] host: %s: draining\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
            stopping = true;
            front.stop();  // stop accepting; in-flight requests finish
            return;
        }
    });

    front.serve_forever();                       // returns once stopped and every worker is done
    if (!stopping) ::kill(::getpid(), SIGTERM);  // ended by itself: release the signal thread
    signal_thread.join();

    manager.stop_watching();
    kernel->drain(5000);     // turns in flight finish; their replies reach open sockets
    hub.shutdown();          // WebSocket 1001, SSE ended, spread over up to 2 s
    kernel->shutdown(3000);  // pending messages answered with an error
    manager.shutdown();      // stop, destroy, unload
    std::fprintf(stderr, "[info] host: stopped\n");
    return 0;
}
