// ConnectionHub: held WebSocket and SSE connections on Boost.Beast / Asio.
// All Beast and Asio code of the host lives in this one translation unit
// (Beast is heavy to compile).
//
// Threading model
// ---------------
// * adopt() runs on the calling thread (an HTTP worker of the front, which is
//   free once it hands the socket over). It parses the request head that the
//   front already read (reading more from the blocking socket with poll()
//   and a 10 s deadline if the head is incomplete), checks the WebSocket
//   upgrade and calls StreamHandler::admit() there, so that a slow admission
//   never blocks an I/O thread. Then it assigns the fd to an Asio socket and
//   posts the rest (101 / SSE headers / refusal) onto the connection's strand.
// * One io_context run by Options::io_threads threads. Every connection has
//   its own strand: all reads, writes, timers and the per-connection state
//   live on it, so one socket never sees two operations from two threads.
//   opened(), message() and closed() are called on that strand (an I/O
//   thread), hence serialised and in order per connection.
// * send() / close() may be called from any thread: they look the
//   connection up in the id map (behind a mutex) and post onto its strand.
//   The queued byte count is an atomic so overflow is detected at once.
//   An SSE send may ask for backpressure instead (refuse_when_full): above
//   the high-water mark it is refused (OXIOS_E_BUSY) and the handler's
//   writable() runs on the strand once a write completion brings the queue
//   down to the low-water mark.
// * A connection is "pending" from adopt() until its 101 is written (SSE:
//   until its headers are queued, ahead of anything opened() sends), then
//   "open" (in the id map, id assigned, opened() called).
//   Whoever erases an open connection from the map calls closed(), so it is
//   called exactly once; after that send/close return OXIOS_E_CLOSED.
// * shutdown() must not be called from a StreamHandler callback (it joins
//   the I/O threads).
//
// Close codes reported to closed(): the code of the close handshake when
// there was one (peer's code for a peer close, ours otherwise), 1009 for an
// over-size message, 1008 for a send queue overflow, 1002 for a protocol
// error, 1006 (abnormal) when the TCP connection ended without a close
// handshake (peer vanished, silence timeout). SSE always reports 0.
#include "http/connection_hub.hpp"

#include <oxios/rules/json_error.hpp>
#include <oxios/rules/percent.hpp>

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
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

namespace oxios::http {

// ------------------------------------------------------------ HeldRequest ---

namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

}  // namespace

std::string HeldRequest::header(std::string_view name) const {
    for (const auto& [k, v] : headers)
        if (iequals(k, name)) return v;
    return {};
}

// ---------------------------------------------------------------- helpers ---

namespace hub_detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ws = boost::beast::websocket;
using tcp = net::ip::tcp;
using Strand = net::strand<net::io_context::executor_type>;
using Clock = std::chrono::steady_clock;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr size_t kMaxHead = 64 * 1024;
constexpr auto kHeadReadTimeout = std::chrono::seconds(10);
constexpr auto kRefusalLinger = std::chrono::seconds(1);
constexpr size_t kSseWriteBatch = 256 * 1024;

using rules::json_error;
using rules::percent_decode;

// A header the plugin asked for is only written when it cannot break the
// response framing.
bool header_ok(const std::pair<std::string, std::string>& h) {
    auto bad = [](std::string_view s) { return s.find_first_of("\r\n", 0) != std::string_view::npos || s.find('\0') != std::string_view::npos; };
    if (h.first.empty() || bad(h.first) || bad(h.second) || h.first.find(':') != std::string::npos) return false;
    return !iequals(h.first, "content-length") && !iequals(h.first, "transfer-encoding") &&
           !iequals(h.first, "connection");
}

uint16_t sendable_close_code(uint16_t code) {
    bool ok = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
    return ok ? code : 1000;
}

std::string truncate_utf8(std::string_view s, size_t max) {
    if (s.size() <= max) return std::string(s);
    size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // not inside a code point
    return std::string(s.substr(0, n));
}

uint64_t parse_last_event_id(std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    uint64_t out = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || p != v.data() + v.size() || v.empty()) return 0;
    return out;
}

