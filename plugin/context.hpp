// Per-request context handed to middleware and handlers: request accessors
// (headers, params, query), lazily cached settings, and the responders.
#pragma once

#include "errors.hpp"
#include "host.hpp"
#include "instance.hpp"
#include "router.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace web {

bool iequals(std::string_view a, std::string_view b) noexcept;

class Ctx {
public:
    Ctx(Instance& inst, const RouteDef& def, const oxios_request& req, oxios_response* resp)
        : inst_(inst), def_(def), req_(req), resp_(resp) {}

    Instance& inst() const { return inst_; }
    const Host& host() const { return inst_.host; }
    const RouteDef& route() const { return def_; }
    const oxios_request& request() const { return req_; }

    std::string_view method() const { return to_view(req_.method); }
    std::string_view path() const { return to_view(req_.path); }
    std::string_view body() const { return to_view(req_.body); }
    std::string_view remote_addr() const { return to_view(req_.remote_addr); }

    // Case-insensitive; nullopt when absent.
    std::optional<std::string_view> header(std::string_view name) const;
    // Path parameter ({id}, {*path}); "" when absent.
    std::string_view param(std::string_view name) const;
    // Decoded query parameter (first occurrence); nullopt when absent.
    std::optional<std::string_view> query(std::string_view name) const;

    const Settings& settings() {
        if (!settings_) settings_ = inst_.settings.get(inst_.host);
        return *settings_;
    }

    // The token the client authenticated with ("" when auth is off or public).
    const std::string& principal() const { return principal_; }
    void set_principal(std::string token) { principal_ = std::move(token); }

    // -- responding --
    void add_header(std::string_view name, std::string_view value) { inst_.host.header(resp_, name, value); }
    void send(int status, std::string_view content_type, std::string_view body) {
        responded_ = true;
        inst_.host.respond(resp_, status, content_type, body);
    }
    void send_json(int status, std::string_view body) { send(status, "application/json", body); }
    void send_error(int status, std::string_view message);
    bool responded() const { return responded_; }

private:
    Instance& inst_;
    const RouteDef& def_;
    const oxios_request& req_;
    oxios_response* resp_;
    std::shared_ptr<const Settings> settings_;
    std::string principal_;
    bool responded_ = false;
};

}  // namespace web
