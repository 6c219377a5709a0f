// One loaded plugin instance: a private copy of its .so loaded with Boost.DLL,
// the ABI checks, and the only calls into the plugin's code, each
// exception-safe (host_api.cpp is the other direction: the plugin calling in).
#pragma once

#include "oxios_plugin.h"
#include "plugins/route_table.hpp"

#include <boost/dll/shared_library.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace oxios::plugins {
class PluginManager;
class PluginInstance;
}  // namespace oxios::plugins

// The host context a plugin instance receives (opaque on the plugin's side).
struct oxios_host {
    oxios::plugins::PluginManager* manager = nullptr;
    oxios::plugins::PluginInstance* instance = nullptr;
};

namespace oxios::plugins {

// Thrown (inside the host only) when a plugin cannot be loaded or started.
struct PluginError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class PluginInstance {
public:
    // Loads `private_copy` (already a private copy of `source_file`), checks the
    // descriptor and ABI before anything else, then creates the instance.
    // Throws PluginError with the reason; nothing stays loaded then.
    PluginInstance(PluginManager& manager, const oxios_host_api& api, std::string source_file,
                   std::string private_copy);
    ~PluginInstance();  // destroys + unloads if still loaded (not on a leaked instance)
    PluginInstance(const PluginInstance&) = delete;
    PluginInstance& operator=(const PluginInstance&) = delete;

    // start(): routes registered through route_add land in routes(). Throws.
    void start();
    void import_state(const std::string& blob);
    std::string export_state();
    // Whether the plugin provides stream_writable (ABI minor 1): only then
    // are its stream writes refused under backpressure.
    bool takes_backpressure() const;
    // stream_writable(stream) when provided; the caller holds a Call.
    void stream_writable(uint64_t stream);

    // Stops within `deadline`; false (and the instance is leaked: never
    // destroyed nor unloaded, since code of it may still run) on a timeout.
    bool stop_and_destroy(std::chrono::milliseconds deadline);

    const std::string& name() const { return name_; }
    const std::string& version() const { return version_; }
    const std::string& source_file() const { return source_file_; }
    const std::string& private_copy() const { return private_copy_; }

    // The plugin's entry points, each called only from here: a missing one is
    // skipped, a throw caught (handle() then answers INTERNAL). The caller
    // holds a Call for the duration.
    oxios_status handle(void* route_data, const oxios_request* req, oxios_response* resp);
    void open(oxios_route_kind kind, void* route_data, uint64_t id, const oxios_request* req, uint64_t last_seq,
              uint32_t flags);  // stream_open (SSE) or ws_open (WebSocket)
    void message(uint64_t ws, std::string_view data, bool text);
    void close(oxios_route_kind kind, uint64_t id, uint16_t code, uint32_t reason);  // stream_close or ws_close
    void deliver(const oxios_delivery& delivery);
    oxios_host* host() { return &host_; }

    // Routes the plugin registered during start().
    std::vector<Route>& routes() { return routes_; }
    bool accepting_routes() const { return starting_; }
    // A route_add refused during start (the first one): start() fails.
    void refuse_route(const std::string& why);

    // Every call into the plugin holds a Call for its duration; drain() waits
    // for them. A Call on a retired instance is refused (ok() == false).
    class Call {
    public:
        explicit Call(PluginInstance& p);
        ~Call();
        bool ok() const { return ok_; }
        Call(const Call&) = delete;
        Call& operator=(const Call&) = delete;

    private:
        PluginInstance& p_;
        bool ok_;
    };
    // Refuses new calls and waits for running ones; false on timeout.
    bool retire_and_drain(std::chrono::milliseconds deadline);
    bool retired() const { return retired_.load(); }

private:
    void unload();
    [[noreturn]] void refuse(const std::string& reason) const;  // throws PluginError "<file>: <reason>"

    PluginManager& manager_;
    std::string source_file_, private_copy_, name_, version_;
    boost::dll::shared_library lib_;
    const oxios_plugin_api* api_ = nullptr;
    void* instance_ = nullptr;
    oxios_host host_;
    std::vector<Route> routes_;
    std::string route_error_;
    bool starting_ = false;
    bool destroyed_ = false;
    bool leaked_ = false;

    std::atomic<int64_t> calls_{0};
    std::atomic<bool> retired_{false};
    std::mutex drain_mutex_;
    std::condition_variable drained_;
};

}  // namespace oxios::plugins