std::string refusal_text(int status, std::string_view content_type, std::string_view body, const Headers& headers) {
    if (status < 100 || status > 999) status = 500;
    auto st = bhttp::int_to_status(static_cast<unsigned>(status));
    std::string reason = st == bhttp::status::unknown ? "Error" : std::string(bhttp::obsolete_reason(st));
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
    if (!content_type.empty()) out += "Content-Type: " + std::string(content_type) + "\r\n";
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    for (const auto& h : headers) {
        if (!header_ok(h) || (iequals(h.first, "content-type") && !content_type.empty())) continue;
        out += h.first + ": " + h.second + "\r\n";
    }
    out += "Connection: close\r\n\r\n";
    out += body;
    return out;
}

// Reads more of the request head from the blocking socket, bounded by deadline.
bool read_more(int fd, std::string& buf, Clock::time_point deadline) {
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return false;
        pollfd p{fd, POLLIN, 0};
        int r = ::poll(&p, 1, static_cast<int>(left));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        char tmp[4096];
        ssize_t n = ::recv(fd, tmp, sizeof tmp, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        if (n <= 0) return false;
        buf.append(tmp, static_cast<size_t>(n));
        return true;
    }
}

void peer_of(int fd, std::string& addr, uint16_t& port) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return;
    char text[INET6_ADDRSTRLEN] = {};
    if (ss.ss_family == AF_INET) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
        ::inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
        port = ntohs(sin->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
        ::inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text);
        port = ntohs(sin6->sin6_port);
    }
    addr = text;
}

tcp protocol_of(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0 && ss.ss_family == AF_INET6) return tcp::v6();
    return tcp::v4();
}

class Held;

}  // namespace hub_detail

// ------------------------------------------------------------------- Impl ---

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
    std::unordered_map<uint64_t, std::shared_ptr<Held>> open;   // opened, closed() not yet called
    std::unordered_map<Held*, std::shared_ptr<Held>> pending;   // adopted, not opened yet
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

// ------------------------------------------------------------------- Held ---

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
            if (!closing_.exchange(true))
                net::post(strand_, [self = shared_from_this()] { self->on_overflow(); });
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
        net::post(strand_, [self = shared_from_this(), s = std::string(data)]() mutable { self->on_send(std::move(s)); });
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

    // On the strand.
    virtual void start() = 0;
    virtual void on_send(std::string data) { unqueue(data.size()); }
    virtual void on_close(uint16_t, std::string, oxios_close_reason) {}
    virtual void on_overflow() {}
    virtual void on_shutdown() = 0;
    virtual void on_force() { on_shutdown(); }

    Impl& hub_;
    Strand strand_;
    const oxios_route_kind kind_;
    const HeldRequest req_;
    uint64_t id_ = 0;
    std::atomic<bool> closing_{false};   // no more sends accepted
    std::atomic<size_t> queued_{0};      // bytes sent but not yet written
    std::atomic<bool> want_writable_{false};  // a send was refused (OXIOS_E_BUSY)
    std::mutex pending_mu_;                   // pending_
    std::string pending_;                     // SSE: sent, not yet handed to the strand
};

// -------------------------------------------------------------- Refusal ---

// Writes one HTTP response, then closes (after a short linger so the client
// reads it rather than a reset).
class Refusal final : public Held {
public:
    Refusal(Impl& hub, oxios_route_kind kind, std::string out)
        : Held(hub, kind, HeldRequest{}), sock_(strand_), out_(std::move(out)), linger_(strand_) {}
    tcp::socket& socket() override { return sock_; }

private:
    void start() override {
        if (done_) return;
        net::async_write(sock_, net::buffer(out_), [s = self<Refusal>()](beast::error_code ec, size_t) {
            if (ec) return s->finish();
            beast::error_code ig;
            s->sock_.shutdown(tcp::socket::shutdown_send, ig);
            s->linger_.expires_after(kRefusalLinger);
            s->linger_.async_wait([s](beast::error_code e) {
                if (!e) s->finish();
            });
            s->drain();
        });
    }
    void drain() {
        sock_.async_read_some(net::buffer(rbuf_), [s = self<Refusal>()](beast::error_code ec, size_t) {
            if (ec) return s->finish();
            s->drain();
        });
    }
    void finish() {
        if (done_) return;
        done_ = true;
        linger_.cancel();
        close_socket();
        hub_.drop_pending(*this);
    }
    void on_shutdown() override { finish(); }

