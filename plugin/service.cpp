#include "service.hpp"

#include "audit.hpp"

namespace web {

void service_check(oxios_status s, const std::string& out, std::string_view not_found) {
    if (s == OXIOS_OK) return;
    std::string_view fallback = status_message(s);
    if (s == OXIOS_E_NOT_FOUND && !not_found.empty()) fallback = not_found;
    throw HttpError(http_status(s), json::error_message(out, fallback));
}

std::string service_call(Ctx& ctx, std::string_view method, std::string_view args,
                         std::string_view not_found) {
    std::string out;
    // Every mutating request's kernel call says who made it, for the audit log.
    if (ctx.method() != "GET" && ctx.method() != "HEAD") {
        service_check(ctx.host().call(method, with_actor(args, request_actor(ctx)), out), out, not_found);
        return out;
    }
    service_check(ctx.host().call(method, args, out), out, not_found);
    return out;
}

void service_respond(Ctx& ctx, std::string_view method, std::string_view args,
                     std::string_view not_found) {
    send_host_json(ctx, service_call(ctx, method, args, not_found), method);
}

void send_host_json(Ctx& ctx, const std::string& out, std::string_view method) {
    json::Document doc;
    if (!json::parse(out, doc) || !(doc.IsObject() || doc.IsArray())) {
        throw HttpError(500, "invalid result from host for " + std::string(method));
    }
    ctx.send_json(200, out);
}

std::string args_with(std::string_view field, std::string_view value) {
    json::Builder b;
    b.obj().kv(field, value).end_obj();
    return b.take();
}

}  // namespace web
