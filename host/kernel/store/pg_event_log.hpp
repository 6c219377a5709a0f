// The cluster's event log on PostgreSQL: every host's events in one `events`
// table with a global seq, so an SSE client can resume on any host.
//
// Writing: publish() queues; one thread commits the queue in batches (one
// transaction every few milliseconds, oxios_publish_events in
// store/pg_schema.cpp: the seq is allocated under a one-row lock in the same
// transaction, so commit order is seq order) and NOTIFYs a wake-up, never
// the payload. While PostgreSQL is out the queue waits (up to kMaxQueued
// events; beyond that the oldest are dropped, logged).
//
// Reading: one dedicated LISTEN connection outside any transaction; on a
// wake-up, on reconnect and every second it reads WHERE seq > last and hands
// the events to the bus in order (EventBus::deliver). A lost notification
// delays an event by at most a second, never loses it.
#pragma once

#include "event_bus.hpp"
#include "store/duty_lock.hpp"
#include "store/pg_pool.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace oxios::kernel {

class PgEventLog {
public:
    struct Retention {
        int64_t count = 100000;  // events kept in the table
        int64_t hours = 168;     // ... and no older than this
    };
    // Starts both threads; the bus starts at the table's last seq. Retention
    // is applied every minute by the host on duty only.
    PgEventLog(std::shared_ptr<pg::Pool> pool, EventBus& bus, Retention retention, std::function<int64_t()> now_us,
               const DutyLock& duty);
    ~PgEventLog();  // commits what is queued (bounded wait), stops both threads

    void append(EventBus::Text event);
    // Brings this host's bus up to `seq` now, reading the table on the
    // caller's thread (an SSE client resuming here with an id another host
    // already sent it); false when the log does not hold it.
    bool wait_for(uint64_t seq);
    // EventBus::History: the table's events in (after, before).
    uint64_t history(uint64_t after, uint64_t before, const EventFn& fn);

    static constexpr size_t kMaxQueued = 100000;

private:
    void write_loop();
    void read_loop();
    bool read_new(pg::Connection& c);  // false when the connection failed
    void prune(pg::Connection& c);

    std::shared_ptr<pg::Pool> pool_;
    EventBus& bus_;
    Retention retention_;
    std::function<int64_t()> now_us_;
    const DutyLock& duty_;

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<EventBus::Text> queue_;
    bool stop_ = false;
    uint64_t dropped_ = 0;

    std::atomic<uint64_t> last_read_{0};
    std::mutex deliver_mutex_;  // read_new: one reader delivers at a time
    std::atomic<bool> stop_reader_{false};
    std::thread writer_, reader_;
};

}  // namespace oxios::kernel
