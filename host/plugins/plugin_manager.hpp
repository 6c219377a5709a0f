// The plugin manager: loads every plugin of the plugin directory, serves
// requests and held connections through them, and hot-reloads a plugin when
// its .so changes (inotify), on SIGHUP, or on request — without closing the
// listening socket or any held connection (docs/architecture.md, "Hot reload").
// Defined by job: plugin_manager.cpp (loading, reload, retirement),
// plugin_directory.cpp (scan, inotify), plugin_requests.cpp (HTTP bridge),
// plugin_streams.cpp (held connections), plugin_admin.cpp (status, admin).
#pragma once

#include "http/connection_hub.hpp"
#include "http/front.hpp"
#include "kernel.hpp"
#include "plugins/client_address.hpp"
#include "plugins/delivery_gate.hpp"
#include "plugins/plugin_instance.hpp"
#include "plugins/route_metrics.hpp"
#include "plugins/route_table.hpp"

struct oxios_response;

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>

namespace oxios::plugins {

class PluginManager final : public http::Dispatcher, public http::StreamHandler {
public:
    struct Options {
        std::string plugin_dir;
        std::chrono::milliseconds drain_deadline{5000};
        std::chrono::milliseconds stop_deadline{3000};
    };

    PluginManager(Options options, kernel::Kernel& kernel);
    ~PluginManager() override;

    void set_hub(http::ConnectionHub* hub) { hub_ = hub; }

    // Loads every *.so of the plugin directory (sorted by name). A plugin
    // that fails is logged and counted; the others load. Returns how many loaded.
    size_t load_all();
    // Loads `file`, or replaces the running plugin of the same name with it.
    // Returns "" on success, else why it was refused (the old one keeps serving).
    // file_complete: the caller knows the file is fully written (inotify);
    // otherwise wait until its size and mtime are stable.
    std::string load_or_reload(const std::string& file, bool file_complete = false);
    // Reloads every loaded plugin from its file (SIGHUP).
    void reload_all();
    // Watches the plugin directory with inotify and reloads changed files.
    void start_watching();
    void stop_watching();
    // Stops and unloads every plugin (after the HTTP engine has drained).
    void shutdown();

    std::string status_json() const;  // {"loaded":[...],"reloads","failed_reloads","last_error"}
    std::string metrics_text() const;

    // ---- http::Dispatcher ----
    oxios_route_kind route_kind(std::string_view method, std::string_view path) override;
    void serve(const httplib::Request& req, httplib::Response& res) override;

    // ---- http::StreamHandler ----
    http::Admission admit(const http::HeldRequest& req, oxios_route_kind kind) override;
    void opened(uint64_t id, oxios_route_kind kind, const http::HeldRequest& req, uint64_t last_event_id) override;
    void message(uint64_t id, std::string_view data, bool text) override;
    void closed(uint64_t id, uint16_t code, oxios_close_reason reason) override;
    void writable(uint64_t id) override;

    // ---- used by the host API (host_api.cpp) ----
    kernel::Kernel& kernel() { return kernel_; }
    const oxios_host_api& host_api() const;
    oxios_status route_add(PluginInstance& instance, const oxios_route& route);
    oxios_status stream_write(PluginInstance& instance, uint64_t id, uint64_t seq, std::string_view data);
    oxios_status stream_end(PluginInstance& instance, uint64_t id);
    oxios_status ws_send(uint64_t id, std::string_view text);
    oxios_status ws_close(uint64_t id, uint16_t code, std::string_view reason);
    // Gateway deliveries go to the current instance of the submitting plugin.
    void deliver(const std::string& plugin, const kernel::Delivery& delivery);
    void track_subscription(PluginInstance& instance, uint64_t subscription);
    void untrack_subscription(PluginInstance& instance, uint64_t subscription);
    void log(const std::string& who, int level, std::string_view message) const;

private:
    struct Attachment {
        oxios_route_kind kind = OXIOS_ROUTE_PLAIN;
        http::HeldRequest request;
        std::string plugin;
        std::shared_ptr<PluginInstance> owner;
        void* route_data = nullptr;
        uint64_t last_seq = 0;
    };

    // A route of the current table, which it keeps alive.
    struct Lookup {
        std::shared_ptr<const RouteTable> table;
        const Route* route = nullptr;  // set when outcome is Found
        Params params;
        RouteTable::Outcome outcome{};
        bool found(oxios_route_kind kind) const { return outcome == RouteTable::Outcome::Found && route->kind == kind; }
    };

    std::shared_ptr<const RouteTable> table() const;
    Lookup lookup(std::string_view method, std::string_view raw_path) const;
    std::shared_ptr<PluginInstance> current(const std::string& name) const;
    std::string copy_privately(const std::string& file);
    std::shared_ptr<RouteTable> build_table(const std::string& replacing, const std::shared_ptr<PluginInstance>& added,
                                            std::string& why);
    void reattach(const std::string& plugin, const std::shared_ptr<PluginInstance>& old_instance);
    void retire(const std::shared_ptr<PluginInstance>& instance);
    void fail(const std::string& why);
    static oxios_status call_handle(PluginInstance& inst, const Route& route, const class RequestView& view,
                                    oxios_response& resp);
    bool serve_admin(const httplib::Request& req, httplib::Response& res);
    void watch_loop();
    static void remove_stale_private_dirs();

    Options options_;
    kernel::Kernel& kernel_;
    ClientAddress clients_{kernel_};  // remote_addr of every request view
    http::ConnectionHub* hub_ = nullptr;
    std::string private_dir_;
    std::atomic<uint64_t> copy_counter_{0};

    mutable std::mutex state_mutex_;                                  // plugins_, table_, counters' text
    std::map<std::string, std::shared_ptr<PluginInstance>> plugins_;  // by name
    std::shared_ptr<const RouteTable> table_;
    std::string last_error_;
    std::atomic<uint64_t> reloads_{0}, failed_reloads_{0};
    RouteMetrics metrics_;

    std::mutex reload_mutex_;     // one load/reload at a time
    DeliveryGate delivery_gate_;  // closed from an instance's state export to the swap

    mutable std::mutex conn_mutex_;  // attachments_
    std::unordered_map<uint64_t, Attachment> attachments_;

    std::mutex subs_mutex_;
    std::map<PluginInstance*, std::set<uint64_t>> subscriptions_;

    int inotify_fd_ = -1;
    int wake_pipe_[2] = {-1, -1};
    std::thread watcher_;
};

}  // namespace oxios::plugins
