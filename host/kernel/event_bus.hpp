// Kernel event bus: numbered events, a replay ring, and fan-out to
// subscribers that each own a bounded queue and a delivery thread, so a slow
// subscriber never slows the publisher.
//
// Lag: when a subscriber's queue is full, that subscriber drops events until
// its thread has drained the queue, then receives one synthetic event
// {"id","timestamp","type":"lagged","missed":N} with seq 0 (N = events it
// did not get), exactly where the gap is; it can catch up with since().
#pragma once

#include "kernel.hpp"

#include <rapidjson/document.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace oxios::kernel {

class EventBus {
public:
    // capacity: events kept for since(); subscriber_queue: per-subscriber bound.
    EventBus(size_t capacity, size_t subscriber_queue, std::function<int64_t()> now_us);
    ~EventBus();  // stops every subscriber thread
    EventBus(const EventBus&) = delete;
    EventBus& operator=(const EventBus&) = delete;

    // fields_json: a JSON object of extra fields ("" = none). Returns the new
    // seq, or 0 when fields_json is not a JSON object (nothing published).
    // With a log (set_log), the event goes to the log instead, its seq is
    // given by the log, and publish returns kLogged.
    uint64_t publish(std::string_view type, std::string_view fields_json);
    uint64_t publish(std::string_view type, const rapidjson::Value& fields);
    static constexpr uint64_t kLogged = UINT64_MAX;

    // --- a cluster's event log (store/pg_event_log.hpp) ---
    using Text = std::shared_ptr<const std::string>;
    // Where publish() sends events instead of numbering them here.
    void set_log(std::function<void(Text event)> append);
    // Events back from the log, in seq order: kept in the ring and fanned out.
    // A seq that does not follow the last one empties the ring first (the
    // events between are only in the log's table).
    void deliver(uint64_t seq, const Text& event);
    // Where since() reads what the ring no longer holds (after_seq > 0 only:
    // since(0) is how a plugin finds the head): calls fn for the log's events
    // after `after` and before `before`, returns how many of them the log no
    // longer keeps.
    using History = std::function<uint64_t(uint64_t after, uint64_t before, const EventFn& fn)>;
    void set_history(History history);
    // The seq the log starts from (no events before it are delivered here).
    void start_at(uint64_t seq);

    // types: the event types fn is called for ("lagged" always comes); empty:
    // every event. A subscriber's thread wakes only for the events it wants.
    uint64_t subscribe(EventFn fn, std::vector<std::string> types = {});
    // After return fn is not running and will not be called again. Called from
    // inside fn it only stops further calls.
    void unsubscribe(uint64_t subscription);

    // Calls fn for buffered events with seq > after_seq, in order; returns how
    // many such events are no longer buffered.
    uint64_t since(uint64_t after_seq, const EventFn& fn) const;

    uint64_t last_seq() const;
    uint64_t published() const { return published_.load(); }
    size_t subscriber_count() const;
    size_t capacity() const { return capacity_; }

    struct Subscriber;  // event_bus.cpp

private:
    using Event = std::pair<uint64_t, std::shared_ptr<const std::string>>;

    const size_t capacity_;
    const size_t subscriber_queue_;
    std::function<int64_t()> now_us_;

    void fan_out_locked(uint64_t seq, const Text& text);  // mutex_ held

    std::function<void(Text)> log_;  // set before use, never changed after
    History history_;

    mutable std::mutex mutex_;  // seq_, ring_, subscribers_
    uint64_t seq_ = 0;
    std::deque<Event> ring_;
    std::map<uint64_t, std::shared_ptr<Subscriber>> subscribers_;
    uint64_t next_subscription_ = 1;
    std::atomic<uint64_t> published_{0};
};

}  // namespace oxios::kernel
