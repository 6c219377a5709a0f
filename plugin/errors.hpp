// One error type for every HTTP failure: status + human-readable message,
// answered as {"error": message}. Also the oxios_status -> HTTP mapping.
#pragma once

#include "oxios_plugin.h"

#include <exception>
#include <string>
#include <string_view>
#include <utility>

namespace web {

class HttpError : public std::exception {
public:
    HttpError(int status, std::string message) : status_(status), message_(std::move(message)) {}
    int status() const noexcept { return status_; }
    const std::string& message() const noexcept { return message_; }
    const char* what() const noexcept override { return message_.c_str(); }

private:
    int status_;
    std::string message_;
};

// INVALID 400, DENIED 403, NOT_FOUND 404, CONFLICT 409, TOO_LARGE 413,
// IO/INTERNAL 500, UNSUPPORTED 501, UPSTREAM 502, BUSY 503, TIMEOUT 504.
constexpr int http_status(oxios_status s) noexcept {
    switch (s) {
        case OXIOS_OK:
            return 200;
        case OXIOS_E_INVALID:
            return 400;
        case OXIOS_E_DENIED:
            return 403;
        case OXIOS_E_NOT_FOUND:
            return 404;
        case OXIOS_E_CONFLICT:
            return 409;
        case OXIOS_E_TOO_LARGE:
            return 413;
        case OXIOS_E_UNSUPPORTED:
            return 501;
        case OXIOS_E_UPSTREAM:
            return 502;
        case OXIOS_E_BUSY:
            return 503;
        case OXIOS_E_TIMEOUT:
            return 504;
        default:
            return 500;  // IO, INTERNAL, CLOSED, ABI, unknown
    }
}

// A gateway ERROR's HTTP status: DENIED there is the budget's refusal (the
// only one the gateway makes) -> 429; every other status as above.
constexpr int chat_http_status(oxios_status s) noexcept { return s == OXIOS_E_DENIED ? 429 : http_status(s); }

// A default message for a status when the host gave none.
// What a session_append that returned BUSY means: the state store cannot be
// reached, nothing was stored (HTTP 503).
inline constexpr std::string_view kStoreUnavailable = "state store unavailable";

constexpr std::string_view status_message(oxios_status s) noexcept {
    switch (s) {
        case OXIOS_E_INVALID:
            return "invalid request";
        case OXIOS_E_DENIED:
            return "forbidden";
        case OXIOS_E_NOT_FOUND:
            return "not found";
        case OXIOS_E_CONFLICT:
            return "conflict";
        case OXIOS_E_TOO_LARGE:
            return "payload too large";
        case OXIOS_E_UNSUPPORTED:
            return "not implemented";
        case OXIOS_E_UPSTREAM:
            return "upstream service failed";
        case OXIOS_E_BUSY:
            return "service busy, try again later";
        case OXIOS_E_TIMEOUT:
            return "timed out";
        case OXIOS_E_IO:
            return "storage failure";
        default:
            return "internal error";
    }
}

// What a chat the gateway did not answer says of it (HTTP and WebSocket):
// the kernel's own text, when it gave one, goes with or instead of it.
constexpr std::string_view chat_failure_message(oxios_status s) noexcept {
    switch (s) {
        case OXIOS_E_TIMEOUT:
            return "no reply from the engine in time";
        case OXIOS_E_BUSY:
            return "the gateway queue is full, try again later";
        case OXIOS_E_UPSTREAM:
            return "the engine failed";
        case OXIOS_E_CLOSED:
            return "the message was cancelled";
        default:
            return status_message(s);
    }
}

}  // namespace web