    tcp::socket sock_;
    std::string out_;
    std::array<char, 1024> rbuf_{};
    net::steady_timer linger_;
    bool done_ = false;
};

// ------------------------------------------------------------ WebSocket ---

class WsConn final : public Held {
public:
    WsConn(Impl& hub, HeldRequest req, bhttp::request<bhttp::empty_body> upgrade, Headers extra)
        : Held(hub, OXIOS_ROUTE_WEBSOCKET, std::move(req)),
          ws_(strand_),
          upgrade_(std::move(upgrade)),
          extra_(std::move(extra)),
          ping_timer_(strand_),
          silence_timer_(strand_),
          force_timer_(strand_) {}
    tcp::socket& socket() override { return beast::get_lowest_layer(ws_).socket(); }

private:
    void start() override {
        if (aborted_) return;
        ws::stream_base::timeout t{};
        t.handshake_timeout = hub_.close_grace;  // also bounds Beast's close handshake
        t.idle_timeout = ws::stream_base::none();
        t.keep_alive_pings = false;  // our own pings and silence limit, below
        ws_.set_option(t);
        Headers extra;
        for (auto& h : extra_)
            if (header_ok(h)) extra.push_back(std::move(h));
        extra_.clear();
        ws_.set_option(ws::stream_base::decorator([extra = std::move(extra)](ws::response_type& res) {
            res.set(bhttp::field::server, "oxios-host");
            for (const auto& [k, v] : extra) res.insert(k, v);
        }));
        ws_.read_message_max(hub_.opt.max_message_bytes);
        ws_.auto_fragment(false);
        ws_.text(true);
        // Any control frame (ping, pong, close) counts as a sign of life.
        // Only invoked inside our own read operation, which keeps us alive.
        ws_.control_callback([this](ws::frame_type, beast::string_view) { last_seen_ = Clock::now(); });
        ws_.async_accept(upgrade_, [s = self<WsConn>()](beast::error_code ec) { s->on_accept(ec); });
    }

    void on_accept(beast::error_code ec) {
        if (aborted_) return;
        if (ec) {
            aborted_ = true;
            close_socket();
            hub_.drop_pending(*this);
            return;
        }
        upgrade_ = {};
        if (!hub_.promote(*this)) {
            aborted_ = true;
            close_socket();
            return;
        }
        open_ = true;
        last_seen_ = Clock::now();
        try {
            hub_.handler.opened(id_, kind_, req_, 0);
        } catch (...) {
        }
        do_read();
        arm_ping();
        arm_silence();
    }

