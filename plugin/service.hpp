// Calls into the host's long-tail services (call(), abi/METHODS.md) for the
// route handlers: host status -> HTTP status with the host's message passed
// through, JSON results validated before they are answered.
#pragma once

#include "context.hpp"
#include "json.hpp"
#include "pagination.hpp"

#include <string>
#include <string_view>

namespace web {

// Calls `method` with `args`; returns the raw result on OK, throws HttpError
// (mapped status, host message or `not_found` for NOT_FOUND) otherwise.
std::string service_call(Ctx& ctx, std::string_view method, std::string_view args, std::string_view not_found = {});

// Throws the HttpError for a non-OK host status (host message, or
// `not_found` / a default when the host gave none).
void service_check(oxios_status s, const std::string& out, std::string_view not_found = {});

// A chat the budget refused (the gateway's DENIED, for POST /api/chat and the
// copilot): 429 with the refusal's text, and Retry-After when it names the
// time the window resets ("; resets at <RFC 3339 UTC>").
[[noreturn]] void budget_refused(Ctx& ctx, const std::string& message);

// Answers a host JSON result (object or array) with 200; 500 when it is not JSON.
void send_host_json(Ctx& ctx, const std::string& out, std::string_view method);

// Calls and answers the JSON result with 200.
void service_respond(Ctx& ctx, std::string_view method, std::string_view args, std::string_view not_found = {});

// {"<field>": <path parameter of the same name>}
std::string args_with(std::string_view field, std::string_view value);

// Calls a paged method with {"page","limit", extra...} and answers the
// wrapped page. `extra` writes more members into the open argument object.
template <typename Extra>
void service_paged(Ctx& ctx, std::string_view method, Extra&& extra) {
    const Page p = page_from(ctx);
    json::Builder args;
    args.obj().kv("page", p.page).kv("limit", p.limit);
    extra(args);
    args.end_obj();
    const std::string out = service_call(ctx, method, args.view());
    ctx.send_json(200, wrap_page(out, p, method));
}

inline void service_paged(Ctx& ctx, std::string_view method) {
    service_paged(ctx, method, [](json::Builder&) {});
}

}  // namespace web
