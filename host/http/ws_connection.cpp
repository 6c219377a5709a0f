// One held WebSocket connection (Boost.Beast): handshake, reads, the write
// queue, pings and the silence limit, and the close handshake.
#include "http/held_connection.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/websocket.hpp>

namespace oxios::http::hub_detail {
namespace {

namespace ws = boost::beast::websocket;

std::string truncate_utf8(std::string_view s, size_t max) {
    if (s.size() <= max) return std::string(s);
    size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // not inside a code point
    return std::string(s.substr(0, n));
}

class WsConn final : public Held {
public:
    WsConn(Impl& hub, HeldRequest req, bhttp::request<bhttp::empty_body> upgrade, Headers extra)
        : Held(hub, OXIOS_ROUTE_WEBSOCKET, std::move(req)),
          ws_(strand_),
          upgrade_(std::move(upgrade)),
          extra_(std::move(extra)),
          ping_timer_(strand_),
          silence_timer_(strand_) {}
    tcp::socket& socket() override { return beast::get_lowest_layer(ws_).socket(); }

private:
    void start() override {
        if (phase_ != Phase::pending) return;
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
        if (phase_ != Phase::pending) return;
        if (ec) {
            abort();
            return;
        }
        upgrade_ = {};
        if (!promote()) return;
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
        if (phase_ == Phase::done) return;
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
        if (phase_ == Phase::open) {
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

    bool can_write() override {
        return !close_started_ && ws_.is_open();  // not open: the peer's close is under way, the read ends it
    }

    void write_queued() override {
        inflight_ = std::move(queue_.front());
        queue_.pop_front();
        ws_.async_write(net::buffer(inflight_), [s = self<WsConn>()](beast::error_code ec, size_t) {
            const size_t n = s->inflight_.size();
            s->inflight_.clear();
            s->on_written(ec, n);
        });
    }

    void on_ending(uint16_t wire, std::string&& reason) override {
        close_code_ = wire;
        close_text_ = truncate_utf8(reason, 123);
    }

    void on_overflow() override {
        if (!live()) return;
        drop_queue();
        // A write still in flight means the peer does not keep up: a close
        // frame would wait behind it, so cut the connection at once.
        if (writing_ && !close_started_) return kill(1008, OXIOS_CLOSE_ERROR);
        begin_close(1008, "send queue overflow", OXIOS_CLOSE_ERROR);
    }

    void end_stream() override { start_close(); }

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
            if (ec || s->phase_ == Phase::done) return;
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
            if (ec || s->phase_ == Phase::done) return;
            if (Clock::now() - s->last_seen_ >= s->hub_.opt.ws_silence_limit)
                s->kill(1006, OXIOS_CLOSE_ERROR);
            else
                s->arm_silence();
        });
    }

    void cancel_timers() override {
        beast::error_code ig;
        ping_timer_.cancel(ig);
        silence_timer_.cancel(ig);
    }

    ws::stream<beast::tcp_stream> ws_;
    bhttp::request<bhttp::empty_body> upgrade_;
    Headers extra_;
    beast::flat_buffer rbuf_;
    std::string inflight_;
    net::steady_timer ping_timer_, silence_timer_;
    Clock::time_point last_seen_{};
    bool ping_in_flight_ = false;
    bool close_started_ = false;
    uint16_t close_code_ = 1000;
    std::string close_text_;
};

}  // namespace

bool valid_websocket_upgrade(const UpgradeRequest& m) {
    return ws::is_upgrade(m) && !m[bhttp::field::sec_websocket_key].empty();
}

std::shared_ptr<Held> make_websocket(Impl& hub, HeldRequest req, UpgradeRequest upgrade, Headers extra) {
    return std::make_shared<WsConn>(hub, std::move(req), std::move(upgrade), std::move(extra));
}

}  // namespace oxios::http::hub_detail
