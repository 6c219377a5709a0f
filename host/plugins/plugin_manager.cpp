#include "plugins/plugin_manager.hpp"

#include "plugins/host_api.hpp"
#include "plugins/request_view.hpp"

#include <oxios/rules/descriptor.hpp>
#include <oxios/rules/json_error.hpp>
#include <oxios/rules/oxios_str.hpp>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <strings.h>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace fs = std::filesystem;

namespace oxios::plugins {
namespace {

using Clock = std::chrono::steady_clock;

using rules::json_error;

bool is_plugin_file(const fs::path& p) { return p.extension() == ".so"; }

// Waits until `file` stops changing (size and mtime stable over two looks).
bool wait_complete(const fs::path& file) {
    std::error_code ec;
    uintmax_t last_size = static_cast<uintmax_t>(-1);
    fs::file_time_type last_time{};
    for (int i = 0; i < 100; ++i) {
        auto size = fs::file_size(file, ec);
        if (ec) return false;
        auto time = fs::last_write_time(file, ec);
        if (ec) return false;
        if (size == last_size && time == last_time && size > 0) return true;
        last_size = size;
        last_time = time;
        std::this_thread::sleep_for(std::chrono::milliseconds(15));
    }
    return false;
}

}  // namespace

PluginManager::PluginManager(Options options, kernel::Kernel& kernel)
    : options_(std::move(options)), kernel_(kernel), table_(std::make_shared<RouteTable>()) {
    remove_stale_private_dirs();
    std::string tmpl =
        (fs::temp_directory_path() / ("oxios-host-" + std::to_string(::getpid()) + "-XXXXXX")).string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a private plugin directory");
    private_dir_ = tmpl;
    kernel_.set_plugins_status_provider([this] { return status_json(); });
    kernel_.set_http_metrics_provider([this] { return metrics_text(); });
}

// Private copies of a host that was killed (kill -9 leaves no chance to
// clean up): "oxios-host-<pid>-*" whose process is gone.
void PluginManager::remove_stale_private_dirs() {
    std::error_code ec;
    for (auto& entry : fs::directory_iterator(fs::temp_directory_path(), ec)) {
        auto name = entry.path().filename().string();
        if (name.rfind("oxios-host-", 0) != 0) continue;
        long pid = std::strtol(name.c_str() + 11, nullptr, 10);
        if (pid <= 0 || pid == ::getpid()) continue;
        if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
        std::error_code ignore;
        fs::remove_all(entry.path(), ignore);
    }
}

PluginManager::~PluginManager() {
    stop_watching();
    shutdown();
    kernel_.set_plugins_status_provider(nullptr);
    kernel_.set_http_metrics_provider(nullptr);
    std::error_code ec;
    fs::remove_all(private_dir_, ec);
}

const oxios_host_api& PluginManager::host_api() const { return host_api_table(); }

void PluginManager::log(const std::string& who, int level, std::string_view message) const {
    static const char* names[] = {"debug", "info", "warn", "error"};
    const char* lvl = level >= 0 && level <= 3 ? names[level] : "info";
    std::string line = "[" + std::string(lvl) + "] " + who + ": " + std::string(message) + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
}

std::shared_ptr<const RouteTable> PluginManager::table() const { return std::atomic_load(&table_); }

std::shared_ptr<PluginInstance> PluginManager::current(const std::string& name) const {
    std::lock_guard lock(state_mutex_);
    auto it = plugins_.find(name);
    return it == plugins_.end() ? nullptr : it->second;
}

// ------------------------------------------------------------ loading ---

std::string PluginManager::copy_privately(const std::string& file) {
    fs::path src(file);
    auto dest = fs::path(private_dir_) /
                (src.stem().string() + "." + std::to_string(++copy_counter_) + ".so");
    fs::copy_file(src, dest, fs::copy_options::overwrite_existing);
    return dest.string();
}

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

void PluginManager::fail(const std::string& why) {
    failed_reloads_.fetch_add(1);
    {
        std::lock_guard lock(state_mutex_);
        last_error_ = why;
    }
    log("host", OXIOS_LOG_ERROR, "plugin refused: " + why);
}

std::shared_ptr<RouteTable> PluginManager::build_table(const std::string& replacing,
                                                       const std::shared_ptr<PluginInstance>& added,
                                                       std::string& why) {
    auto table = std::make_shared<RouteTable>();
    std::lock_guard lock(state_mutex_);
    for (auto& [name, inst] : plugins_) {
        if (name == replacing) continue;
        for (auto r : inst->routes()) {
            r.owner = inst;
            if (table->add(std::move(r), &why) != OXIOS_OK) return nullptr;
        }
    }
    for (auto r : added->routes()) {
        r.owner = added;
        r.stats = metrics_.stats_for(r.method, r.pattern);
        if (table->add(std::move(r), &why) != OXIOS_OK) return nullptr;
    }
    return table;
}

std::string PluginManager::load_or_reload(const std::string& file, bool file_complete) {
    std::lock_guard reload_lock(reload_mutex_);
    auto started = Clock::now();
    std::shared_ptr<PluginInstance> fresh;
    try {
        if (!(file_complete ? fs::file_size(file) > 0 : wait_complete(file))) throw PluginError(file + ": file missing, empty or still being written");
        auto copy = copy_privately(file);
        try {
            fresh = std::make_shared<PluginInstance>(*this, host_api(), file, copy);
        } catch (...) {
            std::error_code ec;
            fs::remove(copy, ec);
            throw;
        }
        fresh->start();
    } catch (const std::exception& e) {
        if (fresh) retire(fresh);
        fail(e.what());
        return e.what();
    }

    auto old = current(fresh->name());
    std::string why;
    bool swapped = false;
    {
        // No delivery runs from the export to the swap: the old instance
        // frames nothing its hand-over would not tell the new one.
        DeliveryGate::Closed hold(delivery_gate_, old != nullptr);
        if (old) fresh->import_state(old->export_state());
        auto new_table = build_table(fresh->name(), fresh, why);
        if (new_table) {
            std::lock_guard lock(state_mutex_);
            plugins_[fresh->name()] = fresh;
            std::atomic_store(&table_, std::shared_ptr<const RouteTable>(new_table));
            swapped = true;
        }
    }
    if (!swapped) {  // retired with the gate open: deliveries go on meanwhile
        retire(fresh);
        fail(fresh->name() + ": " + why);
        return why;
    }
    if (old) {
        reloads_.fetch_add(1);
        reattach(fresh->name(), old);
        retire(old);
    }
    auto ms = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count() / 1000.0;
    char text[64];
    std::snprintf(text, sizeof text, "%.1f ms", ms);
    log("host", OXIOS_LOG_INFO,
        std::string(old ? "reloaded " : "loaded ") + fresh->name() + " " + fresh->version() + " from " + file +
            " in " + text);
    if (old) {
        rapidjson::StringBuffer buf;
        rapidjson::Writer<rapidjson::StringBuffer> w(buf);
        w.StartObject();
        w.Key("plugin");
        w.String(fresh->name().c_str());
        w.Key("version");
        w.String(fresh->version().c_str());
        w.Key("previous_version");
        w.String(old->version().c_str());
        w.EndObject();
        kernel_.events_publish("plugin_reloaded", {buf.GetString(), buf.GetSize()});
    }
    return {};
}

void PluginManager::reload_all() {
    std::vector<std::string> files;
    {
        std::lock_guard lock(state_mutex_);
        for (auto& [name, inst] : plugins_) files.push_back(inst->source_file());
    }
    for (auto& f : files) load_or_reload(f);
}

// Moves every held connection of `plugin` from the old instance to the
// current one; a connection whose route is gone is closed (WebSocket 1012).
void PluginManager::reattach(const std::string& plugin, const std::shared_ptr<PluginInstance>& old_instance) {
    auto tbl = table();
    std::vector<uint64_t> ids;
    {
        std::lock_guard lock(conn_mutex_);
        for (auto& [id, a] : attachments_)
            if (a.plugin == plugin && a.owner == old_instance) ids.push_back(id);
    }
    for (uint64_t id : ids) {
        Attachment snapshot;
        const Route* route = nullptr;
        Params params;
        {
            std::lock_guard lock(conn_mutex_);
            auto it = attachments_.find(id);
            if (it == attachments_.end()) continue;  // closed meanwhile
            bool found = tbl->match("GET", raw_path_of(it->second.request.target), route, params) == RouteTable::Outcome::Found &&
                         route->kind == it->second.kind && route->owner && route->owner->name() == plugin;
            if (found) {
                it->second.owner = route->owner;
                it->second.route_data = route->route_data;
            }
            snapshot = it->second;
            if (!found) attachments_.erase(it);
        }
        {
            PluginInstance::Call call(*old_instance);
            if (call.ok()) {
                if (snapshot.kind == OXIOS_ROUTE_SSE && old_instance->api().stream_close)
                    old_instance->api().stream_close(old_instance->handle(), id, OXIOS_CLOSE_DETACHED);
                else if (snapshot.kind == OXIOS_ROUTE_WEBSOCKET && old_instance->api().ws_close)
                    old_instance->api().ws_close(old_instance->handle(), id, 0, OXIOS_CLOSE_DETACHED);
            }
        }
        if (snapshot.owner != old_instance && snapshot.owner) {
            auto& inst = *snapshot.owner;
            PluginInstance::Call call(inst);
            if (!call.ok()) continue;
            RequestView view(snapshot.request, params, snapshot.kind);
            try {
                if (snapshot.kind == OXIOS_ROUTE_SSE && inst.api().stream_open)
                    inst.api().stream_open(inst.handle(), snapshot.route_data, id, view.get(), snapshot.last_seq,
                                           OXIOS_OPEN_RESUMED);
                else if (snapshot.kind == OXIOS_ROUTE_WEBSOCKET && inst.api().ws_open)
                    inst.api().ws_open(inst.handle(), snapshot.route_data, id, view.get(), OXIOS_OPEN_RESUMED);
            } catch (...) {
            }
        } else if (hub_) {
            hub_->close(id, 1012, "service restart: route no longer served");
        }
    }
}

// Refuses new calls into `instance`, waits for running ones, then stops,
// destroys and unloads it. An instance that does not drain or stop in time
// is leaked (kept loaded) rather than unloaded under running code.
void PluginManager::retire(const std::shared_ptr<PluginInstance>& instance) {
    bool drained = instance->retire_and_drain(options_.drain_deadline);
    if (!drained) {
        log("host", OXIOS_LOG_ERROR, instance->name() + ": calls still running after the drain deadline; " +
                                        "the old instance stays loaded");
        return;
    }
    std::set<uint64_t> subs;
    {
        std::lock_guard lock(subs_mutex_);
        auto it = subscriptions_.find(instance.get());
        if (it != subscriptions_.end()) {
            subs = std::move(it->second);
            subscriptions_.erase(it);
        }
    }
    bool stopped = instance->stop_and_destroy(options_.stop_deadline);
    for (auto s : subs) kernel_.events_unsubscribe(s);
    if (!stopped)
        log("host", OXIOS_LOG_ERROR, instance->name() + ": stop did not return within the deadline; " +
                                        "the old instance stays loaded");
}

void PluginManager::shutdown() {
    std::map<std::string, std::shared_ptr<PluginInstance>> plugins;
    {
        std::lock_guard lock(state_mutex_);
        plugins.swap(plugins_);
        std::atomic_store(&table_, std::shared_ptr<const RouteTable>(std::make_shared<RouteTable>()));
    }
    for (auto& [name, inst] : plugins) retire(inst);
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

// ------------------------------------------------------------ status ---

std::string PluginManager::status_json() const {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    std::lock_guard lock(state_mutex_);
    w.StartObject();
    w.Key("loaded");
    w.StartArray();
    for (auto& [name, inst] : plugins_) {
        w.StartObject();
        w.Key("name");
        w.String(name.c_str());
        w.Key("version");
        w.String(inst->version().c_str());
        w.Key("file");
        w.String(inst->source_file().c_str());
        w.Key("routes");
        w.Uint64(inst->routes().size());
        w.EndObject();
    }
    w.EndArray();
    w.Key("reloads");
    w.Uint64(reloads_.load());
    w.Key("failed_reloads");
    w.Uint64(failed_reloads_.load());
    w.Key("last_error");
    if (last_error_.empty())
        w.Null();
    else
        w.String(last_error_.c_str());
    w.EndObject();
    return {buf.GetString(), buf.GetSize()};
}

std::string PluginManager::metrics_text() const {
    std::string out = metrics_.prometheus();
    out += "# TYPE oxios_plugin_reloads_total counter\noxios_plugin_reloads_total " +
           std::to_string(reloads_.load()) + "\n";
    out += "# TYPE oxios_plugin_failed_reloads_total counter\noxios_plugin_failed_reloads_total " +
           std::to_string(failed_reloads_.load()) + "\n";
    if (hub_) {
        out += "# TYPE oxios_open_websockets gauge\noxios_open_websockets " +
               std::to_string(hub_->websocket_count()) + "\n";
        out += "# TYPE oxios_open_sse_streams gauge\noxios_open_sse_streams " +
               std::to_string(hub_->stream_count()) + "\n";
    }
    return out;
}

// ------------------------------------------------------------ requests ---

// Runs the plugin's handle() (the caller holds a Call); the response object
// is invalid for the plugin afterwards.
oxios_status PluginManager::call_handle(PluginInstance& inst, const Route& route, const RequestView& view,
                                        oxios_response& resp) {
    oxios_status st;
    try {
        st = inst.api().handle(inst.handle(), route.route_data, view.get(), &resp);
    } catch (...) {
        st = OXIOS_E_INTERNAL;
    }
    resp.valid = false;
    return st;
}

oxios_route_kind PluginManager::route_kind(std::string_view method, std::string_view path) {
    auto tbl = table();
    const Route* r = nullptr;
    Params params;
    if (tbl->match(method, path, r, params) != RouteTable::Outcome::Found) return OXIOS_ROUTE_PLAIN;
    return r->kind;
}

// POST /admin/plugins/{name}/reload: the host's own admin route, for
// loopback clients or holders of a valid API token.
bool PluginManager::serve_admin(const httplib::Request& req, httplib::Response& res) {
    static const std::string prefix = "/admin/plugins/", suffix = "/reload";
    const auto& p = req.path;
    if (p.size() <= prefix.size() + suffix.size() || p.compare(0, prefix.size(), prefix) != 0 ||
        p.compare(p.size() - suffix.size(), suffix.size(), suffix) != 0)
        return false;
    if (req.method != "POST") {
        res.status = 405;
        res.set_content(json_error("method not allowed"), "application/json");
        return true;
    }
    bool loopback = req.remote_addr == "127.0.0.1" || req.remote_addr == "::1" ||
                    req.remote_addr.rfind("::ffff:127.", 0) == 0;
    auto auth = req.get_header_value("Authorization");
    bool token_ok = auth.rfind("Bearer ", 0) == 0 && kernel_.token_valid(std::string_view(auth).substr(7));
    if (!loopback && !token_ok) {
        res.status = 401;
        res.set_content(json_error("unauthorized"), "application/json");
        return true;
    }
    std::string name = p.substr(prefix.size(), p.size() - prefix.size() - suffix.size());
    auto inst = current(name);
    if (!inst) {
        res.status = 404;
        res.set_content(json_error("plugin not found: " + name), "application/json");
        return true;
    }
    auto why = load_or_reload(inst->source_file());
    if (!why.empty()) {
        res.status = 500;
        res.set_content(json_error("reload failed: " + why), "application/json");
        return true;
    }
    auto now = current(name);
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("status");
    w.String("reloaded");
    w.Key("plugin");
    w.String(name.c_str());
    w.Key("version");
    w.String(now ? now->version().c_str() : "");
    w.EndObject();
    res.set_content(std::string(buf.GetString(), buf.GetSize()), "application/json");
    return true;
}

void PluginManager::serve(const httplib::Request& req, httplib::Response& res) {
    auto start = Clock::now();
    if (req.path.rfind("/admin/", 0) == 0 && serve_admin(req, res)) return;
    // A request that races a reload may find its instance already retired:
    // it then goes to the table that replaced it.
    for (int attempt = 0; attempt < 3; ++attempt) {
        auto tbl = table();
        const Route* route = nullptr;
        Params params;
        // HEAD is served by the GET route (cpp-httplib drops the body).
        std::string_view method = req.method == "HEAD" ? std::string_view("GET") : std::string_view(req.method);
        auto outcome = tbl->match(method, raw_path_of(req.target), route, params);
        if (outcome != RouteTable::Outcome::Found) {
            bool not_allowed = outcome == RouteTable::Outcome::MethodNotAllowed;
            res.status = not_allowed ? 405 : 404;
            res.set_content(json_error(not_allowed ? "method not allowed" : "not found"), "application/json");
            metrics_.unmatched().record(res.status, 0);
            return;
        }
        auto& inst = *route->owner;
        PluginInstance::Call call(inst);
        if (!call.ok()) continue;
        RequestView view(req, params, route->kind);
        oxios_response resp;
        oxios_status st = call_handle(inst, *route, view, resp);
        if (!resp.responded) {
            res.status = 500;
            res.set_content(json_error(st == OXIOS_OK ? "the plugin gave no response"
                                                      : "the plugin failed to handle the request"),
                            "application/json");
        } else {
            res.status = resp.status;
            bool encoded = false;
            for (auto& [k, v] : resp.headers) {
                encoded = encoded || strcasecmp(k.c_str(), "Content-Encoding") == 0;
                res.set_header(k.c_str(), v);
            }
            if (encoded) {
                // Already compressed by the plugin: a sized content provider
                // keeps cpp-httplib from compressing it a second time.
                auto body = std::make_shared<std::string>(std::move(resp.body));
                res.set_content_provider(
                    body->size(), resp.content_type.empty() ? "application/octet-stream" : resp.content_type,
                    [body](size_t offset, size_t length, httplib::DataSink& sink) {
                        return sink.write(body->data() + offset, length);
                    });
            } else {
                res.body = std::move(resp.body);
                if (!resp.content_type.empty()) res.set_header("Content-Type", resp.content_type);
            }
        }
        if (route->stats) {
            auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
            route->stats->record(res.status, static_cast<uint64_t>(us));
        }
        return;
    }
    res.status = 503;
    res.set_content(json_error("the plugin is being replaced, retry"), "application/json");
}

// ------------------------------------------------------------ held connections ---

http::Admission PluginManager::admit(const http::HeldRequest& req, oxios_route_kind kind) {
    http::Admission out;
    for (int attempt = 0; attempt < 3; ++attempt) {
        auto tbl = table();
        const Route* route = nullptr;
        Params params;
        if (tbl->match(req.method, raw_path_of(req.target), route, params) != RouteTable::Outcome::Found ||
            route->kind != kind) {
            out.status = 404;
            out.body = json_error("not found");
            return out;
        }
        auto& inst = *route->owner;
        PluginInstance::Call call(inst);
        if (!call.ok()) continue;
        RequestView view(req, params, kind);
        oxios_response resp;
        oxios_status st = call_handle(inst, *route, view, resp);
        if (route->stats) route->stats->record(resp.responded ? resp.status : (st == OXIOS_OK ? 101 : 500), 0);
        out.headers = std::move(resp.headers);
        if (resp.responded) {
            out.status = resp.status;
            out.content_type = resp.content_type;
            out.body = std::move(resp.body);
        } else if (st != OXIOS_OK) {
            out.status = 500;
            out.body = json_error("the plugin failed to admit the connection");
        } else {
            out.admitted = true;
        }
        return out;
    }
    out.status = 503;
    out.body = json_error("the plugin is being replaced, retry");
    return out;
}

void PluginManager::opened(uint64_t id, oxios_route_kind kind, const http::HeldRequest& req,
                           uint64_t last_event_id) {
    // A Last-Event-ID the bus never reached (the client saw an earlier host
    // process) would make stream_write drop every event up to it: start over.
    if (kind == OXIOS_ROUTE_SSE && last_event_id > 0) {
        bool known = false;
        const uint64_t missed = kernel_.events_since(
            last_event_id - 1, [&](uint64_t seq, std::string_view) { known = known || seq == last_event_id; });
        if (!known && missed == 0) last_event_id = 0;
    }
    for (int attempt = 0; attempt < 3; ++attempt) {
        auto tbl = table();
        const Route* route = nullptr;
        Params params;
        if (tbl->match(req.method, raw_path_of(req.target), route, params) != RouteTable::Outcome::Found ||
            route->kind != kind) {
            if (hub_) hub_->close(id, 1012, "route no longer served");
            return;
        }
        auto owner = route->owner;
        {
            std::lock_guard lock(conn_mutex_);
            auto& a = attachments_[id];
            a.kind = kind;
            a.request = req;
            a.plugin = owner->name();
            a.owner = owner;
            a.route_data = route->route_data;
            a.last_seq = last_event_id;
        }
        PluginInstance::Call call(*owner);
        if (!call.ok()) continue;  // replaced meanwhile: the reattach may have missed it
        RequestView view(req, params, kind);
        try {
            if (kind == OXIOS_ROUTE_SSE && owner->api().stream_open)
                owner->api().stream_open(owner->handle(), route->route_data, id, view.get(), last_event_id, 0);
            else if (kind == OXIOS_ROUTE_WEBSOCKET && owner->api().ws_open)
                owner->api().ws_open(owner->handle(), route->route_data, id, view.get(), 0);
        } catch (...) {
        }
        return;
    }
}

void PluginManager::message(uint64_t id, std::string_view data, bool text) {
    std::shared_ptr<PluginInstance> owner;
    {
        std::lock_guard lock(conn_mutex_);
        auto it = attachments_.find(id);
        if (it == attachments_.end()) return;
        owner = it->second.owner;
    }
    for (int attempt = 0; attempt < 3 && owner; ++attempt) {
        PluginInstance::Call call(*owner);
        if (call.ok()) {
            if (owner->api().ws_message) {
                try {
                    owner->api().ws_message(owner->handle(), id, data.data(), data.size(), text ? 1 : 0);
                } catch (...) {
                }
            }
            return;
        }
        // The owner was retired between lookup and call: take the new one.
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        std::lock_guard lock(conn_mutex_);
        auto it = attachments_.find(id);
        if (it == attachments_.end()) return;
        owner = it->second.owner;
    }
}

void PluginManager::writable(uint64_t id) {
    // To the instance holding the stream now (after a reload, maybe not the
    // one that was refused: it catches up from its own position).
    std::shared_ptr<PluginInstance> owner;
    {
        std::lock_guard lock(conn_mutex_);
        auto it = attachments_.find(id);
        if (it == attachments_.end() || it->second.kind != OXIOS_ROUTE_SSE) return;
        owner = it->second.owner;
    }
    if (!owner) return;
    PluginInstance::Call call(*owner);
    // A retiring owner: its successor's stream_open catches up anyway.
    if (call.ok()) owner->stream_writable(id);
}

void PluginManager::closed(uint64_t id, uint16_t code, oxios_close_reason reason) {
    Attachment a;
    {
        std::lock_guard lock(conn_mutex_);
        auto it = attachments_.find(id);
        if (it == attachments_.end()) return;
        a = std::move(it->second);
        attachments_.erase(it);
    }
    if (a.kind == OXIOS_ROUTE_WEBSOCKET) kernel_.cancel_connection(id);
    if (!a.owner) return;
    PluginInstance::Call call(*a.owner);
    if (!call.ok()) return;
    try {
        if (a.kind == OXIOS_ROUTE_SSE && a.owner->api().stream_close)
            a.owner->api().stream_close(a.owner->handle(), id, reason);
        else if (a.kind == OXIOS_ROUTE_WEBSOCKET && a.owner->api().ws_close)
            a.owner->api().ws_close(a.owner->handle(), id, code, reason);
    } catch (...) {
    }
}

// ------------------------------------------------------------ host API backends ---

oxios_status PluginManager::route_add(PluginInstance& instance, const oxios_route& route) {
    if (!instance.accepting_routes()) return OXIOS_E_INVALID;
    // A refused route fails the plugin's start even if it ignores the status.
    auto refuse = [&](oxios_status st, const std::string& why) {
        log(instance.name(), OXIOS_LOG_ERROR, why);
        instance.refuse_route(why);
        return st;
    };
    if (auto bad = rules::check_route(&route); !bad.empty()) return refuse(OXIOS_E_INVALID, bad);
    Route r;
    r.method = rules::to_string(route.method);
    r.pattern = rules::to_string(route.pattern);
    r.kind = static_cast<oxios_route_kind>(route.kind);
    r.route_data = route.route_data;
    // Conflicts inside one plugin are found here; across plugins too, and
    // again when the table is built.
    RouteTable probe;
    for (auto& existing : instance.routes()) probe.add(existing);
    std::string why;
    if (auto st = probe.add(r, &why); st != OXIOS_OK) return refuse(st, why);
    {
        std::lock_guard lock(state_mutex_);
        for (auto& [name, other] : plugins_) {
            if (name == instance.name()) continue;
            RouteTable cross;
            for (auto& existing : other->routes()) cross.add(existing);
            if (cross.add(r, &why) != OXIOS_OK) return refuse(OXIOS_E_CONFLICT, why + " (by plugin " + name + ")");
        }
    }
    instance.routes().push_back(std::move(r));
    return OXIOS_OK;
}

oxios_status PluginManager::stream_write(PluginInstance& instance, uint64_t id, uint64_t seq,
                                         std::string_view data) {
    if (!hub_) return OXIOS_E_CLOSED;
    // The lock also orders writes of one stream, so seq filtering is exact.
    std::lock_guard lock(conn_mutex_);
    auto it = attachments_.find(id);
    if (it == attachments_.end() || it->second.kind != OXIOS_ROUTE_SSE || it->second.owner.get() != &instance)
        return OXIOS_E_CLOSED;
    if (seq > 0 && seq <= it->second.last_seq) return OXIOS_OK;
    // Backpressure only for a plugin that is told when to write again.
    const oxios_status st = hub_->send(id, data, instance.takes_backpressure());
    if (st == OXIOS_OK && seq > 0) it->second.last_seq = seq;
    return st;
}

oxios_status PluginManager::stream_end(PluginInstance& instance, uint64_t id) {
    if (!hub_) return OXIOS_E_CLOSED;
    {
        std::lock_guard lock(conn_mutex_);
        auto it = attachments_.find(id);
        if (it == attachments_.end() || it->second.owner.get() != &instance) return OXIOS_E_CLOSED;
    }
    return hub_->close(id, 1000, "");
}

oxios_status PluginManager::ws_send(uint64_t id, std::string_view text) {
    if (!hub_) return OXIOS_E_CLOSED;
    {
        std::lock_guard lock(conn_mutex_);
        auto it = attachments_.find(id);
        if (it == attachments_.end() || it->second.kind != OXIOS_ROUTE_WEBSOCKET) return OXIOS_E_CLOSED;
    }
    return hub_->send(id, text);
}

oxios_status PluginManager::ws_close(uint64_t id, uint16_t code, std::string_view reason) {
    if (!hub_) return OXIOS_E_CLOSED;
    {
        std::lock_guard lock(conn_mutex_);
        auto it = attachments_.find(id);
        if (it == attachments_.end() || it->second.kind != OXIOS_ROUTE_WEBSOCKET) return OXIOS_E_CLOSED;
    }
    return hub_->close(id, code, reason);
}

void PluginManager::deliver(const std::string& plugin, const kernel::Delivery& d) {
    DeliveryView view(d);
    const oxios_delivery& out = view.delivery;
    const auto& m = *d.message;
    // The instance current when the delivery arrives finishes it; one that is
    // being retired refuses the call, and the delivery goes to its successor.
    for (int attempt = 0; attempt < 200; ++attempt) {
        DeliveryGate::Pass pass(delivery_gate_);
        auto inst = current(plugin);
        if (!inst) return;
        PluginInstance::Call call(*inst);
        if (call.ok()) {
            if (inst->api().deliver) {
                try {
                    inst->api().deliver(inst->handle(), &out);
                } catch (...) {
                }
            }
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    log("host", OXIOS_LOG_ERROR, "delivery for message " + m.id + " dropped: no live instance of " + plugin);
}

void PluginManager::track_subscription(PluginInstance& instance, uint64_t subscription) {
    std::lock_guard lock(subs_mutex_);
    subscriptions_[&instance].insert(subscription);
}

void PluginManager::untrack_subscription(PluginInstance& instance, uint64_t subscription) {
    std::lock_guard lock(subs_mutex_);
    auto it = subscriptions_.find(&instance);
    if (it != subscriptions_.end()) it->second.erase(subscription);
}

}  // namespace oxios::plugins
