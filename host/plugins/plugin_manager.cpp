// The plugin manager's core: the private copies, loading a plugin and the
// reload sequence (hand-over, table swap, reattach), retiring instances, and
// the host API backends that concern loading and deliveries.
#include "plugins/plugin_manager.hpp"

#include "plugins/host_api.hpp"
#include "plugins/request_view.hpp"

#include <oxios/rules/descriptor.hpp>
#include <oxios/rules/oxios_str.hpp>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;

namespace oxios::plugins {
namespace {

using Clock = std::chrono::steady_clock;

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
    std::string tmpl = (fs::temp_directory_path() / ("oxios-host-" + std::to_string(::getpid()) + "-XXXXXX")).string();
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

PluginManager::Lookup PluginManager::lookup(std::string_view method, std::string_view raw_path) const {
    Lookup m;
    m.table = table();
    m.outcome = m.table->match(method, raw_path, m.route, m.params);
    return m;
}

std::shared_ptr<PluginInstance> PluginManager::current(const std::string& name) const {
    std::lock_guard lock(state_mutex_);
    auto it = plugins_.find(name);
    return it == plugins_.end() ? nullptr : it->second;
}

// ------------------------------------------------------------ loading ---

std::string PluginManager::copy_privately(const std::string& file) {
    fs::path src(file);
    auto dest = fs::path(private_dir_) / (src.stem().string() + "." + std::to_string(++copy_counter_) + ".so");
    fs::copy_file(src, dest, fs::copy_options::overwrite_existing);
    return dest.string();
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
                                                       const std::shared_ptr<PluginInstance>& added, std::string& why) {
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
    const bool loaded_before = [&] {
        std::lock_guard lock(state_mutex_);
        for (auto& [name, inst] : plugins_)
            if (inst->source_file() == file) return true;
        return false;
    }();
    const char* action = loaded_before ? "plugin.reload" : "plugin.load";
    std::shared_ptr<PluginInstance> fresh;
    try {
        if (!(file_complete ? fs::file_size(file) > 0 : wait_complete(file)))
            throw PluginError(file + ": file missing, empty or still being written");
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
        kernel_.audit_record(action, file, false, e.what());
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
        kernel_.audit_record(action, file, false, why);
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
        std::string(old ? "reloaded " : "loaded ") + fresh->name() + " " + fresh->version() + " from " + file + " in " +
            text);
    kernel_.audit_record(old ? "plugin.reload" : "plugin.load", fresh->name() + " " + fresh->version());
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

// Refuses new calls into `instance`, waits for running ones, then stops,
// destroys and unloads it. An instance that does not drain or stop in time
// is leaked (kept loaded) rather than unloaded under running code.
void PluginManager::retire(const std::shared_ptr<PluginInstance>& instance) {
    bool drained = instance->retire_and_drain(options_.drain_deadline);
    if (!drained) {
        log("host", OXIOS_LOG_ERROR,
            instance->name() + ": calls still running after the drain deadline; " + "the old instance stays loaded");
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
        log("host", OXIOS_LOG_ERROR,
            instance->name() + ": stop did not return within the deadline; " + "the old instance stays loaded");
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
            inst->deliver(out);
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
