// WebSocket /api/chat/stream: the chat protocol of docs/api.md.
//
// Client text frames {"type":"message","content","session_id","space_id"} are
// checked and submitted to the gateway with the socket as the connection;
// every gateway delivery is self-contained (it carries the original message),
// so whichever instance is current frames it, persists the exchange and
// answers the socket that asked, and only that one. The one thing remembered
// between deliveries is which messages already streamed tokens (so a final
// REPLY is not sent twice); it crosses a reload in the hand-over blob.
#pragma once

#include "json.hpp"
#include "oxios_plugin.h"

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace web {
struct Instance;
}

namespace web::channels {

// A text frame larger than this is refused before it is parsed. It leaves
// room for a 65,536-byte content with JSON escapes and the other fields.
inline constexpr size_t kMaxWsFrame = 6u * 65'536u + 4'096u;

class WsChat {
public:
    // One client frame (ws_message). Never throws.
    void on_message(Instance& inst, uint64_t ws, std::string_view data, bool is_text) noexcept;
    // One gateway delivery (deliver). Never throws.
    void on_delivery(Instance& inst, const oxios_delivery& d) noexcept;

    // Hand-over: {"streamed":[message ids]}.
    void export_state(json::Builder& out) const;
    void import_state(const json::Value& v, int64_t now_us);

    size_t streamed_count() const;

private:
    void reply(Instance& inst, const oxios_delivery& d);
    void mark_streamed(std::string_view message_id, int64_t now_us);
    bool take_streamed(std::string_view message_id);

    mutable std::mutex mutex_;
    std::unordered_map<std::string, int64_t> streamed_;  // message id -> first token time
};

}  // namespace web::channels
