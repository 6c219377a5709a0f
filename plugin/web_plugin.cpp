// Entry point, descriptor and instance lifecycle of web_plugin.so. Every entry
// point catches all exceptions and turns them into a status.
#include "instance.hpp"
#include "json.hpp"
#include "router.hpp"

#include "oxios_plugin.h"

#include <new>
#include <string>

namespace web {
namespace {

Instance* as_instance(void* p) { return static_cast<Instance*>(p); }

void log_failure(Instance* inst, std::string_view where, const char* what) noexcept {
    try {
        inst->host.log(OXIOS_LOG_ERROR, "web: " + std::string(where) + " failed: " + what);
    } catch (...) {
    }
}

oxios_status plugin_create(const oxios_host_api* api, oxios_host* host, void** instance) {
    if (instance == nullptr) return OXIOS_E_INVALID;
    *instance = nullptr;
    if (api == nullptr || api->abi_major != OXIOS_ABI_MAJOR ||
        !OXIOS_HAS(api, oxios_host_api, call)) {
        return OXIOS_E_ABI;
    }
    try {
        auto* inst = new Instance(api, host);
        json::Builder b;
        b.obj().kv("status", "ok").kv("version", kPluginVersion).end_obj();
        inst->health_body = b.take();
        *instance = inst;
        return OXIOS_OK;
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

oxios_status plugin_start(void* instance) {
    Instance* inst = as_instance(instance);
    if (inst == nullptr) return OXIOS_E_INVALID;
    try {
        for (const RouteDef* def : all_routes()) {
            oxios_route r{};
            r.size = sizeof(oxios_route);
            r.kind = static_cast<uint32_t>(def->kind);
            r.method = to_str(def->method);
            r.pattern = to_str(def->pattern);
            r.route_data = const_cast<RouteDef*>(def);
            const oxios_status s = inst->host.route_add(r);
            if (s != OXIOS_OK) {
                inst->host.log(OXIOS_LOG_ERROR, "web: route_add " + std::string(def->method) + " " +
                                                    def->pattern + " failed with status " +
                                                    std::to_string(s));
                return s;
            }
        }
        inst->started = true;
        return OXIOS_OK;
    } catch (const std::exception& e) {
        log_failure(inst, "start", e.what());
        return OXIOS_E_INTERNAL;
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

oxios_status plugin_import_state(void* instance, const char* data, size_t len) {
    Instance* inst = as_instance(instance);
    if (inst == nullptr) return OXIOS_E_INVALID;
    if (data == nullptr || len == 0) return OXIOS_OK;
    try {
        inst->limiter.import_blob(std::string_view(data, len));  // ignores what it cannot read
    } catch (const std::exception& e) {
        log_failure(inst, "import_state", e.what());
    } catch (...) {
    }
    return OXIOS_OK;
}

oxios_status plugin_export_state(void* instance, oxios_sink sink, void* user) {
    Instance* inst = as_instance(instance);
    if (inst == nullptr || sink == nullptr) return OXIOS_E_INVALID;
    try {
        const std::string blob = inst->limiter.export_blob();
        sink(user, blob.data(), blob.size());
        return OXIOS_OK;
    } catch (const std::exception& e) {
        log_failure(inst, "export_state", e.what());
        return OXIOS_E_INTERNAL;
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

oxios_status plugin_handle(void* instance, void* route_data, const oxios_request* req,
                           oxios_response* resp) {
    Instance* inst = as_instance(instance);
    if (inst == nullptr || route_data == nullptr || req == nullptr || resp == nullptr) {
        return OXIOS_E_INVALID;
    }
    dispatch(*inst, *static_cast<const RouteDef*>(route_data), *req, resp);  // noexcept
    return OXIOS_OK;
}

// ---- Streams, WebSockets and gateway deliveries -------------------------
// PLACEHOLDERS: the SSE (/api/events) and WebSocket (/api/chat/stream) routes
// come in a later issue; no such route is registered yet, so these are safe
// no-ops that accept and ignore.
oxios_status plugin_stream_open(void*, void*, uint64_t, const oxios_request*, uint64_t, uint32_t) {
    return OXIOS_OK;
}
void plugin_stream_close(void*, uint64_t, uint32_t) {}
oxios_status plugin_ws_open(void*, void*, uint64_t, const oxios_request*, uint32_t) {
    return OXIOS_OK;
}
void plugin_ws_message(void*, uint64_t, const char*, size_t, int32_t) {}
void plugin_ws_close(void*, uint64_t, uint16_t, uint32_t) {}
void plugin_deliver(void*, const oxios_delivery*) {}
// ---- end of placeholders --------------------------------------------------

oxios_status plugin_stop(void* instance) {
    Instance* inst = as_instance(instance);
    if (inst == nullptr) return OXIOS_E_INVALID;
    inst->started = false;  // nothing to unsubscribe or join yet
    return OXIOS_OK;
}

void plugin_destroy(void* instance) {
    try {
        delete as_instance(instance);
    } catch (...) {
    }
}

const oxios_plugin_api kApi = {
    .size = sizeof(oxios_plugin_api),
    .reserved0 = 0,
    .create = plugin_create,
    .start = plugin_start,
    .import_state = plugin_import_state,
    .handle = plugin_handle,
    .stream_open = plugin_stream_open,
    .stream_close = plugin_stream_close,
    .ws_open = plugin_ws_open,
    .ws_message = plugin_ws_message,
    .ws_close = plugin_ws_close,
    .deliver = plugin_deliver,
    .export_state = plugin_export_state,
    .stop = plugin_stop,
    .destroy = plugin_destroy,
};

const oxios_plugin_descriptor kDescriptor = {
    .size = sizeof(oxios_plugin_descriptor),
    .abi_major = OXIOS_ABI_MAJOR,
    .abi_minor = OXIOS_ABI_MINOR,
    .reserved0 = 0,
    .name = {kPluginName.data(), kPluginName.size()},
    .version = {kPluginVersion.data(), kPluginVersion.size()},
    .api = &kApi,
};

}  // namespace
}  // namespace web

extern "C" OXIOS_EXPORT const oxios_plugin_descriptor* oxios_plugin_entry(void) {
    return &web::kDescriptor;
}
