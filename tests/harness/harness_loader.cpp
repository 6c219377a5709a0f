// Mock host harness: loading, reloading and unloading plugins, with the
// host's own checks (oxios/rules/descriptor.hpp), and the log and clock.
#include "harness_impl.hpp"

#include <boost/dll/shared_library_load_mode.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace oxios::harness {

// ---------------------------------------------------------------------------
// Impl: construction
// ---------------------------------------------------------------------------
MockHost::Impl::Impl() {
    config_.SetObject();
    verbose_ = std::getenv("OXIOS_HARNESS_VERBOSE") != nullptr;
    temp_dir_ = std::filesystem::temp_directory_path() /
                ("oxios-harness-" + std::to_string(::getpid()) + "-" + detail::uuid_v4().substr(0, 8));
    ev_thread_ = std::thread([this] { event_loop(); });
}

MockHost::Impl::~Impl() {
    {
        std::lock_guard<std::mutex> lock(sleep_mu_);
        shutting_down_ = true;
    }
    sleep_cv_.notify_all();
    scheduler_.shutdown();
    {
        std::lock_guard<std::mutex> lock(ev_mu_);
        ev_stop_ = true;
    }
    ev_cv_.notify_all();
    if (ev_thread_.joinable()) ev_thread_.join();
    std::error_code ec;
    std::filesystem::remove_all(temp_dir_, ec);
}

