#include "channels/ws_chat.hpp"

#include "errors.hpp"
#include "ids.hpp"
#include "instance.hpp"
#include "middleware/limits.hpp"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace web::channels {

namespace {

// Entries of messages whose final delivery never came (it always should)
// are dropped after this long, or when there are too many.
constexpr int64_t kStreamedTtlUs = 3600LL * 1'000'000;
constexpr size_t kMaxStreamed = 100'000;

// A frame the socket gets; a closed socket is not an error here.
void send(Instance& inst, uint64_t ws, std::string_view text) {
    inst.host.api().ws_send(inst.host.raw(), ws, to_str(text));
}

void key_or_null(json::Builder& b, std::string_view key, std::string_view value) {
    b.key(key);
    if (value.empty())
        b.null();
    else
        b.str(value);
}

// {"type":"error","error":...} for a frame that is not an acceptable message.
void send_refusal(Instance& inst, uint64_t ws, std::string_view why) {
    json::Builder b;
    b.obj().kv("type", "error").kv("error", why).end_obj();
    send(inst, ws, b.view());
}

// {"type":"error","id","session_id","error"} for an accepted message.
void send_error(Instance& inst, uint64_t ws, std::string_view id, std::string_view session_id, std::string_view why) {
    json::Builder b;
    b.obj().kv("type", "error").kv("id", id);
    key_or_null(b, "session_id", session_id);
    b.kv("error", why).end_obj();
    send(inst, ws, b.view());
}

// The category, then the kernel's own text; the budget's refusal says it all.
std::string failure_text(oxios_status s, std::string_view detail) {
    if (s == OXIOS_E_DENIED && !detail.empty()) return std::string(detail);
    std::string message(chat_failure_message(s));
    if (!detail.empty() && detail != message) message.append(": ").append(detail);
    return message;
}

// A string field that may be absent, null or empty (all "absent"). Sets
// `why` when it has another type.
std::optional<std::string_view> optional_field(const json::Value& obj, std::string_view name, std::string& why) {
    const json::Value* v = json::find(obj, name);
    if (v == nullptr || v->IsNull()) return std::nullopt;
    if (!v->IsString()) {
        why = "field '" + std::string(name) + "' must be a string";
        return std::nullopt;
    }
    std::string_view s(v->GetString(), v->GetStringLength());
    if (s.empty()) return std::nullopt;
    return s;
}

void auto_prune(Instance& inst) noexcept {
    try {
        if (!inst.settings.get(inst.host)->session_auto_prune) return;
        constexpr int64_t kMinGapUs = 60'000'000;  // the host throttles to once an hour
        const int64_t now = inst.host.now_us();
        int64_t last = inst.last_auto_prune_us.load();
        if (last != 0 && now - last < kMinGapUs && now >= last) return;
        if (!inst.last_auto_prune_us.compare_exchange_strong(last, now)) return;
        std::string out;
        const oxios_status s = inst.host.session_prune(false, out);
        if (s != OXIOS_OK) {
            inst.host.log(OXIOS_LOG_WARN, "web: auto-prune failed: " + json::error_message(out, status_message(s)));
        }
    } catch (...) {
    }
}

}  // namespace

// ---- client frames -----------------------------------------------------------

