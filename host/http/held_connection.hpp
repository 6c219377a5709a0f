// The hub's internals shared by its translation units (registry, admission,
// WebSocket and SSE connections): ConnectionHub::Impl and Held, the base of
// every adopted connection with its send queue and backpressure.
#pragma once

#include "http/connection_hub.hpp"

// GCC 12 warns (-Wtsan) that Asio's fenced blocks use atomic_thread_fence,
// which ThreadSanitizer does not model; with -Werror that breaks the TSan
// build. Asio's handler hand-off goes through mutex-protected queues anyway.
#if defined(__SANITIZE_THREAD__)
#pragma GCC diagnostic ignored "-Wtsan"
#endif

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

namespace oxios::http {
namespace hub_detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using Strand = net::strand<net::io_context::executor_type>;
using Clock = std::chrono::steady_clock;
using Headers = std::vector<std::pair<std::string, std::string>>;
using UpgradeRequest = bhttp::request<bhttp::empty_body>;

bool iequals(std::string_view a, std::string_view b);
// A header the plugin asked for is only written when it cannot break the
// response framing.
bool header_ok(const std::pair<std::string, std::string>& h);

class Held;

}  // namespace hub_detail

// The connection registry: pending and open connections, ids, the I/O threads.
struct ConnectionHub::Impl {
    using Held = hub_detail::Held;
    using Clock = hub_detail::Clock;

    Impl(Options o, StreamHandler& h)
        : opt(o),
          handler(h),
          close_grace(std::clamp<std::chrono::milliseconds>(o.ws_silence_limit, std::chrono::milliseconds(100),
                                                            std::chrono::milliseconds(5000))),
          ioc(static_cast<int>(std::max(1u, o.io_threads))),
          guard(boost::asio::make_work_guard(ioc)) {
        unsigned n = std::max(1u, opt.io_threads);
        for (unsigned i = 0; i < n; ++i)
            threads.emplace_back([this] {
                for (;;) {
                    try {
                        ioc.run();
                        return;
                    } catch (...) {
                        // A handler threw: keep the thread serving.
                    }
                }
            });
    }

    Options opt;
    StreamHandler& handler;
    std::chrono::milliseconds close_grace;  // how long a close may take before the TCP is cut

    // Declared first among the I/O members: destroyed after every connection.
    boost::asio::io_context ioc;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard;
    std::vector<std::thread> threads;

    mutable std::mutex mu;
    std::condition_variable cv;
    bool stopping = false;
    uint64_t next_id = 1;
    std::unordered_map<uint64_t, std::shared_ptr<Held>> open;  // opened, closed() not yet called
    std::unordered_map<Held*, std::shared_ptr<Held>> pending;  // adopted, not opened yet
    std::atomic<size_t> ws_open{0}, sse_open{0};

    std::mutex shutdown_mu;
    bool shut = false;

    void adopt(int fd, std::string buf, oxios_route_kind kind);
    bool promote(Held& h);
    void drop_pending(Held& h);
    void report_closed(Held& h, uint16_t code, oxios_close_reason why);
    std::shared_ptr<Held> find(uint64_t id) const;
    void shutdown(std::chrono::milliseconds deadline);
};

namespace hub_detail {

using Impl = ConnectionHub::Impl;

// Where a connection is in its life, on its strand. pending -> open ->
// (ending ->) done; pending -> aborted when it never opens.
enum class Phase : uint8_t {
    pending,  // adopted: handshake or head under way, no id yet
    aborted,  // closed before it opened: forgotten, closed() never reported
    open,     // opened() called: sends are written
    ending,   // a close or end of stream is under way: queued bytes go out, new sends are dropped
    done,     // closed: socket shut, queue dropped, closed() reported
};

// One adopted connection. Everything but the atomics and the construction-time
// fields is touched only on strand_.
class Held : public std::enable_shared_from_this<Held> {
public:
    Held(Impl& hub, oxios_route_kind kind, HeldRequest req)
        : hub_(hub), strand_(net::make_strand(hub.ioc)), kind_(kind), req_(std::move(req)), force_timer_(strand_) {}
    virtual ~Held() = default;
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;

    virtual tcp::socket& socket() = 0;
    oxios_route_kind kind() const { return kind_; }
    uint64_t id() const { return id_; }
    void set_id(uint64_t id) { id_ = id; }  // under hub.mu, on the strand

