#include "plugins/plugin_instance.hpp"

#include "plugins/elf_check.hpp"

#include <boost/dll/shared_library_load_mode.hpp>

#include <filesystem>
#include <future>
#include <thread>

namespace oxios::plugins {
namespace {

std::string status_text(oxios_status s) {
    switch (s) {
        case OXIOS_OK: return "ok";
        case OXIOS_E_INVALID: return "invalid";
        case OXIOS_E_NOT_FOUND: return "not found";
        case OXIOS_E_CONFLICT: return "conflict";
        case OXIOS_E_BUSY: return "busy";
        case OXIOS_E_TIMEOUT: return "timeout";
        case OXIOS_E_UNSUPPORTED: return "unsupported";
        case OXIOS_E_CLOSED: return "closed";
        case OXIOS_E_DENIED: return "denied";
        case OXIOS_E_TOO_LARGE: return "too large";
        case OXIOS_E_IO: return "io error";
        case OXIOS_E_UPSTREAM: return "upstream error";
        case OXIOS_E_ABI: return "abi mismatch";
        default: return "internal error";
    }
}

std::string view(oxios_str s) { return s.ptr ? std::string(s.ptr, s.len) : std::string(); }

}  // namespace

PluginInstance::PluginInstance(PluginManager& manager, const oxios_host_api& api,
                               std::string source_file, std::string private_copy)
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
        if (!lib_.has(OXIOS_PLUGIN_ENTRY_SYMBOL))
            throw PluginError(source_file_ + ": no entry symbol " OXIOS_PLUGIN_ENTRY_SYMBOL);
        auto& entry = lib_.get<const oxios_plugin_descriptor*()>(OXIOS_PLUGIN_ENTRY_SYMBOL);
        const oxios_plugin_descriptor* d = nullptr;
        try {
            d = entry();
        } catch (...) {
            throw PluginError(source_file_ + ": entry function threw");
        }
        if (!d) throw PluginError(source_file_ + ": entry returned no descriptor");
        // The ABI major lives in the first fields every version has; check it
        // before trusting anything else of the descriptor.
        if (d->size < offsetof(oxios_plugin_descriptor, abi_minor))
            throw PluginError(source_file_ + ": descriptor too small");
        if (d->abi_major != OXIOS_ABI_MAJOR)
            throw PluginError(source_file_ + ": ABI major " + std::to_string(d->abi_major) +
                              " does not match the host's " + std::to_string(OXIOS_ABI_MAJOR));
        if (!OXIOS_HAS(d, oxios_plugin_descriptor, api) || !d->api)
            throw PluginError(source_file_ + ": descriptor too small (" + std::to_string(d->size) +
                              " bytes, need " + std::to_string(sizeof(oxios_plugin_descriptor)) + ")");
        api_ = d->api;
        if (!OXIOS_HAS(api_, oxios_plugin_api, destroy))
            throw PluginError(source_file_ + ": plugin function table too small");
        if (!api_->create || !api_->start || !api_->stop || !api_->destroy || !api_->handle)
            throw PluginError(source_file_ + ": plugin function table lacks a required function");
        name_ = view(d->name);
        version_ = view(d->version);
        if (name_.empty()) throw PluginError(source_file_ + ": plugin has no name");

        oxios_status st;
        try {
            st = api_->create(&api, &host_, &instance_);
        } catch (const std::exception& e) {
            throw PluginError(name_ + ": create threw: " + e.what());
        } catch (...) {
            throw PluginError(name_ + ": create threw");
        }
        if (st != OXIOS_OK) throw PluginError(name_ + ": create failed: " + status_text(st));
    } catch (...) {
        unload();
        throw;
    }
}

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
    oxios_status st;
    try {
        st = api_->start(instance_);
    } catch (...) {
        st = OXIOS_E_INTERNAL;
    }
    starting_ = false;
    // The caller retires the instance (stop, destroy) after a failed start.
    if (st != OXIOS_OK) throw PluginError(name_ + ": start failed: " + status_text(st));
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

std::string PluginInstance::export_state() {
    std::string out;
    if (!OXIOS_HAS(api_, oxios_plugin_api, export_state) || !api_->export_state) return out;
    try {
        api_->export_state(
            instance_, [](void* u, const char* d, size_t n) { static_cast<std::string*>(u)->append(d, n); },
            &out);
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