    void do_read() {
        ws_.async_read(rbuf_, [s = self<WsConn>()](beast::error_code ec, size_t) { s->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        if (done_) return;
        if (ec) {
            if (ec == ws::error::closed)
                set_cause(ws_.reason().code, OXIOS_CLOSE_PEER);
            else if (ec == ws::error::message_too_big)
                set_cause(1009, OXIOS_CLOSE_ERROR);
            else if (ec == ws::condition::protocol_violation)
                set_cause(1002, OXIOS_CLOSE_ERROR);
            else
                set_cause(1006, OXIOS_CLOSE_PEER);
            finish();
            return;
        }
        last_seen_ = Clock::now();
        if (!close_wanted_) {
            auto data = rbuf_.data();
            std::string_view view(static_cast<const char*>(data.data()), data.size());
            try {
                hub_.handler.message(id_, view, ws_.got_text());
            } catch (...) {
            }
        }
        rbuf_.consume(rbuf_.size());
        if (rbuf_.capacity() > 64 * 1024) rbuf_.shrink_to_fit();
        do_read();
    }

    void on_send(std::string data) override {
        if (done_ || close_wanted_) {
            unqueue(data.size());
            return;
        }
        queue_.push_back(std::move(data));
        pump();
    }

    void pump() {
        if (done_ || writing_ || close_started_ || !open_) return;
        if (!ws_.is_open()) return;  // the peer's close is under way: the read ends it
        if (queue_.empty()) {
            if (close_wanted_) start_close();
            return;
        }
        inflight_ = std::move(queue_.front());
        queue_.pop_front();
        writing_ = true;
        ws_.async_write(net::buffer(inflight_), [s = self<WsConn>()](beast::error_code ec, size_t) { s->on_write(ec); });
    }

    void on_write(beast::error_code ec) {
        writing_ = false;
        unqueue(inflight_.size());
        inflight_.clear();
        if (done_) return;
        if (ec) return kill(1006, OXIOS_CLOSE_PEER);
        pump();
    }

    void on_close(uint16_t code, std::string reason, oxios_close_reason why) override {
        if (done_ || !open_) return;
        closing_.store(true, std::memory_order_release);
        uint16_t wire = sendable_close_code(code);
        set_cause(wire, why);
        if (close_wanted_) return;
        close_wanted_ = true;
        close_code_ = wire;
        close_text_ = truncate_utf8(reason, 123);
        force_timer_.expires_after(hub_.close_grace);
        force_timer_.async_wait([s = self<WsConn>()](beast::error_code e) {
            if (!e) s->kill(1006, OXIOS_CLOSE_ERROR);
        });
        pump();
    }

    void on_overflow() override {
        if (done_ || !open_) return;
        for (auto& q : queue_) unqueue(q.size());
        queue_.clear();
        // A write still in flight means the peer does not keep up: a close
        // frame would wait behind it, so cut the connection at once.
        if (writing_ && !close_started_) return kill(1008, OXIOS_CLOSE_ERROR);
        on_close(1008, "send queue overflow", OXIOS_CLOSE_ERROR);
    }

    void start_close() {
        close_started_ = true;
        // (Beast 1.74's static_string::assign(ptr, n) leaves it empty: construct.)
        ws::close_reason cr(static_cast<ws::close_code>(close_code_), beast::string_view(close_text_));
        ws_.async_close(cr, [s = self<WsConn>()](beast::error_code ec) {
            s->kill(1006, ec ? OXIOS_CLOSE_ERROR : OXIOS_CLOSE_PEER);  // cause is already set
        });
    }

    void arm_ping() {
        if (hub_.opt.ws_ping_interval.count() <= 0) return;  // pings off
        ping_timer_.expires_after(hub_.opt.ws_ping_interval);
        ping_timer_.async_wait([s = self<WsConn>()](beast::error_code ec) {
            if (ec || s->done_) return;
            if (!s->ping_in_flight_ && !s->close_started_ && s->ws_.is_open()) {
                s->ping_in_flight_ = true;
                s->ws_.async_ping({}, [s](beast::error_code) { s->ping_in_flight_ = false; });
            }
            s->arm_ping();
        });
    }

    void arm_silence() {
        if (hub_.opt.ws_silence_limit.count() <= 0) return;  // no silence limit
        silence_timer_.expires_at(last_seen_ + hub_.opt.ws_silence_limit);
        silence_timer_.async_wait([s = self<WsConn>()](beast::error_code ec) {
            if (ec || s->done_) return;
            if (Clock::now() - s->last_seen_ >= s->hub_.opt.ws_silence_limit)
                s->kill(1006, OXIOS_CLOSE_ERROR);
            else
                s->arm_silence();
        });
    }

    void on_shutdown() override {
        if (done_) return;
        if (!open_) {
            if (aborted_) return;
            aborted_ = true;
            close_socket();
            hub_.drop_pending(*this);
            return;
        }
        on_close(1001, "server shutting down", OXIOS_CLOSE_SHUTDOWN);
    }

    void on_force() override {
        if (done_) return;
        if (!open_) return on_shutdown();
        kill(1001, OXIOS_CLOSE_SHUTDOWN);
    }

    void set_cause(uint16_t code, oxios_close_reason why) {
        if (why_) return;
        why_ = why;
        code_ = code;
    }

    void kill(uint16_t code, oxios_close_reason why) {
        set_cause(code, why);
        finish();
    }

    void finish() {
        if (done_ || !open_) return;
        done_ = true;
        closing_.store(true, std::memory_order_release);
        beast::error_code ig;
        ping_timer_.cancel(ig);
        silence_timer_.cancel(ig);
        force_timer_.cancel(ig);
        close_socket();
        for (auto& q : queue_) unqueue(q.size());
        queue_.clear();
        hub_.report_closed(*this, code_, why_.value_or(OXIOS_CLOSE_PEER));
    }

    ws::stream<beast::tcp_stream> ws_;
    bhttp::request<bhttp::empty_body> upgrade_;
    Headers extra_;
    beast::flat_buffer rbuf_;
    std::deque<std::string> queue_;
    std::string inflight_;
    net::steady_timer ping_timer_, silence_timer_, force_timer_;
    Clock::time_point last_seen_{};
    bool open_ = false, done_ = false, aborted_ = false;
    bool writing_ = false, ping_in_flight_ = false;
    bool close_wanted_ = false, close_started_ = false;
    uint16_t close_code_ = 1000;
    std::string close_text_;
    std::optional<oxios_close_reason> why_;
    uint16_t code_ = 0;
};

// ------------------------------------------------------------------ SSE ---

class SseConn final : public Held {
public:
    SseConn(Impl& hub, HeldRequest req, const Headers& extra, uint64_t last_event_id)
        : Held(hub, OXIOS_ROUTE_SSE, std::move(req)),
          sock_(strand_),
          last_event_id_(last_event_id),
          ping_timer_(strand_),
          force_timer_(strand_) {
        head_ =
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
            "Connection: keep-alive\r\nX-Accel-Buffering: no\r\n";
        for (const auto& h : extra) {
            if (!header_ok(h) || iequals(h.first, "content-type") || iequals(h.first, "cache-control") ||
                iequals(h.first, "x-accel-buffering"))
                continue;
            head_ += h.first + ": " + h.second + "\r\n";
        }
        head_ += "\r\n";
    }
    tcp::socket& socket() override { return sock_; }

private:
    // The stream is opened (the plugin positions it on the event bus) before
    // its head is written: an event published after the client got its 200
    // is one the stream is already waiting for. Sends from opened() queue
    // behind the head (writing_ is held until it is out).
    void start() override {
        if (aborted_) return;
        if (!hub_.promote(*this)) {
            aborted_ = true;
            close_socket();
            return;
        }
        open_ = true;
        writing_ = true;
        try {
            hub_.handler.opened(id_, kind_, req_, last_event_id_);
        } catch (...) {
        }
        if (done_) return;
        net::async_write(sock_, net::buffer(head_), [s = self<SseConn>()](beast::error_code ec, size_t) { s->on_head(ec); });
        do_read();
        arm_ping();
    }

    void on_head(beast::error_code ec) {
        writing_ = false;
        if (done_) return;
        if (ec) return kill(OXIOS_CLOSE_PEER);
        std::string().swap(head_);
        pump();
    }

    // A pending read notices the peer going away; whatever it sends is ignored.
    void do_read() {
        sock_.async_read_some(net::buffer(rbuf_), [s = self<SseConn>()](beast::error_code ec, size_t) {
            if (s->done_) return;
            if (ec) return s->kill(OXIOS_CLOSE_PEER);
            s->do_read();
        });
    }

    void on_send(std::string data) override {
        if (done_ || end_wanted_) {
            unqueue(data.size());
            return;
        }
        queue_.push_back(std::move(data));
        pump();
    }

    void pump() {
        if (done_ || writing_ || !open_) return;
        if (queue_.empty()) {
            if (end_wanted_) {
                beast::error_code ig;
                sock_.shutdown(tcp::socket::shutdown_send, ig);
                kill(OXIOS_CLOSE_BY_PLUGIN);  // cause already set
            }
            return;
        }
        inflight_.clear();
        bufs_.clear();
        inflight_bytes_ = 0;
        while (!queue_.empty() && inflight_bytes_ < kSseWriteBatch) {
            inflight_bytes_ += queue_.front().size();
            inflight_.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
        for (const auto& s : inflight_) bufs_.push_back(net::buffer(s));
        writing_ = true;
        net::async_write(sock_, bufs_, [s = self<SseConn>()](beast::error_code ec, size_t) {
            s->writing_ = false;
            s->unqueue(s->inflight_bytes_);
            s->inflight_bytes_ = 0;
            if (s->done_) return;
            if (ec) return s->kill(OXIOS_CLOSE_PEER);
            s->pump();
            s->maybe_writable();
        });
    }

    void arm_ping() {
        if (hub_.opt.sse_ping_interval.count() <= 0) return;  // pings off
        ping_timer_.expires_after(hub_.opt.sse_ping_interval);
        ping_timer_.async_wait([s = self<SseConn>()](beast::error_code ec) {
            if (ec || s->done_) return;
            if (!s->end_wanted_) {
                static constexpr std::string_view ping = ": ping\n\n";
                s->queued_.fetch_add(ping.size(), std::memory_order_acq_rel);
                s->queue_.emplace_back(ping);
                s->pump();
            }
            s->arm_ping();
        });
    }

    void on_close(uint16_t, std::string, oxios_close_reason why) override {
        if (done_ || !open_) return;
        closing_.store(true, std::memory_order_release);
        set_cause(why);
        if (end_wanted_) return;
        end_wanted_ = true;
        force_timer_.expires_after(hub_.close_grace);
        force_timer_.async_wait([s = self<SseConn>()](beast::error_code e) {
            if (!e) s->kill(OXIOS_CLOSE_ERROR);
        });
        pump();
    }

    void on_overflow() override {
        if (done_ || !open_) return;
        kill(OXIOS_CLOSE_ERROR);
    }

    void on_shutdown() override {
        if (done_) return;
        if (!open_) {
            if (aborted_) return;
            aborted_ = true;
            close_socket();
            hub_.drop_pending(*this);
            return;
        }
        on_close(0, {}, OXIOS_CLOSE_SHUTDOWN);
    }

    void on_force() override {
        if (done_) return;
        if (!open_) return on_shutdown();
        kill(OXIOS_CLOSE_SHUTDOWN);
    }

    void set_cause(oxios_close_reason why) {
        if (!why_) why_ = why;
    }
    void kill(oxios_close_reason why) {
        set_cause(why);
        finish();
    }
    void finish() {
        if (done_ || !open_) return;
        done_ = true;
        closing_.store(true, std::memory_order_release);
        beast::error_code ig;
        ping_timer_.cancel(ig);
        force_timer_.cancel(ig);
        close_socket();
        for (auto& q : queue_) unqueue(q.size());
        queue_.clear();
        hub_.report_closed(*this, 0, why_.value_or(OXIOS_CLOSE_PEER));
    }

    tcp::socket sock_;
    std::string head_;
    uint64_t last_event_id_;
    std::deque<std::string> queue_;
    std::vector<std::string> inflight_;
    std::vector<net::const_buffer> bufs_;
    size_t inflight_bytes_ = 0;
    std::array<char, 512> rbuf_{};
    net::steady_timer ping_timer_, force_timer_;
    bool open_ = false, done_ = false, aborted_ = false;
    bool writing_ = false, end_wanted_ = false;
    std::optional<oxios_close_reason> why_;
};

bool valid_upgrade(const bhttp::request<bhttp::empty_body>& m) {
    return ws::is_upgrade(m) && !m[bhttp::field::sec_websocket_key].empty();
}

}  // namespace hub_detail

// ------------------------------------------------------------ Impl bodies ---

void ConnectionHub::Impl::adopt(int fd, std::string buf, oxios_route_kind kind) {
    using namespace hub_detail;
    // Owns the fd until an Asio socket does (also on an exception).
    struct FdGuard {
        int fd;
        ~FdGuard() {
            if (fd >= 0) ::close(fd);
        }
    } guard_fd{fd};
    {
        std::lock_guard lk(mu);
        if (stopping) return;
    }

    // Parse the head (the front normally read all of it already).
    bhttp::request_parser<bhttp::empty_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(kMaxHead));
    parser.eager(false);
    int refuse = 0;
    std::string refuse_msg;
    auto deadline = Clock::now() + kHeadReadTimeout;
    for (;;) {
        beast::error_code ec;
        parser.put(net::buffer(buf), ec);
        if (!ec && parser.is_header_done()) break;
        if (ec && ec != bhttp::error::need_more) {
            refuse = ec == bhttp::error::header_limit ? 431 : 400;
            break;
        }
        if (buf.size() > kMaxHead) {
            refuse = 431;
            break;
        }
        if (!read_more(fd, buf, deadline)) return;  // client gone or too slow: nothing to answer
    }

    HeldRequest req;
    peer_of(fd, req.remote_addr, req.remote_port);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    std::shared_ptr<Held> conn;
    auto refusal = [&](int status, std::string_view ct, std::string_view body, const Headers& headers) {
        conn = std::make_shared<Refusal>(*this, kind, refusal_text(status, ct, body, headers));
    };

    if (refuse) {
        refusal(refuse, "application/json",
                json_error(refuse == 431 ? "request header fields too large" : "bad request"), {});
    } else {
        const auto& m = parser.get();
        req.method = std::string(m.method_string());
        req.target = std::string(m.target());
        auto q = req.target.find('?');
        req.path = percent_decode(std::string_view(req.target).substr(0, q));
        if (q != std::string::npos) req.query = req.target.substr(q + 1);
        for (const auto& f : m) req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));

