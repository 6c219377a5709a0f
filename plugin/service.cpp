#include "service.hpp"

#include "audit.hpp"

#include <algorithm>
#include <ctime>
#include <optional>

namespace web {

namespace {

// Seconds until the "; resets at <RFC 3339 UTC>" of a budget refusal (at least 1); nullopt without one.
std::optional<int64_t> retry_after_secs(std::string_view text, int64_t now_us) {
    constexpr std::string_view kMark = "; resets at ";
    const size_t at = text.rfind(kMark);
    if (at == std::string_view::npos) return std::nullopt;
    std::tm tm{};
    const std::string ts(text.substr(at + kMark.size(), 19));
    if (ts.size() != 19 || strptime(ts.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) return std::nullopt;
    const int64_t resets = static_cast<int64_t>(timegm(&tm)) + 1;  // the fraction rounds up
    return std::max<int64_t>(resets - now_us / 1'000'000, 1);
}

}  // namespace

void budget_refused(Ctx& ctx, const std::string& message) {
    if (const auto secs = retry_after_secs(message, ctx.host().now_us()))
        ctx.add_header("Retry-After", std::to_string(*secs));
    throw HttpError(429, message);
}

void service_check(oxios_status s, const std::string& out, std::string_view not_found) {
    if (s == OXIOS_OK) return;
    std::string_view fallback = status_message(s);
    if (s == OXIOS_E_NOT_FOUND && !not_found.empty()) fallback = not_found;
    throw HttpError(http_status(s), json::error_message(out, fallback));
}

std::string service_call(Ctx& ctx, std::string_view method, std::string_view args, std::string_view not_found) {
    std::string out;
    // Every mutating request's kernel call says who made it, for the audit log.
    if (ctx.method() != "GET" && ctx.method() != "HEAD") {
        service_check(ctx.host().call(method, with_actor(args, request_actor(ctx)), out), out, not_found);
        return out;
    }
    service_check(ctx.host().call(method, args, out), out, not_found);
    return out;
}

void service_respond(Ctx& ctx, std::string_view method, std::string_view args, std::string_view not_found) {
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