// ---------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------
std::shared_ptr<Instance> MockHost::Impl::load_instance(const std::string& path) {
    auto inst = std::make_shared<Instance>();
    inst->impl = this;
    inst->serial = g_next_instance.fetch_add(1);
    inst->source_path = path;
    const std::string what = "cannot load plugin '" + path + "': ";

    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw std::runtime_error(what + (std::filesystem::exists(path, ec) ? "not a regular file" : "file not found"));

    // A private, uniquely named copy: the original may be overwritten in place
    // while this one is mapped, and a new inode defeats dlopen's path cache.
    std::filesystem::create_directories(temp_dir_, ec);
    const auto stem = std::filesystem::path(path).stem().string();
    const auto copy =
        temp_dir_ / (stem + "-" + std::to_string(inst->serial) + "-" + detail::uuid_v4().substr(0, 8) + ".so");
    if (!std::filesystem::copy_file(path, copy, std::filesystem::copy_options::overwrite_existing, ec))
        throw std::runtime_error(what + "cannot copy to " + copy.string() + ": " + ec.message());
    inst->copy_path = copy.string();

    auto fail = [&](const std::string& why) -> std::runtime_error {
        try {
            if (inst->lib.is_loaded()) inst->lib.unload();
        } catch (...) {
        }
        std::error_code rm;
        std::filesystem::remove(inst->copy_path, rm);
        log(nullptr, OXIOS_LOG_ERROR, what + why);
        return std::runtime_error(what + why);
    };

    try {
        inst->lib.load(boost::dll::fs::path(inst->copy_path),
                       boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const std::exception& e) {
        throw fail(std::string("dlopen failed (not a loadable shared object?): ") + e.what());
    }
    // The host's checks, in its order and words (oxios/rules/descriptor.hpp).
    if (!inst->lib.has(OXIOS_PLUGIN_ENTRY_SYMBOL)) throw fail(rules::no_entry_reason());
    const oxios_plugin_descriptor* d = nullptr;
    std::string threw;
    try {
        auto& entry = inst->lib.get<const oxios_plugin_descriptor*()>(OXIOS_PLUGIN_ENTRY_SYMBOL);
        d = entry();
    } catch (const std::exception& e) {
        threw = e.what();
    } catch (...) {
        threw = "unknown exception";
    }
    if (!threw.empty()) throw fail(rules::step_failure("entry", OXIOS_OK, threw));
    if (auto v = rules::check_descriptor(d); !v.ok()) throw fail(v.reason);
    const oxios_plugin_api* api = d->api;
    inst->name.assign(view(d->name));
    inst->version.assign(view(d->version));
    inst->api = api;

    // create
    inst->alive = true;
    oxios_status st = OXIOS_E_INTERNAL;
    try {
        st = api->create(&kHostApi, inst->host(), &inst->self);
    } catch (const std::exception& e) {
        threw = e.what();
    } catch (...) {
        threw = "unknown exception";
    }
    if (!threw.empty() || st != OXIOS_OK) {
        inst->alive = false;
        drop_subscriptions(inst.get());
        {
            std::lock_guard<std::mutex> lock(mu_);
            retired_.push_back(inst);
        }
        throw fail(rules::step_failure("create", st, threw));
    }

    // start
    inst->in_start = true;
    threw.clear();
    try {
        st = api->start(inst->self);
    } catch (const std::exception& e) {
        threw = e.what();
    } catch (...) {
        threw = "unknown exception";
    }
    inst->in_start = false;
    std::string route_error;
    {
        std::lock_guard<std::mutex> lock(inst->route_mu);
        route_error = inst->route_error;
    }
    if (!threw.empty() || st != OXIOS_OK || !route_error.empty()) {
        const bool started = threw.empty() && st == OXIOS_OK;
        teardown(inst, started);
        const std::string why = rules::step_failure("start", st, threw, route_error);
        log(nullptr, OXIOS_LOG_ERROR, what + why);
        throw std::runtime_error(what + why);
    }
    return inst;
}

// Stops (if started), destroys and unloads an instance that is no longer
// current and holds no connection. Keeps the emptied Instance for stray calls.
void MockHost::Impl::teardown(const std::shared_ptr<Instance>& inst, bool started) {
    bool drained = inst->drain(kDrainDeadline);
    if (started && drained) {
        try {
            const oxios_status st = inst->api->stop(inst->self);
            if (st != OXIOS_OK)
                log(nullptr, OXIOS_LOG_WARN, "plugin stop returned " + std::string(detail::status_name(st)));
        } catch (...) {
            log(nullptr, OXIOS_LOG_WARN, "plugin stop threw");
        }
    }
    {
        std::lock_guard<std::mutex> lock(inst->mu);
        inst->accepting = false;
    }
    drop_subscriptions(inst.get());
    drained = drained && inst->drain(kDrainDeadline);
    if (!drained) {
        // Calls still running inside: unloading would pull the code from under
        // them. Leak the instance rather than crash, and say so.
        log(nullptr, OXIOS_LOG_ERROR, "plugin '" + inst->name + "' did not drain within its deadline; left loaded");
        std::lock_guard<std::mutex> lock(mu_);
        retired_.push_back(inst);
        return;
    }
    try {
        inst->api->destroy(inst->self);
    } catch (...) {
        log(nullptr, OXIOS_LOG_WARN, "plugin destroy threw");
    }
    inst->alive = false;
    inst->self = nullptr;
    inst->router.clear();
    inst->api = nullptr;
    try {
        inst->lib.unload();
    } catch (...) {
    }
    std::error_code ec;
    std::filesystem::remove(inst->copy_path, ec);
    std::lock_guard<std::mutex> lock(mu_);
    retired_.push_back(inst);
}

void MockHost::Impl::load_or_reload(const std::string& path) {
    std::unique_lock<std::shared_mutex> life(life_mu_);
    std::shared_ptr<Instance> old;
    {
        std::lock_guard<std::mutex> lock(mu_);
        old = current_;
    }
    auto neu = load_instance(path);  // throws: the old one keeps serving
    if (old) {
        // Hand-over state.
        std::string blob;
        bool exported = false;
        if (old->api->export_state) {
            try {
                const oxios_status st = old->api->export_state(
                    old->self, [](void* u, const char* p, size_t n) { static_cast<std::string*>(u)->append(p, n); },
                    &blob);
                exported = st == OXIOS_OK;
                if (!exported)
                    log(nullptr, OXIOS_LOG_WARN, std::string("export_state returned ") + detail::status_name(st));
            } catch (...) {
                log(nullptr, OXIOS_LOG_WARN, "export_state threw");
            }
        }
        if (exported && neu->api->import_state) {
            oxios_status st = OXIOS_E_INTERNAL;
            try {
                st = neu->api->import_state(neu->self, blob.data(), blob.size());
            } catch (...) {
            }
            if (st != OXIOS_OK) {
                teardown(neu, true);
                const std::string why =
                    "cannot reload plugin '" + path + "': import_state failed: " + detail::status_name(st);
                log(nullptr, OXIOS_LOG_ERROR, why);
                throw std::runtime_error(why);
            }
        }
    }
    {
        std::lock_guard<std::mutex> lock(mu_);
        current_ = neu;
    }
    if (!old) return;

    // Re-attach every live connection held by the old instance.
    std::vector<std::shared_ptr<Conn>> conns;
    {
        std::lock_guard<std::mutex> lock(conn_mu_);
        for (auto& [id, c] : conns_)
            if (c->open && c->holder == old) conns.push_back(c);
    }
    for (const auto& c : conns) {
        std::lock_guard<std::mutex> serial(c->serial);
        RouteMatch m;
        const auto res = neu->router.match(c->req.method, c->target.segments, m);
        const uint32_t want = c->ws ? OXIOS_ROUTE_WEBSOCKET : OXIOS_ROUTE_SSE;
        bool moved = false;
        {
            std::lock_guard<std::mutex> lock(conn_mu_);
            if (!c->open) continue;
            if (res == Router::Result::Found && m.route->kind == want) {
                c->holder = neu;
                c->route = m.route;
                c->params = m.params;
                moved = true;
            } else {
                // The new plugin no longer serves this route.
                c->open = false;
                c->close_code = 1012;
            }
        }
        conn_cv_.notify_all();
        if (moved) open_conn(c, neu.get(), OXIOS_OPEN_RESUMED);
        Flight f(old);
        if (f) {
            const uint32_t reason = moved ? OXIOS_CLOSE_DETACHED : OXIOS_CLOSE_SHUTDOWN;
            try {
                if (c->ws && old->api->ws_close)
                    old->api->ws_close(old->self, c->id, moved ? 0 : 1012, reason);
                else if (!c->ws && old->api->stream_close)
                    old->api->stream_close(old->self, c->id, reason);
            } catch (...) {
            }
        }
    }
    teardown(old, true);
}

void MockHost::Impl::unload() {
    std::unique_lock<std::shared_mutex> life(life_mu_);
    std::shared_ptr<Instance> old;
    {
        std::lock_guard<std::mutex> lock(mu_);
        old.swap(current_);
    }
    if (!old) return;
    std::vector<std::shared_ptr<Conn>> conns;
    {
        std::lock_guard<std::mutex> lock(conn_mu_);
        for (auto& [id, c] : conns_)
            if (c->open) conns.push_back(c);
    }
    for (const auto& c : conns) {
        std::lock_guard<std::mutex> serial(c->serial);
        std::shared_ptr<Instance> holder;
        {
            std::lock_guard<std::mutex> lock(conn_mu_);
            if (!c->open) continue;
            c->open = false;
            c->close_code = c->ws ? 1001 : 0;
            holder = c->holder;
        }
        conn_cv_.notify_all();
        Flight f(holder);
        if (!f) continue;
        try {
            if (c->ws && f->api->ws_close)
                f->api->ws_close(f->self, c->id, 1001, OXIOS_CLOSE_SHUTDOWN);
            else if (!c->ws && f->api->stream_close)
                f->api->stream_close(f->self, c->id, OXIOS_CLOSE_SHUTDOWN);
        } catch (...) {
        }
    }
    teardown(old, true);
}

// ---------------------------------------------------------------------------
// Host functions: logging, time, config, routes
// ---------------------------------------------------------------------------
void MockHost::Impl::log(Instance* inst, int32_t level, std::string_view message) {
    bool verbose;
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (inst) logs_.push_back(LogLine{level, std::string(message)});
        verbose = verbose_;
    }
    if (verbose) {
        static const char* names[] = {"debug", "info", "warn", "error"};
        const char* lv = (level >= 0 && level <= 3) ? names[level] : "log";
        std::fprintf(stderr, "[oxios-harness] %s %s: %.*s\n", inst ? inst->name.c_str() : "(host)", lv,
                     static_cast<int>(message.size()), message.data());
    }
}