        if (kind == OXIOS_ROUTE_WEBSOCKET && !valid_upgrade(m)) {
            refusal(400, "application/json", json_error("expected a WebSocket upgrade"), {});
        } else if (kind == OXIOS_ROUTE_WEBSOCKET && m[bhttp::field::sec_websocket_version] != "13") {
            refusal(426, "application/json", json_error("unsupported WebSocket version"),
                    {{"Sec-WebSocket-Version", "13"}});
        } else if (kind == OXIOS_ROUTE_SSE && m.method() != bhttp::verb::get) {
            refusal(405, "application/json", json_error("method not allowed"), {{"Allow", "GET"}});
        } else if (kind != OXIOS_ROUTE_WEBSOCKET && kind != OXIOS_ROUTE_SSE) {
            refusal(400, "application/json", json_error("bad request"), {});
        } else {
            Admission a;
            try {
                a = handler.admit(req, kind);
            } catch (...) {
                a = Admission{};
                a.admitted = false;
                a.status = 500;
                a.body = json_error("internal error");
            }
            if (!a.admitted) {
                refusal(a.status, a.content_type, a.body, a.headers);
            } else if (kind == OXIOS_ROUTE_WEBSOCKET) {
                conn = std::make_shared<WsConn>(*this, std::move(req), parser.release(), std::move(a.headers));
            } else {
                uint64_t last = 0;
                for (const auto& [k, v] : req.headers)
                    if (iequals(k, "last-event-id")) {
                        last = parse_last_event_id(v);
                        break;
                    }
                conn = std::make_shared<SseConn>(*this, std::move(req), a.headers, last);
            }
        }
    }

    beast::error_code ec;
    conn->socket().assign(protocol_of(fd), fd, ec);
    if (ec) return;
    guard_fd.fd = -1;  // the socket owns it now
    {
        std::lock_guard lk(mu);
        if (stopping) return;  // conn (and with it the socket) goes away here
        pending.emplace(conn.get(), conn);
    }
    conn->post_start();
}

