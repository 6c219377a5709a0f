// Mock host harness: the C entry points of the host API (abi/oxios_plugin.h).
// Each one catches everything and forwards to MockHost::Impl.
#include "harness_impl.hpp"

namespace oxios::harness {

// ---------------------------------------------------------------------------
// Host functions: C entry points. Each one catches everything.
// ---------------------------------------------------------------------------
namespace {

Instance* inst_of(oxios_host* h) { return reinterpret_cast<Instance*>(h); }
bool usable(Instance* i) { return i != nullptr && i->alive.load(); }

template <typename F>
oxios_status guarded(F&& f) noexcept {
    try {
        return f();
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

void emit(oxios_sink sink, void* user, const std::string& s) {
    if (sink) sink(user, s.data(), s.size());
}

void h_log(oxios_host* host, int32_t level, oxios_str message) {
    try {
        Instance* i = inst_of(host);
        if (!usable(i)) return;
        i->impl->log(i, level, view(message));
    } catch (...) {
    }
}

int64_t h_now_us(oxios_host* host) {
    try {
        Instance* i = inst_of(host);
        if (!usable(i)) return detail::real_now_us();
        return i->impl->now_us();
    } catch (...) {
        return 0;
    }
}

oxios_status h_config_get(oxios_host* host, oxios_str key, oxios_sink sink, void* user) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        std::string out;
        const oxios_status st = i->impl->config_get(view(key), out);
        if (st == OXIOS_OK) emit(sink, user, out);
        return st;
    });
}

uint64_t h_config_generation(oxios_host* host) {
    try {
        Instance* i = inst_of(host);
        if (!usable(i)) return 0;
        return i->impl->config_gen_.load();
    } catch (...) {
        return 0;
    }
}

oxios_status h_route_add(oxios_host* host, const oxios_route* route) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->route_add(i, route);
    });
}

oxios_status h_respond(oxios_response* resp, int32_t status, oxios_str ct, oxios_str body) {
    return guarded([&]() -> oxios_status { return respond_impl(resp, status, view(ct), view(body)); });
}

oxios_status h_response_header(oxios_response* resp, oxios_str name, oxios_str value) {
    return guarded([&]() -> oxios_status { return response_header_impl(resp, view(name), view(value)); });
}

oxios_status h_stream_write(oxios_host* host, uint64_t stream, uint64_t seq, oxios_str data) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->stream_write(i, stream, seq, view(data));
    });
}

oxios_status h_stream_end(oxios_host* host, uint64_t stream) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->stream_end(i, stream);
    });
}

oxios_status h_ws_send(oxios_host* host, uint64_t ws, oxios_str text) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->ws_send(ws, view(text));
    });
}

oxios_status h_ws_close(oxios_host* host, uint64_t ws, uint16_t code, oxios_str /*reason*/) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->ws_close(i, ws, code);
    });
}

oxios_status h_gateway_submit(oxios_host* host, const oxios_chat_message* msg) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->gateway_submit(msg);
    });
}

oxios_status h_gateway_call(oxios_host* host, const oxios_chat_message* msg, uint32_t timeout_ms, oxios_delivery_fn fn,
                            void* user) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->gateway_call(msg, timeout_ms, fn, user);
    });
}

oxios_status h_session_get(oxios_host* host, oxios_str id, oxios_sink sink, void* user) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        std::string out;
        const oxios_status st = i->impl->session_get(view(id), out);
        if (st == OXIOS_OK) emit(sink, user, out);
        return st;
    });
}

oxios_status h_session_append(oxios_host* host, const oxios_exchange* ex) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->session_append(ex);
    });
}

oxios_status h_session_list(oxios_host* host, uint32_t page, uint32_t limit, oxios_sink sink, void* user) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        std::string out;
        const oxios_status st = i->impl->session_list(page, limit, out);
        if (st == OXIOS_OK) emit(sink, user, out);
        return st;
    });
}

oxios_status h_session_delete(oxios_host* host, oxios_str id) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->session_delete(view(id));
    });
}

oxios_status h_session_prune(oxios_host* host, int32_t force, oxios_sink sink, void* user) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        std::string out;
        const oxios_status st = i->impl->session_prune(force != 0, out);
        if (st == OXIOS_OK) emit(sink, user, out);
        return st;
    });
}

oxios_status h_events_subscribe(oxios_host* host, oxios_event_fn fn, void* user, uint64_t* sub) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->events_subscribe(i, fn, user, sub);
    });
}

oxios_status h_events_unsubscribe(oxios_host* host, uint64_t sub) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->events_unsubscribe(sub);
    });
}

oxios_status h_events_since(oxios_host* host, uint64_t after, oxios_event_fn fn, void* user, uint64_t* missed) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->events_since(after, fn, user, missed);
    });
}

oxios_status h_events_publish(oxios_host* host, oxios_str type, oxios_str fields) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->events_publish(view(type), view(fields), nullptr);
    });
}

oxios_status h_token_check(oxios_host* host, oxios_str token) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->token_check(view(token));
    });
}

oxios_status h_call(oxios_host* host, oxios_str method, oxios_str json_in, oxios_sink sink, void* user) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        std::string out;
        const oxios_status st = i->impl->call(view(method), view(json_in), out);
        emit(sink, user, out);
        return st;
    });
}

}  // namespace

const oxios_host_api kHostApi = {
    sizeof(oxios_host_api),
    OXIOS_ABI_MAJOR,
    OXIOS_ABI_MINOR,
    0,
    h_log,
    h_now_us,
    h_config_get,
    h_config_generation,
    h_route_add,
    h_respond,
    h_response_header,
    h_stream_write,
    h_stream_end,
    h_ws_send,
    h_ws_close,
    h_gateway_submit,
    h_gateway_call,
    h_session_get,
    h_session_append,
    h_session_list,
    h_session_delete,
    h_session_prune,
    h_events_subscribe,
    h_events_unsubscribe,
    h_events_since,
    h_events_publish,
    h_token_check,
    h_call,
};

}  // namespace oxios::harness
