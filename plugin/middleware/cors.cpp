#include "middleware/cors.hpp"

#include "context.hpp"

#include <algorithm>

namespace web {

namespace {
constexpr std::string_view kAllowMethods = "GET, POST, PUT, DELETE, OPTIONS";
constexpr std::string_view kAllowHeaders = "authorization, content-type";
}  // namespace

bool same_origin(std::string_view origin, std::string_view host) {
    const size_t scheme = origin.find("://");
    if (scheme == std::string_view::npos || host.empty()) return false;
    std::string_view authority = origin.substr(scheme + 3);
    if (const size_t slash = authority.find('/'); slash != std::string_view::npos) {
        authority = authority.substr(0, slash);
    }
    return iequals(authority, host);
}

bool origin_allowed(Ctx& ctx) {
    const auto origin = ctx.header("Origin");
    if (!origin) return true;
    const auto& list = ctx.settings().cors_origins;
    if (std::find(list.begin(), list.end(), *origin) != list.end()) return true;
    const auto host = ctx.header("Host");
    return host && same_origin(*origin, *host);
}

bool cors_apply(Ctx& ctx) {
    const auto origin = ctx.header("Origin");
    const bool options = ctx.method() == "OPTIONS";
    if (!origin) {
        if (!options) return false;
        ctx.add_header("Allow", kAllowMethods);
        ctx.send(204, "", "");
        return true;
    }
    const bool allowed = origin_allowed(ctx);
    ctx.add_header("Vary", "Origin");
    if (allowed) {
        ctx.add_header("Access-Control-Allow-Origin", *origin);
        ctx.add_header("Access-Control-Allow-Credentials", "true");
    }
    if (!options) return false;
    if (allowed) {
        ctx.add_header("Access-Control-Allow-Methods", kAllowMethods);
        const auto requested = ctx.header("Access-Control-Request-Headers");
        ctx.add_header("Access-Control-Allow-Headers", requested && !requested->empty() ? *requested : kAllowHeaders);
        ctx.add_header("Access-Control-Max-Age", "600");
    }
    ctx.send(204, "", "");
    return true;
}

}  // namespace web