bool ConnectionHub::Impl::promote(Held& h) {
    std::shared_ptr<Held> keep;
    bool ok = false;
    {
        std::lock_guard lk(mu);
        auto it = pending.find(&h);
        if (it != pending.end()) {
            keep = std::move(it->second);
            pending.erase(it);
        }
        if (keep && !stopping) {
            h.set_id(next_id++);
            open.emplace(h.id(), keep);
            (h.kind() == OXIOS_ROUTE_WEBSOCKET ? ws_open : sse_open).fetch_add(1);
            ok = true;
        }
    }
    cv.notify_all();
    return ok;
}

void ConnectionHub::Impl::drop_pending(Held& h) {
    std::shared_ptr<Held> keep;  // released outside the lock
    {
        std::lock_guard lk(mu);
        auto it = pending.find(&h);
        if (it == pending.end()) return;
        keep = std::move(it->second);
        pending.erase(it);
    }
    cv.notify_all();
}

void ConnectionHub::Impl::report_closed(Held& h, uint16_t code, oxios_close_reason why) {
    std::shared_ptr<Held> keep;
    {
        std::lock_guard lk(mu);
        auto it = open.find(h.id());
        if (it == open.end() || it->second.get() != &h) return;
        keep = std::move(it->second);
        open.erase(it);
        (h.kind() == OXIOS_ROUTE_WEBSOCKET ? ws_open : sse_open).fetch_sub(1);
    }
    try {
        handler.closed(h.id(), code, why);
    } catch (...) {
    }
    {
        std::lock_guard lk(mu);  // pairs with shutdown()'s wait
    }
    cv.notify_all();
}

