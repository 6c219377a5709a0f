// A small plugin that exercises the mock host harness itself (tests/harness_tests).
// Built as harness_test_plugin.so; it speaks only the C ABI (abi/oxios_plugin.h).
//
// Environment knobs read in start() (for the refusal tests):
//   OXIOS_TEST_DUP_ROUTE=fail    registers GET /hello twice, start fails on CONFLICT
//   OXIOS_TEST_DUP_ROUTE=ignore  registers it twice, ignores the CONFLICT
//   OXIOS_TEST_FAIL_START=1      start returns OXIOS_E_INTERNAL
#include "echo_plugin.hpp"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

namespace echo_plugin {
namespace {

void on_event(void* user, uint64_t seq, const char* data, size_t len) {
    auto* p = static_cast<Plugin*>(user);
    const std::string frame = "id: " + std::to_string(seq) + "\ndata: " + std::string(data, len) + "\n\n";
    // Under the same lock as a stream's replay: a stream goes live only once
    // its replay is written, so a live event can never overtake the replay.
    std::lock_guard<std::mutex> lock(p->mu);
    for (uint64_t s : p->streams) p->api->stream_write(p->host, s, seq, os(frame));
}

struct Replay {
    Plugin* p;
    uint64_t stream;
};
void on_replay(void* user, uint64_t seq, const char* data, size_t len) {
    auto* r = static_cast<Replay*>(user);
    const std::string frame = "id: " + std::to_string(seq) + "\ndata: " + std::string(data, len) + "\n\n";
    r->p->api->stream_write(r->p->host, r->stream, seq, os(frame));
}

// ---------------------------------------------------------------------------
oxios_status p_create(const oxios_host_api* api, oxios_host* host, void** instance) {
    try {
        if (!api || api->size < sizeof(oxios_host_api) || api->abi_major != OXIOS_ABI_MAJOR) return OXIOS_E_ABI;
        auto* p = new Plugin;
        p->api = api;
        p->host = host;
        *instance = p;
        return OXIOS_OK;
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

oxios_status p_start(void* instance) {
    try {
        auto* p = static_cast<Plugin*>(instance);
        const char* fail_start = std::getenv("OXIOS_TEST_FAIL_START");
        if (fail_start && std::strcmp(fail_start, "1") == 0) return OXIOS_E_INTERNAL;
        struct R {
            uint32_t kind;
            const char* method;
            const char* pattern;
            RouteId id;
        };
        static const R routes[] = {
            {OXIOS_ROUTE_PLAIN, "GET", "/hello", R_HELLO},
            {OXIOS_ROUTE_PLAIN, "GET", "/items/{id}", R_ITEM_PARAM},
            {OXIOS_ROUTE_PLAIN, "GET", "/items/special", R_ITEM_LITERAL},
            {OXIOS_ROUTE_PLAIN, "GET", "/files/{*path}", R_FILES},
            {OXIOS_ROUTE_PLAIN, "GET", "/echo", R_ECHO},
            {OXIOS_ROUTE_PLAIN, "POST", "/echo", R_ECHO},
            {OXIOS_ROUTE_PLAIN, "*", "/any", R_ANY_STAR},
            {OXIOS_ROUTE_PLAIN, "POST", "/any", R_ANY_POST},
            {OXIOS_ROUTE_PLAIN, "POST", "/twice", R_TWICE},
            {OXIOS_ROUTE_PLAIN, "GET", "/norespond", R_NORESPOND},
            {OXIOS_ROUTE_PLAIN, "GET", "/fail", R_FAIL},
            {OXIOS_ROUTE_PLAIN, "GET", "/stale/keep", R_STALE_KEEP},
            {OXIOS_ROUTE_PLAIN, "GET", "/stale/use", R_STALE_USE},
            {OXIOS_ROUTE_PLAIN, "POST", "/chat", R_CHAT},
            {OXIOS_ROUTE_PLAIN, "POST", "/chat/sync", R_CHAT_SYNC},
            {OXIOS_ROUTE_PLAIN, "GET", "/deliveries", R_DELIVERIES},
            {OXIOS_ROUTE_PLAIN, "GET", "/closes", R_CLOSES},
            {OXIOS_ROUTE_PLAIN, "GET", "/state", R_STATE},
            {OXIOS_ROUTE_PLAIN, "POST", "/publish", R_PUBLISH},
            {OXIOS_ROUTE_PLAIN, "GET", "/config", R_CONFIG},
            {OXIOS_ROUTE_PLAIN, "GET", "/late-route", R_LATE_ROUTE},
            {OXIOS_ROUTE_WEBSOCKET, "GET", "/ws", R_WS},
            {OXIOS_ROUTE_SSE, "GET", "/events", R_EVENTS},
            {OXIOS_ROUTE_PLAIN, "POST", "/sessions", R_SESSION_APPEND},
            {OXIOS_ROUTE_PLAIN, "GET", "/sessions/{id}", R_SESSION_GET},
            {OXIOS_ROUTE_PLAIN, "GET", "/sessions", R_SESSION_LIST},
            {OXIOS_ROUTE_PLAIN, "DELETE", "/sessions/{id}", R_SESSION_DELETE},
            {OXIOS_ROUTE_PLAIN, "POST", "/sessions/prune", R_SESSION_PRUNE},
            {OXIOS_ROUTE_PLAIN, "GET", "/token", R_TOKEN},
            {OXIOS_ROUTE_PLAIN, "POST", "/call/{method}", R_CALL},
            {OXIOS_ROUTE_PLAIN, "POST", "/log", R_LOG},
            {OXIOS_ROUTE_PLAIN, "GET", "/now", R_NOW},
        };
        for (const auto& r : routes) {
            const oxios_status st = add(p, r.kind, r.method, r.pattern, r.id);
            if (st != OXIOS_OK) return st;
        }
        if (const char* dup = std::getenv("OXIOS_TEST_DUP_ROUTE")) {
            // Same shape, other parameter name: still a conflict.
            const oxios_status st = add(p, OXIOS_ROUTE_PLAIN, "GET", "/items/{other}", R_ITEM_PARAM);
            if (std::strcmp(dup, "fail") == 0 && st != OXIOS_OK) return st;
        }
        return p->api->events_subscribe(p->host, on_event, p, &p->sub);
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

oxios_status p_import_state(void* instance, const char* data, size_t len) {
    try {
        auto* p = static_cast<Plugin*>(instance);
        std::lock_guard<std::mutex> lock(p->mu);
        p->imported.assign(data ? data : "", data ? len : 0);
        return OXIOS_OK;
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

oxios_status p_export_state(void* instance, oxios_sink sink, void* user) {
    try {
        auto* p = static_cast<Plugin*>(instance);
        const std::string blob = "served=" + std::to_string(p->served.load());
        sink(user, blob.data(), blob.size());
        return OXIOS_OK;
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

oxios_status p_stream_open(void* instance, void*, uint64_t stream, const oxios_request* req, uint64_t last_seq,
                           uint32_t flags) {
    try {
        auto* p = static_cast<Plugin*>(instance);
        std::lock_guard<std::mutex> lock(p->mu);
        const bool resumed = (flags & OXIOS_OPEN_RESUMED) != 0;
        const std::string hello = ": open resumed=" + std::to_string(resumed ? 1 : 0) +
                                  " last=" + std::to_string(last_seq) + " path=" + std::string(sv(req->path)) + "\n\n";
        p->api->stream_write(p->host, stream, 0, os(hello));
        // On resume, replay the whole buffer on purpose: the host must drop
        // every seq it already wrote, so the client sees no repeat.
        Replay r{p, stream};
        uint64_t missed = 0;
        p->api->events_since(p->host, resumed ? 0 : last_seq, on_replay, &r, &missed);
        p->streams.insert(stream);
        return OXIOS_OK;
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

void record_close(Plugin* p, const char* kind, uint64_t id, uint32_t reason, uint16_t code) {
    const std::string s = json([&](Writer& w) {
        w.StartObject();
        w.Key("kind");
        w.String(kind);
        w.Key("id");
        w.Uint64(id);
        w.Key("reason");
        w.Uint(reason);
        w.Key("code");
        w.Uint(code);
        w.EndObject();
    });
    std::lock_guard<std::mutex> lock(p->mu);
    p->closes.push_back(s);
}

void p_stream_close(void* instance, uint64_t stream, uint32_t reason) {
    try {
        auto* p = static_cast<Plugin*>(instance);
        {
            std::lock_guard<std::mutex> lock(p->mu);
            p->streams.erase(stream);
        }
        record_close(p, "sse", stream, reason, 0);
    } catch (...) {
    }
}

oxios_status p_ws_open(void* instance, void*, uint64_t ws, const oxios_request* req, uint32_t flags) {
    try {
        auto* p = static_cast<Plugin*>(instance);
        std::string imported;
        {
            std::lock_guard<std::mutex> lock(p->mu);
            imported = p->imported;
        }
        const std::string hello = json([&](Writer& w) {
            w.StartObject();
            w.Key("type");
            w.String("hello");
            w.Key("resumed");
            w.Bool((flags & OXIOS_OPEN_RESUMED) != 0);
            w.Key("version");
            w.String(HARNESS_TEST_VERSION);
            w.Key("imported");
            put(w, imported);
            w.Key("path");
            put(w, sv(req->path));
            w.Key("query");
            put(w, sv(req->query));
            w.EndObject();
        });
        return p->api->ws_send(p->host, ws, os(hello));
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

void p_ws_message(void* instance, uint64_t ws, const char* data, size_t len, int32_t) {
    try {
        auto* p = static_cast<Plugin*>(instance);
        const std::string_view text(data, len);
        if (text == "close") {
            p->api->ws_close(p->host, ws, 4000, os("bye"));
            return;
        }
        if (text.substr(0, 5) == "chat:") {
            const std::string id = "ws-" + std::to_string(++p->msg_counter);
            const std::string content(text.substr(5));
            oxios_chat_message m{};
            m.size = sizeof m;
            m.id = os(id);
            m.content = os(content);
            m.user_id = os("web-user");
            m.connection = ws;
            p->api->gateway_submit(p->host, &m);
            return;
        }
        const std::string reply = json([&](Writer& w) {
            w.StartObject();
            w.Key("type");
            w.String("echo");
            w.Key("text");
            put(w, text);
            w.Key("version");
            w.String(HARNESS_TEST_VERSION);
            w.EndObject();
        });
        p->api->ws_send(p->host, ws, os(reply));
    } catch (...) {
    }
}

void p_ws_close(void* instance, uint64_t ws, uint16_t code, uint32_t reason) {
    try {
        record_close(static_cast<Plugin*>(instance), "ws", ws, reason, code);
    } catch (...) {
    }
}

void p_deliver(void* instance, const oxios_delivery* d) {
    try {
        auto* p = static_cast<Plugin*>(instance);
        const char* kind = d->kind == OXIOS_DELIVERY_TOKEN   ? "token"
                           : d->kind == OXIOS_DELIVERY_REPLY ? "done"
                                                             : "error";
        const std::string s = json([&](Writer& w) {
            w.StartObject();
            w.Key("type");
            w.String(kind);
            w.Key("id");
            put(w, sv(d->message->id));
            w.Key("message_content");
            put(w, sv(d->message->content));
            w.Key("content");
            put(w, sv(d->content));
            w.Key("session_id");
            put(w, sv(d->session_id));
            w.Key("error");
            w.Int(d->error);
            w.Key("version");
            w.String(HARNESS_TEST_VERSION);
            w.EndObject();
        });
        {
            std::lock_guard<std::mutex> lock(p->mu);
            p->deliveries.push_back(s);
        }
        if (d->message->connection != 0) p->api->ws_send(p->host, d->message->connection, os(s));
    } catch (...) {
    }
}

oxios_status p_stop(void* instance) {
    try {
        auto* p = static_cast<Plugin*>(instance);
        if (p->sub) p->api->events_unsubscribe(p->host, p->sub);
        p->sub = 0;
        return OXIOS_OK;
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

void p_destroy(void* instance) { delete static_cast<Plugin*>(instance); }

const oxios_plugin_api kApi = {
    sizeof(oxios_plugin_api),
    0,
    p_create,
    p_start,
    p_import_state,
    p_handle,
    p_stream_open,
    p_stream_close,
    p_ws_open,
    p_ws_message,
    p_ws_close,
    p_deliver,
    p_export_state,
    p_stop,
    p_destroy,
};

const char kName[] = "harness-test";
const char kVersion[] = HARNESS_TEST_VERSION;

const oxios_plugin_descriptor kDescriptor = {
    sizeof(oxios_plugin_descriptor),  OXIOS_ABI_MAJOR, OXIOS_ABI_MINOR, 0, {kName, sizeof(kName) - 1},
    {kVersion, sizeof(kVersion) - 1}, &kApi,
};

}  // namespace
}  // namespace echo_plugin

extern "C" OXIOS_EXPORT const oxios_plugin_descriptor* oxios_plugin_entry(void) { return &echo_plugin::kDescriptor; }
