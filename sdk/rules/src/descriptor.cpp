#include "oxios/rules/descriptor.hpp"

#include "oxios/rules/oxios_str.hpp"

#include <cstddef>

namespace oxios::rules {
namespace {

std::string num(size_t n) { return std::to_string(n); }

}  // namespace

Verdict check_descriptor(const oxios_plugin_descriptor* d) {
    if (d == nullptr) return {"the entry function returned no descriptor"};
    // abi_major lies in the first fields every version has: check it before
    // trusting anything else of the descriptor.
    if (!OXIOS_HAS(d, oxios_plugin_descriptor, abi_major)) return {"descriptor too small (" + num(d->size) + " bytes)"};
    if (d->abi_major != OXIOS_ABI_MAJOR)
        return {"ABI major " + num(d->abi_major) + " does not match the host's " + num(OXIOS_ABI_MAJOR)};
    if (!OXIOS_HAS(d, oxios_plugin_descriptor, api))
        return {"descriptor too small (" + num(d->size) + " bytes, need " + num(sizeof(oxios_plugin_descriptor)) + ")"};
    const oxios_plugin_api* api = d->api;
    if (api == nullptr) return {"the descriptor has no function table"};
    if (!OXIOS_HAS(api, oxios_plugin_api, destroy))
        return {"function table too small (" + num(api->size) + " bytes, need " +
                num(offsetof(oxios_plugin_api, destroy) + sizeof(api->destroy)) + ")"};
    const char* missing = !api->create    ? "create"
                          : !api->start   ? "start"
                          : !api->handle  ? "handle"
                          : !api->stop    ? "stop"
                          : !api->destroy ? "destroy"
                                          : nullptr;
    if (missing) return {std::string("the function table lacks ") + missing};
    if (!well_formed(d->name) || !well_formed(d->version)) return {"the descriptor's name or version is a null view"};
    if (d->name.len == 0) return {"the plugin has no name"};
    if (!valid_plugin_name(view(d->name)))
        return {"bad plugin name '" + to_string(d->name).substr(0, 64) + "' (1-64 of A-Z a-z 0-9 . _ -)"};
    return {};
}

bool valid_plugin_name(std::string_view name) {
    if (name.empty() || name.size() > 64 || name.front() == '.') return false;
    for (char c : name) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

std::string check_route(const oxios_route* route) {
    if (route == nullptr) return "no route";
    if (!OXIOS_HAS(route, oxios_route, route_data))
        return "route struct too small (" + num(route->size) + " bytes, need " + num(sizeof(oxios_route)) + ")";
    if (route->kind > OXIOS_ROUTE_WEBSOCKET) return "unknown route kind " + num(route->kind);
    if (!well_formed(route->method) || !well_formed(route->pattern))
        return "the route's method or pattern is a null view";
    return {};
}

std::string no_entry_reason() { return "no entry symbol " OXIOS_PLUGIN_ENTRY_SYMBOL; }

std::string step_failure(std::string_view step, oxios_status status, std::string_view threw,
                         std::string_view route_error) {
    std::string s(step);
    if (!threw.empty()) return s + " threw: " + std::string(threw);
    std::string routes = route_error.empty() ? "" : "route rejected: " + std::string(route_error);
    if (status != OXIOS_OK) return s + " failed: " + status_name(status) + (routes.empty() ? "" : " (" + routes + ")");
    return routes;
}

const char* status_name(oxios_status s) {
    switch (s) {
        case OXIOS_OK:
            return "OXIOS_OK";
        case OXIOS_E_INVALID:
            return "OXIOS_E_INVALID";
        case OXIOS_E_NOT_FOUND:
            return "OXIOS_E_NOT_FOUND";
        case OXIOS_E_CONFLICT:
            return "OXIOS_E_CONFLICT";
        case OXIOS_E_BUSY:
            return "OXIOS_E_BUSY";
        case OXIOS_E_TIMEOUT:
            return "OXIOS_E_TIMEOUT";
        case OXIOS_E_UNSUPPORTED:
            return "OXIOS_E_UNSUPPORTED";
        case OXIOS_E_CLOSED:
            return "OXIOS_E_CLOSED";
        case OXIOS_E_DENIED:
            return "OXIOS_E_DENIED";
        case OXIOS_E_TOO_LARGE:
            return "OXIOS_E_TOO_LARGE";
        case OXIOS_E_IO:
            return "OXIOS_E_IO";
        case OXIOS_E_UPSTREAM:
            return "OXIOS_E_UPSTREAM";
        case OXIOS_E_ABI:
            return "OXIOS_E_ABI";
        case OXIOS_E_INTERNAL:
            return "OXIOS_E_INTERNAL";
        default:
            return "unknown status";
    }
}

}  // namespace oxios::rules
