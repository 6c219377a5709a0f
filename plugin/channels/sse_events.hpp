// SSE /api/events: kernel events, sanitised, fanned out to every held stream.
//
// One bus subscription per instance, taken when the first stream opens (an
// instance without streams costs the bus, and every chat that publishes on
// it, no wake-up) and held until stop(); if the bus refuses it, the stream
// is kept and the catch-up thread retries. Each stream keeps only its
// position (the highest seq written to it, or the bus position when it
// opened); the host keeps the authoritative copy and gives it back on a
// resumed open, so a reload neither repeats nor skips an event. A stream is
// registered before it replays (events_since), and its mutex is held during
// the replay, so a live event either waits for the replay or was part of it.
//
// Backpressure: when the host refuses a write (OXIOS_E_BUSY, the client
// reads slower than events come), the stream stops where it is, live events
// pass it by, and after writable() the catch-up thread brings it up to date
// from the bus; if the bus no longer holds what it missed, the client gets an
// `event: resync` first. A slow reader is never cut off and never makes the
// host buffer without end.
//
// Each event is sanitised (event_sanitizer.cpp) and framed once per instance
// (FrameCache, sse_frames.hpp), whether it reaches a stream live or in a catch-up: a catch-up (after
// a reload, or after the subscription lagged) then costs one write per event
// and stream, no more than live delivery, so a stream that fell behind gains
// on the bus instead of falling further behind.
#pragma once

#include "channels/sse_frames.hpp"
#include "host.hpp"
#include "json.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace web::channels {

class SseEvents {
public:
    explicit SseEvents(const Host& host) : host_(host) {}
    ~SseEvents() { stop(); }  // normally a no-op: stop() ran before destroy
    SseEvents(const SseEvents&) = delete;
    SseEvents& operator=(const SseEvents&) = delete;

    // Learns the bus's current position and starts the catch-up thread.
    oxios_status start();
    // Unsubscribes (no callback runs after it returns) and forgets streams.
    void stop() noexcept;

    // A stream was admitted or re-attached. last_seq: the highest seq the
    // host wrote to it (resumed) or the client's Last-Event-ID (fresh).
    oxios_status open(uint64_t id, uint64_t last_seq, bool resumed);
    // The instance loses the stream; no write to it after this returns.
    void close(uint64_t id);
    // The host takes writes again on a stream that refused one (backpressure):
    // what was held back is written by this instance's catch-up thread, not on
    // the calling (host I/O) thread, which must stay free to write sockets.
    void writable(uint64_t id);

    // Hand-over: {"head":N,"streams":[[id,pos],...]}.
    void export_state(json::Builder& out) const;
    void import_state(const json::Value& v);

    size_t stream_count() const;

private:
    struct Stream {
        std::mutex mutex;
        uint64_t pos = 0;  // events up to here were written or predate the stream
        bool closed = false;
        bool blocked = false;  // the host refused a write (OXIOS_E_BUSY): wait for writable()
    };
    using Frame = FrameCache::Frame;

    void stop_impl();
    // The bus subscription, taken once (by the first open); after stop()
    // OXIOS_E_CLOSED.
    oxios_status subscribe();
    static void on_event(void* user, uint64_t seq, const char* json, size_t len);
    void live(uint64_t seq, std::string_view raw);
    // The catch-up thread: runs catch_up for each stream writable() named.
    void run_resumer();
    // Writes what the bus still holds after s.pos (and a resync when some of
    // it is gone). s.mutex held by the caller.
    void catch_up(uint64_t id, Stream& s);
    // catch_up for every stream (after the subscription lagged, or was
    // missing): each under its own mutex.
    void catch_up_all();
    // Writes one event (seq > s.pos). s.mutex held by the caller.
    void write_event(uint64_t id, Stream& s, uint64_t seq, const std::string& frame);
    static void collect_frame(void* user, uint64_t seq, const char* json, size_t len);
    // The streams as a list, rebuilt only after streams_ changed (a fan-out
    // to 10,000 streams then costs no copy of them). mutex_ held.
    using StreamList = std::vector<std::pair<uint64_t, std::shared_ptr<Stream>>>;
    std::shared_ptr<const StreamList> snapshot() const;
    // The bus's newest seq, visiting only what follows `from`.
    uint64_t bus_newest(uint64_t from) const;
    // The bus's newest seq now (head_ brought up to date).
    uint64_t bus_head();

    const Host& host_;
    mutable std::mutex mutex_;  // streams_, head_, imported_, subscription_, subscribed_, stopped_
    std::unordered_map<uint64_t, std::shared_ptr<Stream>> streams_;
    mutable std::shared_ptr<const StreamList> list_;   // snapshot() of streams_; reset when it changes
    uint64_t head_ = 0;                                // highest seq this instance has seen
    uint64_t head_at_start_ = 0;                       // the bus position when start() ran
    std::unordered_map<uint64_t, uint64_t> imported_;  // stream -> pos from the previous instance
    uint64_t imported_head_ = 0;
    uint64_t subscription_ = 0;
    bool subscribed_ = false;
    bool stopped_ = false;
    std::mutex subscribe_mutex_;  // one subscribe() at a time, and not during stop()

    std::mutex resume_mutex_;  // resume_, resume_stop_, resubscribe_
    std::condition_variable resume_cv_;
    std::vector<uint64_t> resume_;  // streams writable() named, not yet caught up
    bool resume_stop_ = false;
    bool resubscribe_ = false;  // the bus refused a subscription: retried every second
    static constexpr std::chrono::seconds kResubscribeEvery{1};
    std::thread resumer_;

    FrameCache frames_;
};

}  // namespace web::channels
