// The HTTP side of the OpenAI-compatible engine: one streaming
// /chat/completions call (SSE parsed incrementally, tokens handed out as they
// arrive) and GET /models, both through cpp-httplib's client (HTTPS with
// certificates verified against the system store). A per-call watchdog
// aborts the connection (Client::stop) on cancellation and timeouts.
//
// Every error text starts with "engine: " and never contains the API key.
#pragma once

#include "engines/providers.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace oxios::kernel {

// Incremental Server-Sent Events parser: lines may be split across feeds;
// "\n" or "\r\n" line ends; comments ignored; data lines of one event are
// joined with "\n". on_data gets each event's data.
class SseParser {
public:
    using OnData = std::function<void(std::string_view data)>;
    void feed(std::string_view bytes, const OnData& on_data);
    // End of stream: a last line without its newline and an event without
    // its blank line are still delivered.
    void finish(const OnData& on_data);

private:
    void line(std::string_view l, const OnData& on_data);
    void dispatch(const OnData& on_data);
    std::string buffer_, data_;
    bool has_data_ = false;
};

enum class FailKind {
    None,
    Connect,    // could not connect / TLS failed
    Http,       // non-2xx answer (http_status)
    Timeout,    // connect, first-token, idle or overall deadline
    Cancelled,  // kill, connection closed, shutdown
    Broken,     // the connection broke mid-reply
    Protocol,   // malformed stream
    Remote,     // an error object in the stream
    Empty       // the stream ended without any content
};

struct CallLimits {
    std::chrono::milliseconds connect{10'000}, first_token{60'000}, idle{30'000};
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

struct ChatCall {
    ProviderInfo provider;
    std::string model;    // bare model id
    std::string api_key;  // "" = no Authorization header
    std::string body;     // the JSON request
    CallLimits limits;
    const std::atomic<bool>* cancelled = nullptr;  // the message's
    const std::atomic<bool>* abort_all = nullptr;  // host shutdown
    std::function<void(std::string_view)> on_token;
};

struct ChatOutcome {
    FailKind fail = FailKind::None;
    int http_status = 0;
    int64_t retry_after_ms = -1;  // from Retry-After, -1 when absent
    std::string error;            // "engine: ..." (no secrets)
    bool any_token = false;
    std::string content;
    int64_t prompt_tokens = -1, completion_tokens = -1;
    bool ok() const { return fail == FailKind::None; }
};

ChatOutcome stream_chat(const ChatCall& call);

struct ModelsOutcome {
    FailKind fail = FailKind::None;
    int http_status = 0;
    std::string error;  // "engine: ..." (no secrets)
    std::string body;   // the JSON answer on success
    bool ok() const { return fail == FailKind::None; }
};

// GET <base_url>/models with `api_key` (may be "").
ModelsOutcome fetch_models(const ProviderInfo& provider, const std::string& api_key, std::chrono::milliseconds timeout);

// Replaces every occurrence of `secret` (when not empty) in `text`.
std::string scrub(std::string text, const std::string& secret);

}  // namespace oxios::kernel
