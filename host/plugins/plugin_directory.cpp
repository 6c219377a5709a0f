// The plugin directory: loading every plugin in it at start, and watching it
// (inotify) to reload a plugin whose .so was replaced.
#include "plugins/plugin_manager.hpp"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace oxios::plugins {
namespace {

bool is_plugin_file(const fs::path& p) { return p.extension() == ".so"; }

}  // namespace

size_t PluginManager::load_all() {
    std::vector<fs::path> files;
    std::error_code ec;
    for (auto& entry : fs::directory_iterator(options_.plugin_dir, ec))
        if (entry.is_regular_file() && is_plugin_file(entry.path())) files.push_back(entry.path());
    if (ec) log("host", OXIOS_LOG_ERROR, "cannot read plugin directory " + options_.plugin_dir + ": " + ec.message());
    std::sort(files.begin(), files.end());
    size_t loaded = 0;
    for (auto& f : files)
        if (load_or_reload(f.string()).empty()) ++loaded;
    return loaded;
}

// ------------------------------------------------------------ watching ---

void PluginManager::start_watching() {
    if (watcher_.joinable()) return;
    inotify_fd_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (inotify_fd_ < 0 || ::pipe(wake_pipe_) != 0) {
        log("host", OXIOS_LOG_WARN, "cannot watch the plugin directory; reload with SIGHUP");
        return;
    }
    if (::inotify_add_watch(inotify_fd_, options_.plugin_dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
        log("host", OXIOS_LOG_WARN, "cannot watch " + options_.plugin_dir + "; reload with SIGHUP");
        return;
    }
    watcher_ = std::thread([this] { watch_loop(); });
}

void PluginManager::stop_watching() {
    if (watcher_.joinable()) {
        char c = 'x';
        (void)!::write(wake_pipe_[1], &c, 1);
        watcher_.join();
    }
    for (int* fd : {&inotify_fd_, &wake_pipe_[0], &wake_pipe_[1]}) {
        if (*fd >= 0) ::close(*fd);
        *fd = -1;
    }
}

void PluginManager::watch_loop() {
    alignas(inotify_event) char buf[8192];
    for (;;) {
        pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        if (fds[1].revents) return;
        std::set<std::string> changed;
        // Collect a burst of events (a build writes several) before acting.
        for (;;) {
            ssize_t n = ::read(inotify_fd_, buf, sizeof buf);
            if (n <= 0) {
                pollfd again{inotify_fd_, POLLIN, 0};
                if (::poll(&again, 1, 10) > 0) continue;
                break;
            }
            for (char* p = buf; p < buf + n;) {
                auto* ev = reinterpret_cast<inotify_event*>(p);
                if (ev->len > 0) {
                    fs::path f = fs::path(options_.plugin_dir) / ev->name;
                    if (is_plugin_file(f)) changed.insert(f.string());
                }
                p += sizeof(inotify_event) + ev->len;
            }
        }
        // IN_CLOSE_WRITE and IN_MOVED_TO both mean the file is complete.
        for (auto& f : changed) load_or_reload(f, true);
    }
}

}  // namespace oxios::plugins
