// CORS: exact-origin allow-list (security.cors_origins). Adds the response
// headers for an allowed (or same-origin) Origin and answers preflight
// OPTIONS before auth. Never refuses a plain request: the list only decides
// headers (and, for WebSocket and SSE admission, the Origin check).
#pragma once

#include <string_view>

namespace web {

class Ctx;

// True when `origin` names the same host and port as the Host header.
bool same_origin(std::string_view origin, std::string_view host);

// True when the request has no Origin, a same-origin Origin, or one on the
// allow-list. Held connections (WebSocket, SSE) refuse anything else (403).
bool origin_allowed(Ctx& ctx);

// Returns true when the request is an OPTIONS request and was answered (204).
bool cors_apply(Ctx& ctx);

}  // namespace web