    // Any thread. refuse_when_full: backpressure instead of overflow (see
    // ConnectionHub::send). The want_writable_ store and the second look at
    // the queue pair with maybe_writable()'s decrement-then-exchange (all
    // seq_cst): either this look sees the queue drained, or the write
    // completion that drains it sees the flag.
    oxios_status send(std::string_view data, bool refuse_when_full);
    oxios_status close(uint16_t code, std::string_view reason) {
        closing_.store(true, std::memory_order_release);
        net::post(strand_, [self = shared_from_this(), code, r = std::string(reason)]() mutable {
            self->begin_close(code, std::move(r), OXIOS_CLOSE_BY_PLUGIN);
        });
        return OXIOS_OK;
    }
    void post_start() {
        net::post(strand_, [self = shared_from_this()] { self->start(); });
    }
    void post_shutdown() {
        net::post(strand_, [self = shared_from_this()] { self->on_shutdown(); });
    }
    void post_force() {
        net::post(strand_, [self = shared_from_this()] { self->on_force(); });
    }

protected:
    template <class T>
    std::shared_ptr<T> self() {
        return std::static_pointer_cast<T>(shared_from_this());
    }

    // ---- the phase: every transition is one of these (held_connection.cpp)
    bool live() const { return phase_ == Phase::open || phase_ == Phase::ending; }
    // pending -> open: registered under an id. False (and aborted) when the
    // hub is stopping.
    bool promote();
    // pending -> aborted: timers and socket closed, forgotten. False when it
    // was not pending.
    bool abort();
    // open -> ending: no more sends; what is queued goes out, then end_stream()
    // (or the force timer after the close grace cuts it). The first cause wins.
    void begin_close(uint16_t code, std::string reason, oxios_close_reason why);
    // open|ending -> done, the one way an open connection ends: no more sends,
    // timers and socket closed, the queue dropped, closed() reported once.
    void finish();
    void kill(uint16_t code, oxios_close_reason why) {
        set_cause(code, why);
        finish();
    }
    // The first cause of a close wins; finish() reports it. SSE reports 0.
    void set_cause(uint16_t code, oxios_close_reason why) {
        if (why_) return;
        why_ = why;
        code_ = kind_ == OXIOS_ROUTE_WEBSOCKET ? code : 0;
    }

    // ---- writing
    // On the strand: queued for pump() unless the connection is done or ending.
    void on_send(std::string data);
    // Starts the next write of what queue_ holds, or ends the stream once
    // an ending connection's queue is out.
    void pump();
    // A write of `bytes` queued bytes completed.
    void on_written(beast::error_code ec, size_t bytes);
    void drop_queue();
    void unqueue(size_t n) { queued_.fetch_sub(n); }
    // On the strand: what SSE sends put in pending_ since the last take.
    void take_pending();
    // SSE, on the strand: while it has nothing to write, sends go straight to
    // the socket on the sender's thread (allow_direct); stop_direct before the
    // strand writes, ends or closes the socket.
    void allow_direct();
    void stop_direct();
    // After a write completed: a sender refused with OXIOS_E_BUSY is told,
    // once, that the queue drained below the low-water mark.
    void maybe_writable();
    void close_socket();

    // On the strand, per kind.
    virtual void start() = 0;
    virtual bool can_write() { return true; }
    virtual void write_queued() {}  // writes (some of) queue_, then on_written()
    virtual void end_stream() {}    // an ending connection's queue is out
    virtual void on_ending(uint16_t /*wire code*/, std::string&& /*reason*/) {}
    virtual void cancel_timers() {}  // the kind's own timers (force_timer_ is the base's)
    virtual void on_overflow() { kill(1008, OXIOS_CLOSE_ERROR); }
    // Server shutdown: graceful (WebSocket 1001 after the queue), then forced.
    void on_shutdown();
    void on_force();

    Impl& hub_;
    Strand strand_;
    const oxios_route_kind kind_;
    const HeldRequest req_;
    uint64_t id_ = 0;
    std::atomic<bool> closing_{false};        // no more sends accepted
    std::atomic<size_t> queued_{0};           // bytes sent but not yet written
    std::atomic<bool> want_writable_{false};  // a send was refused (OXIOS_E_BUSY)
    std::mutex pending_mu_;                   // pending_, direct_fd_
    std::string pending_;                     // SSE: sent, not yet handed to the strand
    int direct_fd_ = -1;                      // SSE: >= 0 while a send may write to this socket itself

    // On the strand.
    Phase phase_ = Phase::pending;
    bool writing_ = false;           // a write is in flight
    std::deque<std::string> queue_;  // sent, not yet written
    std::optional<oxios_close_reason> why_;
    uint16_t code_ = 0;              // WebSocket close code reported (SSE: 0)
    net::steady_timer force_timer_;  // cuts an ending connection after the close grace
};

// The connection kinds (ws_connection.cpp, sse_connection.cpp).
bool valid_websocket_upgrade(const UpgradeRequest& m);
std::shared_ptr<Held> make_websocket(Impl& hub, HeldRequest req, UpgradeRequest upgrade, Headers extra);
std::shared_ptr<Held> make_sse(Impl& hub, HeldRequest req, const Headers& extra, uint64_t last_event_id);

}  // namespace hub_detail
}  // namespace oxios::http
