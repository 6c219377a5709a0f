// Held: what WebSocket and SSE connections share — the send queue with its
// backpressure, the connection's phase and its transitions, and the close path.
#include "http/held_connection.hpp"

#include <sys/socket.h>

namespace oxios::http::hub_detail {
namespace {

uint16_t sendable_close_code(uint16_t code) {
    bool ok = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
    return ok ? code : 1000;
}

}  // namespace

oxios_status Held::send(std::string_view data, bool refuse_when_full) {
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
        // A byte stream. While the strand has nothing to write, the bytes go
        // to the socket here (one send(), no hand-off); what does not fit,
        // and sends while the strand writes, coalesce into one pending buffer
        // and one hand-off to the strand per batch, not one per event.
        bool first = false;
        {
            std::lock_guard lk(pending_mu_);
            if (direct_fd_ >= 0 && pending_.empty()) {
                const ssize_t w = ::send(direct_fd_, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
                const size_t wrote = w > 0 ? static_cast<size_t>(w) : 0;
                unqueue(wrote);
                if (wrote == n) return OXIOS_OK;
                // Full socket buffer or an error: the strand writes the rest
                // (and reports the error).
                data.remove_prefix(wrote);
                direct_fd_ = -1;
            }
            first = pending_.empty();
            pending_.append(data);
        }
        if (first) net::post(strand_, [self = shared_from_this()] { self->take_pending(); });
        return OXIOS_OK;
    }
    net::post(strand_, [self = shared_from_this(), s = std::string(data)]() mutable { self->on_send(std::move(s)); });
    return OXIOS_OK;
}

// ---- phase transitions -------------------------------------------------------

bool Held::promote() {
    if (!hub_.promote(*this)) {
        abort();
        return false;
    }
    phase_ = Phase::open;
    return true;
}

bool Held::abort() {
    if (phase_ != Phase::pending) return false;
    phase_ = Phase::aborted;
    cancel_timers();
    close_socket();
    hub_.drop_pending(*this);
    return true;
}

void Held::begin_close(uint16_t code, std::string reason, oxios_close_reason why) {
    if (!live()) return;
    closing_.store(true, std::memory_order_release);
    stop_direct();
    const uint16_t wire = sendable_close_code(code);
    set_cause(wire, why);
    if (phase_ == Phase::ending) return;
    phase_ = Phase::ending;
    on_ending(wire, std::move(reason));
    force_timer_.expires_after(hub_.close_grace);
    force_timer_.async_wait([s = shared_from_this()](beast::error_code e) {
        if (!e) s->kill(1006, OXIOS_CLOSE_ERROR);
    });
    pump();
}

void Held::finish() {
    if (!live()) return;
    phase_ = Phase::done;
    closing_.store(true, std::memory_order_release);
    beast::error_code ig;
    force_timer_.cancel(ig);
    cancel_timers();
    close_socket();
    drop_queue();
    hub_.report_closed(*this, code_, why_.value_or(OXIOS_CLOSE_PEER));
}

void Held::on_shutdown() {
    if (abort()) return;
    begin_close(1001, "server shutting down", OXIOS_CLOSE_SHUTDOWN);
}

void Held::on_force() {
    if (phase_ == Phase::pending) return on_shutdown();
    kill(1001, OXIOS_CLOSE_SHUTDOWN);
}

// ---- writing -------------------------------------------------------------------

void Held::on_send(std::string data) {
    if (phase_ != Phase::open) {
        unqueue(data.size());
        return;
    }
    queue_.push_back(std::move(data));
    pump();
}

void Held::pump() {
    if (!live() || writing_ || !can_write()) return;
    if (queue_.empty()) {
        if (phase_ == Phase::ending) end_stream();
        return;
    }
    writing_ = true;
    stop_direct();
    write_queued();
}

void Held::on_written(beast::error_code ec, size_t bytes) {
    writing_ = false;
    unqueue(bytes);
    if (phase_ == Phase::done) return;
    if (ec) return kill(1006, OXIOS_CLOSE_PEER);
    pump();
    if (!writing_ && queue_.empty() && phase_ == Phase::open) allow_direct();
    maybe_writable();
}

void Held::drop_queue() {
    for (auto& q : queue_) unqueue(q.size());
    queue_.clear();
}

void Held::take_pending() {
    std::string data;
    {
        std::lock_guard lk(pending_mu_);
        data.swap(pending_);
    }
    if (!data.empty()) on_send(std::move(data));
}

void Held::maybe_writable() {
    if (queued_.load() <= hub_.opt.sse_low_water && want_writable_.exchange(false)) {
        try {
            hub_.handler.writable(id_);
        } catch (...) {
        }
    }
}

void Held::allow_direct() {
    if (kind_ != OXIOS_ROUTE_SSE) return;
    std::lock_guard lk(pending_mu_);
    if (pending_.empty()) direct_fd_ = socket().native_handle();  // else take_pending() is on its way
}

void Held::stop_direct() {
    std::lock_guard lk(pending_mu_);
    direct_fd_ = -1;
}

void Held::close_socket() {
    stop_direct();  // no send() on the descriptor from here on
    beast::error_code ec;
    socket().shutdown(tcp::socket::shutdown_both, ec);
    socket().close(ec);
}

}  // namespace oxios::http::hub_detail
