#include "plugins/plugin_instance.hpp"

#include "plugins/elf_check.hpp"

#include <oxios/rules/descriptor.hpp>
#include <oxios/rules/oxios_str.hpp>

#include <boost/dll/shared_library_load_mode.hpp>

#include <filesystem>
#include <future>
#include <thread>

namespace oxios::plugins {

PluginInstance::PluginInstance(PluginManager& manager, const oxios_host_api& api, std::string source_file,
                               std::string private_copy)
    : manager_(manager), source_file_(std::move(source_file)), private_copy_(std::move(private_copy)) {
    host_.manager = &manager_;
    host_.instance = this;
    namespace mode = boost::dll::load_mode;
    if (auto why = check_elf(private_copy_); !why.empty()) {
        unload();
        throw PluginError("cannot load " + source_file_ + ": " + why);
    }
    try {
        lib_.load(private_copy_, mode::rtld_now | mode::rtld_local);
    } catch (const std::exception& e) {
        throw PluginError("cannot load " + source_file_ + ": " + e.what());
    }
    try {
        // The same checks, in the same order and words, as every loader
        // (oxios/rules/descriptor.hpp): nothing of the plugin runs before
        // its descriptor passed them.
        if (!lib_.has(OXIOS_PLUGIN_ENTRY_SYMBOL)) refuse(rules::no_entry_reason());
        auto& entry = lib_.get<const oxios_plugin_descriptor*()>(OXIOS_PLUGIN_ENTRY_SYMBOL);
        const oxios_plugin_descriptor* d = nullptr;
        std::string threw;
        try {
            d = entry();
        } catch (const std::exception& e) {
            threw = e.what();
        } catch (...) {
            threw = "unknown exception";
        }
        if (!threw.empty()) refuse(rules::step_failure("entry", OXIOS_OK, threw));
        if (auto v = rules::check_descriptor(d); !v.ok()) refuse(v.reason);
        api_ = d->api;
        name_ = rules::to_string(d->name);
        version_ = rules::to_string(d->version);

        oxios_status st = OXIOS_E_INTERNAL;
        try {
            st = api_->create(&api, &host_, &instance_);
        } catch (const std::exception& e) {
            threw = e.what();
        } catch (...) {
            threw = "unknown exception";
        }
        if (auto why = rules::step_failure("create", st, threw); !why.empty()) refuse(why);
    } catch (...) {
        unload();
        throw;
    }
}

void PluginInstance::refuse(const std::string& reason) const { throw PluginError(source_file_ + ": " + reason); }

PluginInstance::~PluginInstance() {
    if (leaked_) return;
    if (instance_ && !destroyed_) {
        try {
            api_->destroy(instance_);
        } catch (...) {
        }
        destroyed_ = true;
    }
    unload();
}

void PluginInstance::unload() {
    if (leaked_) return;
    if (lib_.is_loaded()) lib_.unload();
    std::error_code ec;
    std::filesystem::remove(private_copy_, ec);
}

void PluginInstance::start() {
    starting_ = true;
    oxios_status st = OXIOS_E_INTERNAL;
    std::string threw;
    try {
        st = api_->start(instance_);
    } catch (const std::exception& e) {
        threw = e.what();
    } catch (...) {
        threw = "unknown exception";
    }
    starting_ = false;
    // The caller retires the instance (stop, destroy) after a failed start.
    if (auto why = rules::step_failure("start", st, threw, route_error_); !why.empty()) refuse(why);
}

void PluginInstance::refuse_route(const std::string& why) {
    if (route_error_.empty()) route_error_ = why;
}

void PluginInstance::import_state(const std::string& blob) {
    if (!OXIOS_HAS(api_, oxios_plugin_api, import_state) || !api_->import_state || blob.empty()) return;
    try {
        api_->import_state(instance_, blob.data(), blob.size());
    } catch (...) {
    }
}

bool PluginInstance::takes_backpressure() const {
    return OXIOS_HAS(api_, oxios_plugin_api, stream_writable) && api_->stream_writable != nullptr;
}

void PluginInstance::stream_writable(uint64_t stream) {
    if (!takes_backpressure()) return;
    try {
        api_->stream_writable(instance_, stream);
    } catch (...) {
    }
}

oxios_status PluginInstance::handle(void* route_data, const oxios_request* req, oxios_response* resp) {
    try {
        return api_->handle(instance_, route_data, req, resp);
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

void PluginInstance::open(oxios_route_kind kind, void* route_data, uint64_t id, const oxios_request* req,
                          uint64_t last_seq, uint32_t flags) {
    try {
        if (kind == OXIOS_ROUTE_SSE && api_->stream_open)
            api_->stream_open(instance_, route_data, id, req, last_seq, flags);
        else if (kind == OXIOS_ROUTE_WEBSOCKET && api_->ws_open)
            api_->ws_open(instance_, route_data, id, req, flags);
    } catch (...) {
    }
}

void PluginInstance::message(uint64_t ws, std::string_view data, bool text) {
    if (!api_->ws_message) return;
    try {
        api_->ws_message(instance_, ws, data.data(), data.size(), text ? 1 : 0);
    } catch (...) {
    }
}

void PluginInstance::close(oxios_route_kind kind, uint64_t id, uint16_t code, uint32_t reason) {
    try {
        if (kind == OXIOS_ROUTE_SSE && api_->stream_close)
            api_->stream_close(instance_, id, reason);
        else if (kind == OXIOS_ROUTE_WEBSOCKET && api_->ws_close)
            api_->ws_close(instance_, id, code, reason);
    } catch (...) {
    }
}

void PluginInstance::deliver(const oxios_delivery& delivery) {
    if (!api_->deliver) return;
    try {
        api_->deliver(instance_, &delivery);
    } catch (...) {
    }
}

std::string PluginInstance::export_state() {
    std::string out;
    if (!OXIOS_HAS(api_, oxios_plugin_api, export_state) || !api_->export_state) return out;
    try {
        api_->export_state(
            instance_, [](void* u, const char* d, size_t n) { static_cast<std::string*>(u)->append(d, n); }, &out);
    } catch (...) {
        out.clear();
    }
    return out;
}

bool PluginInstance::stop_and_destroy(std::chrono::milliseconds deadline) {
    auto stopped = std::make_shared<std::promise<void>>();
    auto done = stopped->get_future();
    const oxios_plugin_api* api = api_;
    void* inst = instance_;
    std::thread stopper([api, inst, stopped] {
        try {
            api->stop(inst);
        } catch (...) {
        }
        stopped->set_value();
    });
    if (done.wait_for(deadline) != std::future_status::ready) {
        // Its code may still run: never destroy nor unload it.
        stopper.detach();
        leaked_ = true;
        return false;
    }
    stopper.join();
    try {
        api_->destroy(instance_);
    } catch (...) {
    }
    destroyed_ = true;
    unload();
    return true;
}

PluginInstance::Call::Call(PluginInstance& p) : p_(p) {
    p_.calls_.fetch_add(1, std::memory_order_acq_rel);
    ok_ = !p_.retired_.load(std::memory_order_acquire);
}

PluginInstance::Call::~Call() {
    if (p_.calls_.fetch_sub(1, std::memory_order_acq_rel) == 1 && p_.retired_.load()) {
        std::lock_guard lock(p_.drain_mutex_);
        p_.drained_.notify_all();
    }
}

bool PluginInstance::retire_and_drain(std::chrono::milliseconds deadline) {
    retired_.store(true, std::memory_order_release);
    std::unique_lock lock(drain_mutex_);
    return drained_.wait_for(lock, deadline, [this] { return calls_.load() == 0; });
}

}  // namespace oxios::plugins
