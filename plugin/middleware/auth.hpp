// Auth for protected routes when security.auth_enabled: Authorization:
// Bearer <token> (WebSocket and SSE routes may pass ?token=), checked with the host's
// token_check. Missing or wrong -> HttpError 401 {"error":"unauthorized"}.
// When auth is off both are ignored entirely (the UI sends "Bearer null").
#pragma once

#include <optional>
#include <string_view>

namespace web {

class Ctx;

// The token of an "Authorization: Bearer <token>" value; nullopt otherwise.
std::optional<std::string_view> bearer_token(std::string_view authorization);

void auth_check(Ctx& ctx);

}  // namespace web