std::shared_ptr<hub_detail::Held> ConnectionHub::Impl::find(uint64_t id) const {
    std::lock_guard lk(mu);
    auto it = open.find(id);
    return it == open.end() ? nullptr : it->second;
}

void ConnectionHub::Impl::shutdown(std::chrono::milliseconds deadline) {
    std::lock_guard sl(shutdown_mu);
    if (shut) return;
    shut = true;

    auto collect = [this] {
        std::vector<std::shared_ptr<Held>> all;
        for (auto& [id, h] : open) all.push_back(h);
        for (auto& [p, h] : pending) all.push_back(h);
        return all;
    };
    auto idle = [this] { return open.empty() && pending.empty(); };

    std::vector<std::shared_ptr<Held>> all;
    {
        std::lock_guard lk(mu);
        stopping = true;
        all = collect();
    }
    // Gracefully: WebSocket 1001 after the queued frames, SSE after its bytes.
    for (auto& h : all) h->post_shutdown();
    all.clear();
    {
        std::unique_lock lk(mu);
        cv.wait_until(lk, Clock::now() + deadline, idle);
        all = collect();
    }
    // Past the deadline: cut whatever is left.
    if (!all.empty()) {
        for (auto& h : all) h->post_force();
        all.clear();
        std::unique_lock lk(mu);
        cv.wait_for(lk, std::chrono::milliseconds(200), idle);
    }

    guard.reset();
    ioc.stop();
    for (auto& t : threads)
        if (t.joinable()) t.join();
    threads.clear();

    // Connections whose closed() never ran (their strand did not get to it).
    std::vector<std::shared_ptr<Held>> left;
    {
        std::lock_guard lk(mu);
        for (auto& [id, h] : open) left.push_back(h);
        open.clear();
        pending.clear();
        ws_open = 0;
        sse_open = 0;
    }
    std::sort(left.begin(), left.end(), [](const auto& a, const auto& b) { return a->id() < b->id(); });
    for (auto& h : left) {
        try {
            handler.closed(h->id(), h->kind() == OXIOS_ROUTE_WEBSOCKET ? 1001 : 0, OXIOS_CLOSE_SHUTDOWN);
        } catch (...) {
        }
    }
}

