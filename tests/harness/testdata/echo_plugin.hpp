// Shared by the harness test plugin's files (echo_plugin.cpp, echo_routes.cpp):
// JSON and request helpers, the route ids and the plugin's state.
#pragma once

#include "oxios_plugin.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#ifndef HARNESS_TEST_VERSION
#define HARNESS_TEST_VERSION "1.0.0"
#endif

namespace echo_plugin {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

inline std::string_view sv(oxios_str s) {
    return (s.ptr && s.len) ? std::string_view(s.ptr, s.len) : std::string_view();
}
inline oxios_str os(std::string_view s) { return oxios_str{s.data(), s.size()}; }
inline void put(Writer& w, std::string_view s) {
    w.String(s.empty() ? "" : s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// [[name, value], ...]
inline void put_pairs(Writer& w, const oxios_pair* pairs, uint32_t count) {
    w.StartArray();
    for (uint32_t i = 0; i < count; ++i) {
        w.StartArray();
        put(w, sv(pairs[i].name));
        put(w, sv(pairs[i].value));
        w.EndArray();
    }
    w.EndArray();
}

template <typename F>
std::string json(F&& f) {
    rapidjson::StringBuffer sb;
    Writer w(sb);
    f(w);
    return std::string(sb.GetString(), sb.GetSize());
}

inline void append_sink(void* user, const char* data, size_t len) {
    static_cast<std::string*>(user)->append(data, len);
}

enum RouteId : uintptr_t {
    R_HELLO = 1,
    R_ITEM_PARAM,
    R_ITEM_LITERAL,
    R_FILES,
    R_ECHO,
    R_ANY_STAR,
    R_ANY_POST,
    R_TWICE,
    R_NORESPOND,
    R_FAIL,
    R_STALE_KEEP,
    R_STALE_USE,
    R_CHAT,
    R_CHAT_SYNC,
    R_DELIVERIES,
    R_CLOSES,
    R_STATE,
    R_PUBLISH,
    R_CONFIG,
    R_LATE_ROUTE,
    R_WS,
    R_EVENTS,
    R_SESSION_APPEND,
    R_SESSION_GET,
    R_SESSION_LIST,
    R_SESSION_DELETE,
    R_SESSION_PRUNE,
    R_TOKEN,
    R_CALL,
    R_LOG,
    R_NOW,
};

struct Plugin {
    const oxios_host_api* api = nullptr;
    oxios_host* host = nullptr;
    std::mutex mu;
    std::vector<std::string> deliveries;  // JSON objects
    std::vector<std::string> closes;      // JSON objects
    std::set<uint64_t> streams;
    uint64_t sub = 0;
    std::string imported;
    std::atomic<int> served{0};
    std::atomic<int> msg_counter{0};
    oxios_response* stale = nullptr;

    oxios_status respond(oxios_response* r, int status, const std::string& body,
                         std::string_view ct = "application/json") {
        return api->respond(r, status, os(ct), os(body));
    }
};

inline std::string query_param(const oxios_request* req, std::string_view name) {
    for (uint32_t i = 0; i < req->query_count; ++i)
        if (sv(req->query_params[i].name) == name) return std::string(sv(req->query_params[i].value));
    return {};
}

inline bool has_query(const oxios_request* req, std::string_view name) {
    for (uint32_t i = 0; i < req->query_count; ++i)
        if (sv(req->query_params[i].name) == name) return true;
    return false;
}

inline std::string param(const oxios_request* req, std::string_view name) {
    for (uint32_t i = 0; i < req->param_count; ++i)
        if (sv(req->params[i].name) == name) return std::string(sv(req->params[i].value));
    return {};
}

// Registers one route; route_data carries the RouteId.
inline oxios_status add(Plugin* p, uint32_t kind, const char* method, const char* pattern, RouteId id) {
    oxios_route r{};
    r.size = sizeof r;
    r.kind = kind;
    r.method = os(method);
    r.pattern = os(pattern);
    r.route_data = reinterpret_cast<void*>(static_cast<uintptr_t>(id));
    return p->api->route_add(p->host, &r);
}

// The HTTP routes (echo_routes.cpp).
oxios_status p_handle(void* instance, void* route_data, const oxios_request* req, oxios_response* resp);

}  // namespace echo_plugin