void WsChat::on_message(Instance& inst, uint64_t ws, std::string_view data, bool is_text) noexcept {
    try {
        if (!is_text) {
            send_refusal(inst, ws, "binary frames are not supported: send a JSON text frame");
            return;
        }
        if (data.size() > kMaxWsFrame) {
            send_refusal(
                inst, ws,
                std::to_string(data.size()) + " bytes exceeds limit of " + std::to_string(kMaxWsFrame) + " bytes");
            return;
        }
        json::Document doc;
        doc.Parse<rapidjson::kParseValidateEncodingFlag>(data.data(), data.size());
        if (doc.HasParseError()) {
            send_refusal(inst, ws,
                         std::string("invalid JSON at offset ") + std::to_string(doc.GetErrorOffset()) + ": " +
                             rapidjson::GetParseError_En(doc.GetParseError()));
            return;
        }
        if (!doc.IsObject()) {
            send_refusal(inst, ws, "expected a JSON object {\"type\":\"message\",\"content\":...}");
            return;
        }
        const json::Value* type = json::find(doc, "type");
        if (type == nullptr || !type->IsString()) {
            send_refusal(inst, ws, "missing required field 'type' (expected \"message\")");
            return;
        }
        if (std::string_view(type->GetString(), type->GetStringLength()) != "message") {
            send_refusal(inst, ws,
                         "unsupported message type '" + std::string(type->GetString(), type->GetStringLength()) +
                             "' (expected \"message\")");
            return;
        }
        const json::Value* content_v = json::find(doc, "content");
        if (content_v == nullptr || content_v->IsNull()) {
            send_refusal(inst, ws, "missing required field 'content'");
            return;
        }
        if (!content_v->IsString()) {
            send_refusal(inst, ws, "field 'content' must be a string");
            return;
        }
        const std::string_view content(content_v->GetString(), content_v->GetStringLength());
        if (content.empty()) {
            send_refusal(inst, ws, "field 'content' must not be empty");
            return;
        }
        if (content.size() > kMaxChatContent) {
            send_refusal(inst, ws,
                         std::to_string(content.size()) + " bytes exceeds limit of " + std::to_string(kMaxChatContent) +
                             " bytes");
            return;
        }
        std::string why;
        const auto session_id = optional_field(doc, "session_id", why);
        const auto space_id = optional_field(doc, "space_id", why);
        if (!why.empty()) {
            send_refusal(inst, ws, why);
            return;
        }
        if (session_id && !valid_id(*session_id)) {
            send_refusal(inst, ws, "invalid session id");
            return;
        }
        if (space_id && !valid_id(*space_id)) {
            send_refusal(inst, ws, "invalid space id");
            return;
        }

        const std::string id = uuid_v4();
        const std::string user_id = inst.settings.get(inst.host)->ws_user_id;
        oxios_chat_message msg{};
        msg.size = sizeof(msg);
        msg.id = to_str(id);
        msg.content = to_str(content);
        msg.user_id = to_str(user_id);
        msg.session_id = session_id ? to_str(*session_id) : oxios_str{};
        msg.space_id = space_id ? to_str(*space_id) : oxios_str{};
        msg.connection = ws;
        const oxios_status s = inst.host.api().gateway_submit(inst.host.raw(), &msg);
        if (s != OXIOS_OK) send_error(inst, ws, id, session_id.value_or(""), failure_text(s, {}));
    } catch (...) {
        try {
            send_refusal(inst, ws, "internal error");
        } catch (...) {
        }
    }
}

// ---- gateway deliveries --------------------------------------------------------

void WsChat::on_delivery(Instance& inst, const oxios_delivery& d) noexcept {
    try {
        const oxios_delivery* dp = &d;  // OXIOS_HAS on a reference: its null check would warn
        if (!OXIOS_HAS(dp, oxios_delivery, duration_ms) || d.message == nullptr) return;
        const oxios_chat_message& m = *d.message;
        if (!OXIOS_HAS(&m, oxios_chat_message, connection) || m.connection == 0) return;  // not ours
        const uint64_t ws = m.connection;
        const std::string_view id = to_view(m.id);
        std::string_view session = to_view(d.session_id);
        if (session.empty()) session = to_view(m.session_id);
        std::string_view space = to_view(d.space_id);
        if (space.empty()) space = to_view(m.space_id);

        switch (d.kind) {
            case OXIOS_DELIVERY_TOKEN: {
                mark_streamed(id, inst.host.now_us());
                json::Builder b;
                b.obj().kv("type", "token").kv("id", id).kv("content", to_view(d.content));
                key_or_null(b, "session_id", session);
                key_or_null(b, "space_id", space);
                b.end_obj();
                send(inst, ws, b.view());
                return;
            }
            case OXIOS_DELIVERY_REPLY:
                reply(inst, d);
                return;
            case OXIOS_DELIVERY_ERROR:
                take_streamed(id);
                send_error(inst, ws, id, session,
                           failure_text(d.error == OXIOS_OK ? OXIOS_E_INTERNAL : d.error, to_view(d.content)));
                return;
            default:
                return;
        }
    } catch (const std::exception& e) {
        try {
            inst.host.log(OXIOS_LOG_ERROR, std::string("web: chat delivery failed: ") + e.what());
        } catch (...) {
        }
    } catch (...) {
    }
}

