// One held server-sent event stream: the response head, batched writes of
// the queued bytes, comment pings, and the end of the stream.
#include "http/held_connection.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <array>

namespace oxios::http::hub_detail {
namespace {

constexpr size_t kSseWriteBatch = 256 * 1024;

class SseConn final : public Held {
public:
    SseConn(Impl& hub, HeldRequest req, const Headers& extra, uint64_t last_event_id)
        : Held(hub, OXIOS_ROUTE_SSE, std::move(req)),
          sock_(strand_),
          last_event_id_(last_event_id),
          ping_timer_(strand_) {
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
        if (phase_ != Phase::pending || !promote()) return;
        writing_ = true;
        try {
            hub_.handler.opened(id_, kind_, req_, last_event_id_);
        } catch (...) {
        }
        if (phase_ == Phase::done) return;
        net::async_write(sock_, net::buffer(head_), [s = self<SseConn>()](beast::error_code ec, size_t) {
            std::string().swap(s->head_);
            s->on_written(ec, 0);
        });
        do_read();
        arm_ping();
    }

    // A pending read notices the peer going away; whatever it sends is ignored.
    void do_read() {
        sock_.async_read_some(net::buffer(rbuf_), [s = self<SseConn>()](beast::error_code ec, size_t) {
            if (s->phase_ == Phase::done) return;
            if (ec) return s->kill(0, OXIOS_CLOSE_PEER);
            s->do_read();
        });
    }

    // One write takes what is queued, up to kSseWriteBatch bytes.
    void write_queued() override {
        inflight_.clear();
        bufs_.clear();
        inflight_bytes_ = 0;
        while (!queue_.empty() && inflight_bytes_ < kSseWriteBatch) {
            inflight_bytes_ += queue_.front().size();
            inflight_.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
        for (const auto& s : inflight_) bufs_.push_back(net::buffer(s));
        net::async_write(sock_, bufs_, [s = self<SseConn>()](beast::error_code ec, size_t) {
            const size_t n = s->inflight_bytes_;
            s->inflight_bytes_ = 0;
            s->on_written(ec, n);
        });
    }

    // The queue is out after a close: the stream ends (cause already set).
    void end_stream() override {
        beast::error_code ig;
        sock_.shutdown(tcp::socket::shutdown_send, ig);
        kill(0, OXIOS_CLOSE_BY_PLUGIN);
    }

    void arm_ping() {
        if (hub_.opt.sse_ping_interval.count() <= 0) return;  // pings off
        ping_timer_.expires_after(hub_.opt.sse_ping_interval);
        ping_timer_.async_wait([s = self<SseConn>()](beast::error_code ec) {
            if (ec || s->phase_ == Phase::done) return;
            if (s->phase_ == Phase::open) {
                static constexpr std::string_view ping = ": ping\n\n";
                s->queued_.fetch_add(ping.size(), std::memory_order_acq_rel);
                s->queue_.emplace_back(ping);
                s->pump();
            }
            s->arm_ping();
        });
    }

    void cancel_timers() override {
        beast::error_code ig;
        ping_timer_.cancel(ig);
    }

    tcp::socket sock_;
    std::string head_;
    uint64_t last_event_id_;
    std::vector<std::string> inflight_;
    std::vector<net::const_buffer> bufs_;
    size_t inflight_bytes_ = 0;
    std::array<char, 512> rbuf_{};
    net::steady_timer ping_timer_;
};

}  // namespace

std::shared_ptr<Held> make_sse(Impl& hub, HeldRequest req, const Headers& extra, uint64_t last_event_id) {
    return std::make_shared<SseConn>(hub, std::move(req), extra, last_event_id);
}

}  // namespace oxios::http::hub_detail
