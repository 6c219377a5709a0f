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

// One adopted connection. Everything but the atomics and the construction-time
// fields is touched only on strand_.
class Held : public std::enable_shared_from_this<Held> {
public:
    Held(Impl& hub, oxios_route_kind kind, HeldRequest req)
        : hub_(hub), strand_(net::make_strand(hub.ioc)), kind_(kind), req_(std::move(req)) {}
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
    oxios_status send(std::string_view data, bool refuse_when_full) {
        if (closing_.load(std::memory_order_acquire)) return OXIOS_E_CLOSED;
        if (refuse_when_full && queued_.load() >= hub_.opt.sse_high_water) {
            want_writable_.store(true);
            if (queued_.load() >= hub_.opt.sse_high_water) return OXIOS_E_BUSY;
        }
        size_t n = data.size();
        size_t before = queued_.fetch_add(n, std::memory_order_acq_rel);
        // A refusing sender is bounded by the high-water mark instead.
        if (!refuse_when_full && before + n > hub_.opt.max_queued_bytes) {
            if (!closing_.exchange(true)) net::post(strand_, [self = shared_from_this()] { self->on_overflow(); });
            return OXIOS_E_CLOSED;
        }
        if (kind_ == OXIOS_ROUTE_SSE) {
            // A byte stream: sends coalesce into one pending buffer and one
            // hand-off to the strand per batch, not one per event.
            bool first = false;
            {
                std::lock_guard lk(pending_mu_);
                first = pending_.empty();
                pending_.append(data);
            }
            if (first) net::post(strand_, [self = shared_from_this()] { self->take_pending(); });
            return OXIOS_OK;
        }
        net::post(strand_,
                  [self = shared_from_this(), s = std::string(data)]() mutable { self->on_send(std::move(s)); });
        return OXIOS_OK;
    }
    oxios_status close(uint16_t code, std::string_view reason) {
        closing_.store(true, std::memory_order_release);
        net::post(strand_, [self = shared_from_this(), code, r = std::string(reason)]() mutable {
            self->on_close(code, std::move(r), OXIOS_CLOSE_BY_PLUGIN);
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
    void close_socket() {
        beast::error_code ec;
        socket().shutdown(tcp::socket::shutdown_both, ec);
        socket().close(ec);
    }
    void unqueue(size_t n) { queued_.fetch_sub(n); }
    // On the strand: what SSE sends put in pending_ since the last take.
    void take_pending() {
        std::string data;
        {
            std::lock_guard lk(pending_mu_);
            data.swap(pending_);
        }
        if (!data.empty()) on_send(std::move(data));
    }
    // After a write completed: a sender refused with OXIOS_E_BUSY is told,
    // once, that the queue drained below the low-water mark.
    void maybe_writable() {
        if (queued_.load() <= hub_.opt.sse_low_water && want_writable_.exchange(false)) {
            try {
                hub_.handler.writable(id_);
            } catch (...) {
            }
        }
    }

    // On the strand: queued for pump() unless the connection is done or ending.
    void on_send(std::string data) {
        if (done_ || ending_) {
            unqueue(data.size());
            return;
        }
        queue_.push_back(std::move(data));
        pump();
    }
    void drop_queue() {
        for (auto& q : queue_) unqueue(q.size());
        queue_.clear();
    }
    // A connection that never opened is closed and forgotten (once); false
    // when it is open.
    bool abort_pending() {
        if (open_) return false;
        if (!aborted_) {
            aborted_ = true;
            close_socket();
            hub_.drop_pending(*this);
        }
        return true;
    }

    // The first cause of a close wins; finish() reports it.
    void set_cause(uint16_t code, oxios_close_reason why) {
        if (why_) return;
        why_ = why;
        code_ = code;
    }
    void kill(uint16_t code, oxios_close_reason why) {
        set_cause(code, why);
        finish();
    }
    // The one way an open connection ends: no more sends, timers and socket
    // closed, the queue dropped, closed() reported once.
    void finish() {
        if (done_ || !open_) return;
        done_ = true;
        closing_.store(true, std::memory_order_release);
        cancel_timers();
        close_socket();
        drop_queue();
        hub_.report_closed(*this, code_, why_.value_or(OXIOS_CLOSE_PEER));
    }

    // On the strand.
    virtual void start() = 0;
    virtual void pump() {}  // writes what queue_ holds
    virtual void cancel_timers() {}
    virtual void on_close(uint16_t, std::string, oxios_close_reason) {}
    virtual void on_overflow() {}
    virtual void on_shutdown() = 0;
    virtual void on_force() { on_shutdown(); }

    Impl& hub_;
    Strand strand_;
    const oxios_route_kind kind_;
    const HeldRequest req_;
    uint64_t id_ = 0;
    std::atomic<bool> closing_{false};        // no more sends accepted
    std::atomic<size_t> queued_{0};           // bytes sent but not yet written
    std::atomic<bool> want_writable_{false};  // a send was refused (OXIOS_E_BUSY)
    std::mutex pending_mu_;                   // pending_
    std::string pending_;                     // SSE: sent, not yet handed to the strand

    // On the strand. Pending until open_ (or aborted_), then open until done_.
    bool open_ = false, done_ = false, aborted_ = false;
    bool ending_ = false;            // a close or end of stream is under way: sends are dropped
    std::deque<std::string> queue_;  // sent, not yet written
    std::optional<oxios_close_reason> why_;
    uint16_t code_ = 0;  // WebSocket close code reported (SSE: 0)
};

// The connection kinds (ws_connection.cpp, sse_connection.cpp).
bool valid_websocket_upgrade(const UpgradeRequest& m);
std::shared_ptr<Held> make_websocket(Impl& hub, HeldRequest req, UpgradeRequest upgrade, Headers extra);
std::shared_ptr<Held> make_sse(Impl& hub, HeldRequest req, const Headers& extra, uint64_t last_event_id);

}  // namespace hub_detail
}  // namespace oxios::http
