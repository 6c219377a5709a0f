// ConnectionHub: held WebSocket and SSE connections on Boost.Beast / Asio.
// This file: the public API and the registry of connections (promotion,
// close reporting, shutdown); held_connection.hpp has the shared internals.
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
//   An SSE send to a stream whose strand has nothing queued or in flight is
//   written there and then with one non-blocking send() (Held::send).
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

#include "http/held_connection.hpp"

namespace oxios::http {

using hub_detail::Held;

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
    // Gracefully: WebSocket 1001 after the queued frames, SSE after its bytes;
    // spread (2 ms apart, 2 s at most in all) so that clients reconnecting to
    // the other hosts of a cluster do not all arrive in the same instant.
    const auto gap = all.empty() ? Clock::duration{}
                                 : std::min<Clock::duration>(std::chrono::milliseconds(2),
                                                             std::chrono::milliseconds(2000) / all.size());
    for (auto& h : all) {
        h->post_shutdown();
        std::this_thread::sleep_for(gap);
    }
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
