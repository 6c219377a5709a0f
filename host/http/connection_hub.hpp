// Held connections: WebSocket (Boost.Beast) and server-sent event streams.
// The front hands such a connection over right after its request head; the hub
// owns it from then on, on its own I/O threads, so long-lived clients never
// occupy HTTP worker threads. What happens on them is decided by a
// StreamHandler (host/plugins), which survives plugin reloads: connections
// are never closed by a reload.
#pragma once

#include "oxios_plugin.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oxios::http {

// The upgrade / stream request, kept for the connection's whole life so that
// a new plugin instance can be given it again after a reload.
struct HeldRequest {
    std::string method, target, path, query;  // path decoded, query raw
    std::vector<std::pair<std::string, std::string>> headers;
    std::string remote_addr;
    uint16_t remote_port = 0;
    std::string header(std::string_view name) const;  // case-insensitive, "" if absent
};

// The answer of admission: admitted, or a refusal response to send.
struct Admission {
    bool admitted = false;
    int status = 500;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // also sent on 101/200
};

class StreamHandler {
public:
    virtual ~StreamHandler() = default;
    // Runs before any upgrade / stream header is sent. May block briefly.
    virtual Admission admit(const HeldRequest& req, oxios_route_kind kind) = 0;
    // The connection is established (101 sent, or SSE headers sent).
    // last_event_id: the SSE client's Last-Event-ID (0 if none or not SSE).
    virtual void opened(uint64_t id, oxios_route_kind kind, const HeldRequest& req, uint64_t last_event_id) = 0;
    // A complete WebSocket message. Serialised per connection.
    virtual void message(uint64_t id, std::string_view data, bool text) = 0;
    // The connection is gone (code: WebSocket close code, 0 if none).
    virtual void closed(uint64_t id, uint16_t code, oxios_close_reason reason) = 0;
    // SSE: a send refused with OXIOS_E_BUSY has drained below the low-water
    // mark; the stream takes writes again. Once per refusal, on the
    // connection's strand (I/O thread), after opened() and before closed().
    virtual void writable(uint64_t /*id*/) {}
};

class ConnectionHub {
public:
    struct Options {
        std::chrono::milliseconds ws_ping_interval{30000};
        std::chrono::milliseconds ws_silence_limit{90000};
        std::chrono::milliseconds sse_ping_interval{30000};
        size_t max_queued_bytes = 8 * 1024 * 1024;  // per connection; overflow closes it
        // SSE backpressure (send with refuse_when_full, instead of the
        // overflow close): refused at or above high water, writable() again
        // at or below low water. As deep as the overflow limit, so a client
        // gets as much slack as before; past it, it waits instead of losing
        // its stream.
        size_t sse_high_water = 8 * 1024 * 1024;
        size_t sse_low_water = 2 * 1024 * 1024;
        size_t max_message_bytes = 1024 * 1024;  // WebSocket message cap (1009 over it)
        unsigned io_threads = 2;
    };

    ConnectionHub(Options options, StreamHandler& handler);
    ~ConnectionHub();  // shutdown() if not done
    ConnectionHub(const ConnectionHub&) = delete;
    ConnectionHub& operator=(const ConnectionHub&) = delete;

    // Takes ownership of an accepted socket whose request head (and maybe
    // more) was already read into `buffered`. Returns at once.
    void adopt(int fd, std::string buffered, oxios_route_kind kind);

    // SSE: raw bytes appended to the stream. WebSocket: one text frame.
    // Never blocks. OXIOS_E_CLOSED when the connection is gone. Overflow of
    // the per-connection queue closes that connection (WS 1008).
    // refuse_when_full (SSE): while the unsent bytes are at or above
    // Options::sse_high_water, nothing is queued and OXIOS_E_BUSY is
    // returned; StreamHandler::writable() follows once they drain.
    oxios_status send(uint64_t id, std::string_view data, bool refuse_when_full = false);
    // SSE: ends the stream after queued bytes. WS: close frame with code.
    oxios_status close(uint64_t id, uint16_t code, std::string_view reason);

    // Closes every connection (WebSocket 1001 "server shutting down") after
    // their queued bytes, waits up to `deadline`, stops the I/O threads.
    void shutdown(std::chrono::milliseconds deadline = std::chrono::seconds(3));

    size_t websocket_count() const;
    size_t stream_count() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace oxios::http
