// The C functions behind oxios_host_api. Each one catches everything: no C++
// exception crosses into a plugin.
#include "plugins/host_api.hpp"

#include "plugins/plugin_manager.hpp"
#include "plugins/request_view.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>

namespace oxios::plugins {
namespace {

using kernel::Delivery;

std::string_view sv(oxios_str s) { return s.ptr ? std::string_view(s.ptr, s.len) : std::string_view(); }
std::string str(oxios_str s) { return std::string(sv(s)); }

template <class F>
oxios_status guarded(F&& f) {
    try {
        return f();
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

void emit(oxios_sink sink, void* user, const std::string& text) {
    if (sink) sink(user, text.data(), text.size());
}

kernel::ChatMessage to_message(const oxios_chat_message* m) {
    kernel::ChatMessage out;
    out.id = str(m->id);
    out.content = str(m->content);
    out.user_id = str(m->user_id);
    out.session_id = str(m->session_id);
    out.space_id = str(m->space_id);
    out.connection = m->connection;
    return out;
}

PluginManager& mgr(oxios_host* h) { return *h->manager; }
PluginInstance& inst(oxios_host* h) { return *h->instance; }

void h_log(oxios_host* host, int32_t level, oxios_str message) {
    try {
        if (host) mgr(host).log(inst(host).name(), level, sv(message));
    } catch (...) {
    }
}

int64_t h_now_us(oxios_host*) {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

oxios_status h_config_get(oxios_host* host, oxios_str key, oxios_sink sink, void* user) {
    return guarded([&]() -> oxios_status {
        auto v = mgr(host).kernel().config_get(sv(key));
        if (!v) return OXIOS_E_NOT_FOUND;
        emit(sink, user, *v);
        return OXIOS_OK;
    });
}

uint64_t h_config_generation(oxios_host* host) {
    try {
        return mgr(host).kernel().config_generation();
    } catch (...) {
        return 0;
    }
}

oxios_status h_route_add(oxios_host* host, const oxios_route* route) {
    return guarded([&]() -> oxios_status {
        if (!route) return OXIOS_E_INVALID;
        return mgr(host).route_add(inst(host), *route);
    });
}

oxios_status h_respond(oxios_response* resp, int32_t status, oxios_str content_type, oxios_str body) {
    return guarded([&]() -> oxios_status {
        if (!resp || !resp->valid) return OXIOS_E_CLOSED;
        if (resp->responded) return OXIOS_E_CONFLICT;
        if (status < 100 || status > 599) return OXIOS_E_INVALID;
        resp->responded = true;
        resp->status = status;
        resp->content_type = str(content_type);
        resp->body = str(body);
        return OXIOS_OK;
    });
}

oxios_status h_response_header(oxios_response* resp, oxios_str name, oxios_str value) {
    return guarded([&]() -> oxios_status {
        if (!resp || !resp->valid) return OXIOS_E_CLOSED;
        auto n = sv(name), v = sv(value);
        // No header injection: names are tokens, values have no line breaks.
        if (n.empty() || n.find_first_of(" \t\r\n:") != std::string_view::npos ||
            v.find_first_of("\r\n") != std::string_view::npos)
            return OXIOS_E_INVALID;
        resp->headers.emplace_back(std::string(n), std::string(v));
        return OXIOS_OK;
    });
}

oxios_status h_stream_write(oxios_host* host, uint64_t stream, uint64_t seq, oxios_str data) {
    return guarded([&]() -> oxios_status { return mgr(host).stream_write(inst(host), stream, seq, sv(data)); });
}

oxios_status h_stream_end(oxios_host* host, uint64_t stream) {
    return guarded([&]() -> oxios_status { return mgr(host).stream_end(inst(host), stream); });
}

oxios_status h_ws_send(oxios_host* host, uint64_t ws, oxios_str text) {
    return guarded([&]() -> oxios_status { return mgr(host).ws_send(ws, sv(text)); });
}

oxios_status h_ws_close(oxios_host* host, uint64_t ws, uint16_t code, oxios_str reason) {
    return guarded([&]() -> oxios_status { return mgr(host).ws_close(ws, code, sv(reason)); });
}

oxios_status h_gateway_submit(oxios_host* host, const oxios_chat_message* msg) {
    return guarded([&]() -> oxios_status {
        if (!msg || msg->size < sizeof(oxios_chat_message)) return OXIOS_E_INVALID;
        PluginManager* m = &mgr(host);
        std::string plugin = inst(host).name();
        return m->kernel().submit(to_message(msg), [m, plugin](const Delivery& d) { m->deliver(plugin, d); });
    });
}

oxios_status h_gateway_call(oxios_host* host, const oxios_chat_message* msg, uint32_t timeout_ms, oxios_delivery_fn fn,
                            void* user) {
    return guarded([&]() -> oxios_status {
        if (!msg || msg->size < sizeof(oxios_chat_message)) return OXIOS_E_INVALID;
        struct Waiter {
            std::mutex mutex;
            std::condition_variable cv;
            std::optional<Delivery> final;
        };
        auto waiter = std::make_shared<Waiter>();
        auto sink = [waiter](const Delivery& d) {
            if (d.kind == OXIOS_DELIVERY_TOKEN) return;
            std::lock_guard lock(waiter->mutex);
            if (!waiter->final) waiter->final = d;
            waiter->cv.notify_all();
        };
        // Without a timeout of its own the caller waits as long as the
        // gateway would: it may as well serve the message on this thread.
        auto& kernel = mgr(host).kernel();
        auto st = timeout_ms == 0 ? kernel.call_chat(to_message(msg), sink) : kernel.submit(to_message(msg), sink);
        if (st != OXIOS_OK) return st;
        std::unique_lock lock(waiter->mutex);
        if (!waiter->final) {  // served elsewhere (queued, or submitted): wait for it
            lock.unlock();
            std::chrono::milliseconds limit(timeout_ms);
            if (timeout_ms == 0) {
                // The gateway enforces the configured reply timeout and then
                // delivers an error; wait a little longer than that.
                long secs = 120;
                if (auto v = kernel.config_get("gateway.reply_timeout_secs")) secs = std::atol(v->c_str());
                limit = std::chrono::milliseconds(secs * 1000 + 2000);
            }
            lock.lock();
            if (!waiter->cv.wait_for(lock, limit, [&] { return waiter->final.has_value(); })) return OXIOS_E_TIMEOUT;
        }
        Delivery d = std::move(*waiter->final);
        lock.unlock();
        DeliveryView view(d);
        if (fn) fn(user, &view.delivery);
        if (d.kind == OXIOS_DELIVERY_ERROR) return d.error == OXIOS_OK ? OXIOS_E_INTERNAL : d.error;
        return OXIOS_OK;
    });
}

oxios_status h_session_get(oxios_host* host, oxios_str id, oxios_sink sink, void* user) {
    return guarded([&]() -> oxios_status {
        auto r = mgr(host).kernel().session_get(sv(id));
        if (r.ok()) emit(sink, user, r.body);
        return r.status;
    });
}

oxios_status h_session_append(oxios_host* host, const oxios_exchange* ex) {
    return guarded([&]() -> oxios_status {
        if (!ex || ex->size < sizeof(oxios_exchange)) return OXIOS_E_INVALID;
        return mgr(host).kernel().session_append(*ex);
    });
}

oxios_status h_session_list(oxios_host* host, uint32_t page, uint32_t limit, oxios_sink sink, void* user) {
    return guarded([&]() -> oxios_status {
        auto r = mgr(host).kernel().session_list(page, limit);
        if (r.ok()) emit(sink, user, r.body);
        return r.status;
    });
}

oxios_status h_session_delete(oxios_host* host, oxios_str id) {
    return guarded([&]() -> oxios_status { return mgr(host).kernel().session_delete(sv(id)); });
}

oxios_status h_session_prune(oxios_host* host, int32_t force, oxios_sink sink, void* user) {
    return guarded([&]() -> oxios_status {
        auto r = mgr(host).kernel().session_prune(force != 0);
        if (r.ok()) emit(sink, user, r.body);
        return r.status;
    });
}

oxios_status h_events_subscribe(oxios_host* host, oxios_event_fn fn, void* user, uint64_t* subscription) {
    return guarded([&]() -> oxios_status {
        if (!fn || !subscription) return OXIOS_E_INVALID;
        PluginInstance* instance = &inst(host);
        // Events reach the instance only while it is live (not retired).
        uint64_t id = mgr(host).kernel().events_subscribe([instance, fn, user](uint64_t seq, std::string_view json) {
            PluginInstance::Call call(*instance);
            if (call.ok()) fn(user, seq, json.data(), json.size());
        });
        mgr(host).track_subscription(*instance, id);
        *subscription = id;
        return OXIOS_OK;
    });
}

oxios_status h_events_unsubscribe(oxios_host* host, uint64_t subscription) {
    return guarded([&]() -> oxios_status {
        mgr(host).kernel().events_unsubscribe(subscription);
        mgr(host).untrack_subscription(inst(host), subscription);
        return OXIOS_OK;
    });
}

oxios_status h_events_since(oxios_host* host, uint64_t after_seq, oxios_event_fn fn, void* user, uint64_t* missed) {
    return guarded([&]() -> oxios_status {
        if (!fn) return OXIOS_E_INVALID;
        uint64_t m = mgr(host).kernel().events_since(
            after_seq, [fn, user](uint64_t seq, std::string_view json) { fn(user, seq, json.data(), json.size()); });
        if (missed) *missed = m;
        return OXIOS_OK;
    });
}

oxios_status h_events_publish(oxios_host* host, oxios_str type, oxios_str fields_json) {
    return guarded([&]() -> oxios_status {
        if (sv(type).empty()) return OXIOS_E_INVALID;
        auto fields = sv(fields_json);
        mgr(host).kernel().events_publish(sv(type), fields.empty() ? std::string_view("{}") : fields);
        return OXIOS_OK;
    });
}

oxios_status h_token_check(oxios_host* host, oxios_str token) {
    return guarded(
        [&]() -> oxios_status { return mgr(host).kernel().token_valid(sv(token)) ? OXIOS_OK : OXIOS_E_DENIED; });
}

oxios_status h_call(oxios_host* host, oxios_str method, oxios_str json_in, oxios_sink sink, void* user) {
    return guarded([&]() -> oxios_status {
        auto r = mgr(host).kernel().call(sv(method), sv(json_in));
        emit(sink, user, r.body);
        return r.status;
    });
}

oxios_host_api make_table() {
    oxios_host_api t{};
    t.size = sizeof t;
    t.abi_major = OXIOS_ABI_MAJOR;
    t.abi_minor = OXIOS_ABI_MINOR;
    t.log = h_log;
    t.now_us = h_now_us;
    t.config_get = h_config_get;
    t.config_generation = h_config_generation;
    t.route_add = h_route_add;
    t.respond = h_respond;
    t.response_header = h_response_header;
    t.stream_write = h_stream_write;
    t.stream_end = h_stream_end;
    t.ws_send = h_ws_send;
    t.ws_close = h_ws_close;
    t.gateway_submit = h_gateway_submit;
    t.gateway_call = h_gateway_call;
    t.session_get = h_session_get;
    t.session_append = h_session_append;
    t.session_list = h_session_list;
    t.session_delete = h_session_delete;
    t.session_prune = h_session_prune;
    t.events_subscribe = h_events_subscribe;
    t.events_unsubscribe = h_events_unsubscribe;
    t.events_since = h_events_since;
    t.events_publish = h_events_publish;
    t.token_check = h_token_check;
    t.call = h_call;
    return t;
}

}  // namespace

const oxios_host_api& host_api_table() {
    static const oxios_host_api table = make_table();
    return table;
}

}  // namespace oxios::plugins