void WsChat::reply(Instance& inst, const oxios_delivery& d) {
    const oxios_chat_message& m = *d.message;
    const uint64_t ws = m.connection;
    const std::string_view id = to_view(m.id);
    std::string session(to_view(d.session_id));
    if (session.empty()) session.assign(to_view(m.session_id));
    if (session.empty()) session = uuid_v4();
    std::string_view space = to_view(d.space_id);
    if (space.empty()) space = to_view(m.space_id);
    const std::string_view content = to_view(d.content);

    // The whole reply as one token, unless the engine streamed it already.
    if (!take_streamed(id)) {
        json::Builder b;
        b.obj().kv("type", "token").kv("id", id).kv("content", content).kv("session_id", session);
        key_or_null(b, "space_id", space);
        b.end_obj();
        send(inst, ws, b.view());
    }

    // Durable before "done"; a socket that is gone does not lose the exchange.
    std::string user_id(to_view(m.user_id));
    if (user_id.empty()) user_id = inst.settings.get(inst.host)->ws_user_id;
    const int64_t now = inst.host.now_us();
    const int64_t took_us = static_cast<int64_t>(std::min<uint64_t>(d.duration_ms, 86'400'000ULL)) * 1000;
    oxios_exchange ex{};
    ex.size = sizeof(ex);
    ex.evaluation_passed = d.evaluation_passed;
    ex.session_id = to_str(session);
    ex.user_id = to_str(user_id);
    ex.space_id = to_str(space);
    ex.user_content = m.content;
    ex.reply_content = d.content;
    ex.seed_id = d.seed_id;
    ex.phase = d.phase;
    ex.user_time_us = now - took_us;
    ex.reply_time_us = now;
    const oxios_status ps = inst.host.session_append(ex);
    if (ps != OXIOS_OK) {
        inst.host.log(OXIOS_LOG_ERROR, "web: cannot store the exchange of message " + std::string(id) + " in session " +
                                           session + ": " + std::string(status_message(ps)));
        send_error(inst, ws, id, session,
                   ps == OXIOS_E_INVALID ? std::string("invalid session id")
                   : ps == OXIOS_E_BUSY  ? std::string(kStoreUnavailable)
                                         : "failed to store the exchange: " + std::string(status_message(ps)));
        return;
    }

    json::Builder b;
    b.obj().kv("type", "done").kv("id", id).kv("session_id", session);
    key_or_null(b, "space_id", space);
    key_or_null(b, "phase", to_view(d.phase));
    b.key("evaluation_passed");
    if (d.evaluation_passed == 1 || d.evaluation_passed == 0)
        b.boolean(d.evaluation_passed == 1);
    else
        b.null();
    key_or_null(b, "space_tag", to_view(d.space_tag));
    key_or_null(b, "seed_id", to_view(d.seed_id));
    b.kv("duration_ms", d.duration_ms);
    const oxios_delivery* dp = &d;  // OXIOS_HAS on a reference: its null check would warn
    if (OXIOS_HAS(dp, oxios_delivery, completion_tokens) && (d.prompt_tokens >= 0 || d.completion_tokens >= 0)) {
        b.key("usage").obj();
        b.key("prompt_tokens");
        if (d.prompt_tokens >= 0)
            b.i64(d.prompt_tokens);
        else
            b.null();
        b.key("completion_tokens");
        if (d.completion_tokens >= 0)
            b.i64(d.completion_tokens);
        else
            b.null();
        b.end_obj();
    }
    b.end_obj();
    send(inst, ws, b.view());

    auto_prune(inst);
}

// ---- streamed-token bookkeeping ---------------------------------------------------

void WsChat::mark_streamed(std::string_view message_id, int64_t now_us) {
    std::lock_guard lock(mutex_);
    if (streamed_.size() >= kMaxStreamed) {
        std::erase_if(streamed_, [&](const auto& kv) { return now_us - kv.second > kStreamedTtlUs; });
        if (streamed_.size() >= kMaxStreamed) streamed_.clear();
    }
    streamed_.try_emplace(std::string(message_id), now_us);
}

bool WsChat::take_streamed(std::string_view message_id) {
    std::lock_guard lock(mutex_);
    auto it = streamed_.find(std::string(message_id));
    if (it == streamed_.end()) return false;
    streamed_.erase(it);
    return true;
}

size_t WsChat::streamed_count() const {
    std::lock_guard lock(mutex_);
    return streamed_.size();
}

void WsChat::export_state(json::Builder& out) const {
    std::lock_guard lock(mutex_);
    out.obj().key("streamed").arr();
    for (const auto& [id, at] : streamed_) out.arr().str(id).i64(at).end_arr();
    out.end_arr().end_obj();
}

void WsChat::import_state(const json::Value& v, int64_t now_us) {
    if (!v.IsObject()) return;
    const json::Value* list = json::find(v, "streamed");
    if (list == nullptr || !list->IsArray()) return;
    std::lock_guard lock(mutex_);
    for (const auto& item : list->GetArray()) {
        if (!item.IsArray() || item.Size() != 2 || !item[0].IsString() || !item[1].IsInt64()) continue;
        if (streamed_.size() >= kMaxStreamed) break;
        if (now_us - item[1].GetInt64() > kStreamedTtlUs) continue;
        streamed_.try_emplace(std::string(item[0].GetString(), item[0].GetStringLength()), item[1].GetInt64());
    }
}

}  // namespace web::channels
