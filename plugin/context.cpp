#include "context.hpp"

#include "json.hpp"

#include <oxios/rules/json_error.hpp>

namespace web {

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

std::optional<std::string_view> Ctx::header(std::string_view name) const {
    for (uint32_t i = 0; i < req_.header_count; ++i) {
        if (iequals(to_view(req_.headers[i].name), name)) return to_view(req_.headers[i].value);
    }
    return std::nullopt;
}

std::string_view Ctx::param(std::string_view name) const {
    for (uint32_t i = 0; i < req_.param_count; ++i) {
        if (to_view(req_.params[i].name) == name) return to_view(req_.params[i].value);
    }
    return {};
}

std::optional<std::string_view> Ctx::query(std::string_view name) const {
    for (uint32_t i = 0; i < req_.query_count; ++i) {
        if (to_view(req_.query_params[i].name) == name) return to_view(req_.query_params[i].value);
    }
    return std::nullopt;
}

void Ctx::send_error(int status, std::string_view message) { send_json(status, oxios::rules::json_error(message)); }

}  // namespace web