int64_t MockHost::Impl::now_us() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (now_) return *now_;
    }
    return detail::real_now_us();
}

oxios_status MockHost::Impl::route_add(Instance* inst, const oxios_route* route) {
    if (!inst->in_start.load()) return OXIOS_E_INVALID;  // only during start()
    std::string why;
    std::lock_guard<std::mutex> lock(inst->route_mu);
    const oxios_status st = inst->router.add(route, &why);
    // A refused route fails the start even if the plugin ignores the status.
    if (st != OXIOS_OK && inst->route_error.empty()) inst->route_error = why;
    return st;
}

// ---------------------------------------------------------------------------
// Public interface: lifecycle
// ---------------------------------------------------------------------------
MockHost::MockHost() : impl_(std::make_unique<Impl>()) {}

MockHost::~MockHost() {
    try {
        impl_->unload();
    } catch (...) {
    }
}

void MockHost::load(const std::string& so_path) { impl_->load_or_reload(so_path); }

void MockHost::reload(const std::string& so_path) { impl_->load_or_reload(so_path); }

void MockHost::unload() { impl_->unload(); }

bool MockHost::loaded() const {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    return impl_->current_ != nullptr;
}

std::string MockHost::plugin_name() const {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    return impl_->current_ ? impl_->current_->name : std::string();
}

std::string MockHost::plugin_version() const {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    return impl_->current_ ? impl_->current_->version : std::string();
}

std::string MockHost::plugin_copy_path() const {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    return impl_->current_ ? impl_->current_->copy_path : std::string();
}

}  // namespace oxios::harness