// ------------------------------------------------------------ public API ---

ConnectionHub::ConnectionHub(Options options, StreamHandler& handler)
    : impl_(std::make_unique<Impl>(options, handler)) {}

ConnectionHub::~ConnectionHub() { shutdown(); }

void ConnectionHub::adopt(int fd, std::string buffered, oxios_route_kind kind) {
    try {
        impl_->adopt(fd, std::move(buffered), kind);
    } catch (...) {
        // The fd was closed on the way (Impl::adopt owns it from its start).
    }
}

oxios_status ConnectionHub::send(uint64_t id, std::string_view data, bool refuse_when_full) {
    try {
        auto h = impl_->find(id);
        return h ? h->send(data, refuse_when_full) : OXIOS_E_CLOSED;
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

oxios_status ConnectionHub::close(uint64_t id, uint16_t code, std::string_view reason) {
    try {
        auto h = impl_->find(id);
        return h ? h->close(code, reason) : OXIOS_E_CLOSED;
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

void ConnectionHub::shutdown(std::chrono::milliseconds deadline) { impl_->shutdown(deadline); }

size_t ConnectionHub::websocket_count() const { return impl_->ws_open.load(); }
size_t ConnectionHub::stream_count() const { return impl_->sse_open.load(); }

}  // namespace oxios::http
