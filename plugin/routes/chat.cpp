// POST /api/chat: submit through the gateway, wait for the reply (configured
// timeout), persist the exchange durably, then answer. Auto-prune after.
#include "context.hpp"
#include "ids.hpp"
#include "json.hpp"
#include "middleware/limits.hpp"
#include "router.hpp"
#include "service.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string>

namespace web {
namespace {

struct Reply {
    bool got = false;
    uint32_t kind = 0;
    std::string content, session_id, space_id, phase, seed_id, space_tag;
    int32_t evaluation_passed = -1;
    oxios_status error = OXIOS_OK;
    uint64_t duration_ms = 0;
};

void on_delivery(void* user, const oxios_delivery* d) noexcept {
    if (user == nullptr || d == nullptr) return;
    auto* r = static_cast<Reply*>(user);
    try {
        r->got = true;
        r->kind = d->kind;
        r->content.assign(to_view(d->content));
        r->session_id.assign(to_view(d->session_id));
        r->space_id.assign(to_view(d->space_id));
        r->phase.assign(to_view(d->phase));
        r->seed_id.assign(to_view(d->seed_id));
        r->space_tag.assign(to_view(d->space_tag));
        r->evaluation_passed = d->evaluation_passed;
        r->error = d->error;
        r->duration_ms = d->duration_ms;
    } catch (...) {
        r->got = false;
    }
}

std::optional<std::string_view> non_empty(std::optional<std::string_view> s) {
    if (s && s->empty()) return std::nullopt;
    return s;
}

[[noreturn]] void gateway_failed(Ctx& ctx, oxios_status s, const Reply& r) {
    // The kernel's own error text ("engine: the provider rejected the API
    // key", "no reply within 120 s") says it best: pass it through.
    if (r.got && r.kind == OXIOS_DELIVERY_ERROR && !r.content.empty()) {
        if (s == OXIOS_E_DENIED) budget_refused(ctx, r.content);
        throw HttpError(chat_http_status(s), r.content);
    }
    throw HttpError(chat_http_status(s), std::string(chat_failure_message(s)));
}

void auto_prune(Ctx& ctx) noexcept {
    try {
        if (!ctx.settings().session_auto_prune) return;
        constexpr int64_t kMinGapUs = 60'000'000;  // the host throttles to once an hour
        const int64_t now = ctx.host().now_us();
        int64_t last = ctx.inst().last_auto_prune_us.load();
        if (last != 0 && now - last < kMinGapUs && now >= last) return;
        if (!ctx.inst().last_auto_prune_us.compare_exchange_strong(last, now)) return;
        std::string out;
        const oxios_status s = ctx.host().session_prune(false, out);
        if (s != OXIOS_OK) {
            ctx.host().log(OXIOS_LOG_WARN, "web: auto-prune failed: " + json::error_message(out, status_message(s)));
        }
    } catch (...) {
    }
}

void chat(Ctx& ctx) {
    const int64_t received_us = ctx.host().now_us();
    const json::Document body = json::parse_body_object(ctx.body());

    std::optional<std::string_view> content = json::opt_string(body, "content");
    if (!content) content = json::opt_string(body, "message");
    if (!content) throw HttpError(422, "missing required field 'content'");
    if (content->empty()) throw HttpError(422, "field 'content' must not be empty");
    check_size(content->size(), kMaxChatContent);

    const std::string_view user_id = non_empty(json::opt_string(body, "user_id")).value_or("default");
    const auto session_id = non_empty(json::opt_string(body, "session_id"));
    const auto space_id = non_empty(json::opt_string(body, "space_id"));
    if (session_id && !valid_id(*session_id)) throw HttpError(400, "invalid session id");
    if (space_id && !valid_id(*space_id)) throw HttpError(400, "invalid space id");

    const std::string id = uuid_v4();
    oxios_chat_message msg{};
    msg.size = sizeof(msg);
    msg.id = to_str(id);
    msg.content = to_str(*content);
    msg.user_id = to_str(user_id);
    msg.session_id = session_id ? to_str(*session_id) : oxios_str{};
    msg.space_id = space_id ? to_str(*space_id) : oxios_str{};
    msg.connection = 0;

    Reply reply;
    const oxios_status s = ctx.host().gateway_call(msg, 0, on_delivery, &reply);
    if (s != OXIOS_OK) gateway_failed(ctx, s, reply);
    if (!reply.got || reply.kind != OXIOS_DELIVERY_REPLY) {
        throw HttpError(502, "the engine gave no reply");
    }

    std::string sid = !reply.session_id.empty() ? reply.session_id : session_id ? std::string(*session_id) : uuid_v4();
    const std::string space = !reply.space_id.empty() ? reply.space_id
                              : space_id              ? std::string(*space_id)
                                                      : std::string();

    oxios_exchange ex{};
    ex.size = sizeof(ex);
    ex.evaluation_passed = reply.evaluation_passed;
    ex.session_id = to_str(sid);
    ex.user_id = to_str(user_id);
    ex.space_id = to_str(space);
    ex.user_content = to_str(*content);
    ex.reply_content = to_str(reply.content);
    ex.seed_id = to_str(reply.seed_id);
    ex.phase = to_str(reply.phase);
    ex.user_time_us = received_us;
    ex.reply_time_us = ctx.host().now_us();
    if (const oxios_status ps = ctx.host().session_append(ex); ps != OXIOS_OK) {
        if (ps == OXIOS_E_INVALID) throw HttpError(400, "invalid session id");
        if (ps == OXIOS_E_BUSY) throw HttpError(503, std::string(kStoreUnavailable));
        throw HttpError(http_status(ps) == 200 ? 500 : http_status(ps),
                        "failed to store the exchange: " + std::string(status_message(ps)));
    }

    json::Builder b;
    b.obj().kv("id", id).kv("echo", *content).kv("reply", reply.content).kv("session_id", sid);
    if (!space.empty()) b.kv("space_id", space);
    if (!reply.phase.empty()) b.kv("phase", reply.phase);
    if (!reply.space_tag.empty()) b.kv("space_tag", reply.space_tag);
    if (!reply.seed_id.empty()) b.kv("seed_id", reply.seed_id);
    if (reply.evaluation_passed >= 0) b.kv("evaluation_passed", reply.evaluation_passed == 1);
    b.kv("duration_ms", reply.duration_ms).end_obj();
    ctx.send_json(200, b.view());

    auto_prune(ctx);
}

constexpr std::array kRoutes{
    RouteDef{"POST", "/api/chat", chat, Access::Protected, OXIOS_ROUTE_PLAIN},
};

}  // namespace

std::span<const RouteDef> chat_routes() { return kRoutes; }

}  // namespace web
