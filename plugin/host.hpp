// Thin C++ wrapper over the host API (abi/oxios_plugin.h): string views in
// both directions, sinks that collect into std::string, and typed helpers for
// the host functions the plugin uses. No ownership: the host outlives it.
#pragma once

#include "oxios_plugin.h"

#include <oxios/rules/oxios_str.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace web {

// The shared oxios_str helpers (oxios/rules/oxios_str.hpp) under the plugin's names.
inline constexpr auto* to_str = &oxios::rules::str;
inline constexpr auto* to_view = &oxios::rules::view;

// oxios_sink that appends to the std::string passed as `user`.
inline void append_sink(void* user, const char* data, size_t len) {
    if (data != nullptr && len > 0) static_cast<std::string*>(user)->append(data, len);
}

class Host {
public:
    Host(const oxios_host_api* api, oxios_host* host) : api_(api), host_(host) {}

    const oxios_host_api& api() const { return *api_; }
    oxios_host* raw() const { return host_; }

    void log(int32_t level, std::string_view message) const { api_->log(host_, level, to_str(message)); }
    int64_t now_us() const { return api_->now_us(host_); }
    uint64_t config_generation() const { return api_->config_generation(host_); }

    oxios_status config_get(std::string_view key, std::string& out) const {
        out.clear();
        return api_->config_get(host_, to_str(key), append_sink, &out);
    }

    oxios_status route_add(const oxios_route& route) const { return api_->route_add(host_, &route); }

    // Long-tail service call (abi/METHODS.md). `out` receives the result on
    // OK and {"error":"..."} otherwise.
    oxios_status call(std::string_view method, std::string_view json_in, std::string& out) const {
        out.clear();
        return api_->call(host_, to_str(method), to_str(json_in), append_sink, &out);
    }

    oxios_status token_check(std::string_view token) const { return api_->token_check(host_, to_str(token)); }

    // -- responding (inside handle() only) --
    oxios_status respond(oxios_response* resp, int32_t status, std::string_view content_type,
                         std::string_view body) const {
        return api_->respond(resp, status, to_str(content_type), to_str(body));
    }
    oxios_status header(oxios_response* resp, std::string_view name, std::string_view value) const {
        return api_->response_header(resp, to_str(name), to_str(value));
    }

    // -- gateway --
    oxios_status gateway_call(const oxios_chat_message& msg, uint32_t timeout_ms, oxios_delivery_fn fn,
                              void* user) const {
        return api_->gateway_call(host_, &msg, timeout_ms, fn, user);
    }

    // -- sessions --
    oxios_status session_get(std::string_view id, std::string& out) const {
        out.clear();
        return api_->session_get(host_, to_str(id), append_sink, &out);
    }
    oxios_status session_append(const oxios_exchange& ex) const { return api_->session_append(host_, &ex); }
    oxios_status session_list(uint32_t page, uint32_t limit, std::string& out) const {
        out.clear();
        return api_->session_list(host_, page, limit, append_sink, &out);
    }
    oxios_status session_delete(std::string_view id) const { return api_->session_delete(host_, to_str(id)); }
    oxios_status session_prune(bool force, std::string& out) const {
        out.clear();
        return api_->session_prune(host_, force ? 1 : 0, append_sink, &out);
    }

private:
    const oxios_host_api* api_;
    oxios_host* host_;
};

}  // namespace web
