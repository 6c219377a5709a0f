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
    if (api == nullptr || api->abi_major != OXIOS_ABI_MAJOR || !OXIOS_HAS(api, oxios_host_api, call)) {
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
                inst->host.log(OXIOS_LOG_ERROR, "web: route_add " + std::string(def->method) + " " + def->pattern +
                                                    " failed with status " + std::to_string(s));
                return s;
            }
        }
        if (const oxios_status s = inst->events.start(); s != OXIOS_OK) return s;
        inst->started = true;
        return OXIOS_OK;
    } catch (const std::exception& e) {
        log_failure(inst, "start", e.what());
        return OXIOS_E_INTERNAL;
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

// Hand-over blob, versioned: {"format":"oxios-web-state","version":2,
// "rate_limit":{...},"events":{...},"chat":{...}}. A version-1 blob (rate-limit
// buckets only, from an older build) is still read; anything else is ignored.
constexpr std::string_view kStateFormat = "oxios-web-state";
constexpr int kStateVersion = 2;

oxios_status plugin_import_state(void* instance, const char* data, size_t len) {
    Instance* inst = as_instance(instance);
    if (inst == nullptr) return OXIOS_E_INVALID;
    if (data == nullptr || len == 0) return OXIOS_OK;
    try {
        const std::string_view blob(data, len);
        json::Document doc;
        if (!json::parse(blob, doc) || !doc.IsObject()) return OXIOS_OK;
        const json::Value* format = json::find(doc, "format");
        const json::Value* version = json::find(doc, "version");
        const bool ours = format != nullptr && format->IsString() &&
                          std::string_view(format->GetString(), format->GetStringLength()) == kStateFormat &&
                          version != nullptr && version->IsInt() && version->GetInt() == kStateVersion;
        if (!ours) {
            inst->limiter.import_blob(blob);  // version 1, or unreadable (ignored)
            return OXIOS_OK;
        }
        if (const json::Value* rl = json::find(doc, "rate_limit"); rl != nullptr && rl->IsObject()) {
            inst->limiter.import_blob(json::to_string(*rl));
        }
        if (const json::Value* ev = json::find(doc, "events")) inst->events.import_state(*ev);
        if (const json::Value* chat = json::find(doc, "chat")) inst->chat.import_state(*chat, inst->host.now_us());
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
        const std::string limits = inst->limiter.export_blob();
        json::Document rl;
        const bool rl_ok = json::parse(limits, rl) && rl.IsObject();
        json::Builder b;
        b.obj().kv("format", kStateFormat).kv("version", kStateVersion);
        if (rl_ok) b.kv("rate_limit", rl);
        b.key("events");
        inst->events.export_state(b);
        b.key("chat");
        inst->chat.export_state(b);
        b.end_obj();
        sink(user, b.view().data(), b.view().size());
        return OXIOS_OK;
    } catch (const std::exception& e) {
        log_failure(inst, "export_state", e.what());
        return OXIOS_E_INTERNAL;
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

oxios_status plugin_handle(void* instance, void* route_data, const oxios_request* req, oxios_response* resp) {
    Instance* inst = as_instance(instance);
    if (inst == nullptr || route_data == nullptr || req == nullptr || resp == nullptr) {
        return OXIOS_E_INVALID;
    }
    dispatch(*inst, *static_cast<const RouteDef*>(route_data), *req, resp);  // noexcept
    return OXIOS_OK;
}

// ---- Streams, WebSockets and gateway deliveries -------------------------
// SSE /api/events: channels/sse_events.cpp. WebSocket /api/chat/stream and
// every gateway delivery: channels/ws_chat.cpp. A WebSocket needs no state
// of its own in the plugin (replies name their socket), so ws_open/ws_close
// only accept.
oxios_status plugin_stream_open(void* instance, void*, uint64_t stream, const oxios_request*, uint64_t last_seq,
                                uint32_t flags) {
    Instance* inst = as_instance(instance);
    if (inst == nullptr) return OXIOS_E_INVALID;
    try {
        return inst->events.open(stream, last_seq, (flags & OXIOS_OPEN_RESUMED) != 0);
    } catch (const std::exception& e) {
        log_failure(inst, "stream_open", e.what());
        return OXIOS_E_INTERNAL;
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

void plugin_stream_close(void* instance, uint64_t stream, uint32_t) {
    Instance* inst = as_instance(instance);
    if (inst == nullptr) return;
    try {
        inst->events.close(stream);
    } catch (...) {
    }
}

void plugin_stream_writable(void* instance, uint64_t stream) {
    Instance* inst = as_instance(instance);
    if (inst == nullptr) return;
    try {
        inst->events.writable(stream);
    } catch (const std::exception& e) {
        log_failure(inst, "stream_writable", e.what());
    } catch (...) {
    }
}

oxios_status plugin_ws_open(void* instance, void*, uint64_t, const oxios_request*, uint32_t) {
    return instance == nullptr ? OXIOS_E_INVALID : OXIOS_OK;
}

void plugin_ws_message(void* instance, uint64_t ws, const char* data, size_t len, int32_t is_text) {
    Instance* inst = as_instance(instance);
    if (inst == nullptr) return;
    inst->chat.on_message(*inst, ws, std::string_view(data == nullptr ? "" : data, data == nullptr ? 0 : len),
                          is_text != 0);  // noexcept
}

void plugin_ws_close(void*, uint64_t, uint16_t, uint32_t) {}

void plugin_deliver(void* instance, const oxios_delivery* delivery) {
    Instance* inst = as_instance(instance);
    if (inst == nullptr || delivery == nullptr) return;
    inst->chat.on_delivery(*inst, *delivery);  // noexcept
}
// ---- end of channels --------------------------------------------------------

oxios_status plugin_stop(void* instance) {
    Instance* inst = as_instance(instance);
    if (inst == nullptr) return OXIOS_E_INVALID;
    inst->started = false;
    try {
        inst->events.stop();  // unsubscribes: no event callback runs after this
    } catch (const std::exception& e) {
        log_failure(inst, "stop", e.what());
    } catch (...) {
    }
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
    .stream_writable = plugin_stream_writable,
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

extern "C" OXIOS_EXPORT const oxios_plugin_descriptor* oxios_plugin_entry(void) { return &web::kDescriptor; }
