#include "store/pg_event_log.hpp"

#include <poll.h>

#include <chrono>
#include <cstdio>

namespace oxios::kernel {

namespace {
using namespace std::chrono_literals;
constexpr auto kBatchWindow = 2ms;  // how long a first event waits for company
constexpr size_t kBatchMax = 500;
constexpr auto kReadEvery = 1s;  // a lost NOTIFY costs at most this
constexpr auto kPruneEvery = 60s;
constexpr auto kStopWait = 3s;  // the destructor's bound for what is queued
}  // namespace

PgEventLog::PgEventLog(std::shared_ptr<pg::Pool> pool, EventBus& bus, Retention retention,
                       std::function<int64_t()> now_us, const DutyLock& duty)
    : pool_(std::move(pool)), bus_(bus), retention_(retention), now_us_(std::move(now_us)), duty_(duty) {
    // The ring is a cache in front of the table: filled with its newest events.
    pool_->run([&](pg::Connection& c) {
        auto head = c.exec("SELECT last FROM event_seq");
        const auto last = static_cast<uint64_t>(pg::to_int64(head.get(), 0, 0));
        auto r = c.exec("SELECT seq, body FROM events WHERE seq > $1 AND seq <= $2 ORDER BY seq",
                        {std::to_string(last > bus_.capacity() ? last - bus_.capacity() : 0), std::to_string(last)});
        const int rows = PQntuples(r.get());
        bus_.start_at(rows > 0 ? static_cast<uint64_t>(pg::to_int64(r.get(), 0, 0)) - 1 : last);
        for (int row = 0; row < rows; ++row)
            bus_.deliver(static_cast<uint64_t>(pg::to_int64(r.get(), row, 0)),
                         std::make_shared<const std::string>(pg::text(r.get(), row, 1)));
        last_read_ = last;
    });
    writer_ = std::thread([this] { write_loop(); });
    reader_ = std::thread([this] { read_loop(); });
}

PgEventLog::~PgEventLog() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    writer_.join();
    stop_reader_ = true;
    reader_.join();
}

void PgEventLog::append(EventBus::Text event) {
    {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= kMaxQueued) {
            if (dropped_++ == 0)
                std::fprintf(stderr, "[error] event log: %zu events wait for PostgreSQL; dropping new ones\n",
                             queue_.size());
            return;
        }
        queue_.push_back(std::move(event));
    }
    wake_.notify_one();
}

void PgEventLog::write_loop() {
    std::unique_lock lock(mutex_);
    auto backoff = 0ms;
    auto last_prune = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point give_up{};
    for (;;) {
        wake_.wait_for(lock, kPruneEvery, [&] { return stop_ || !queue_.empty(); });
        if (stop_ && give_up == std::chrono::steady_clock::time_point{})
            give_up = std::chrono::steady_clock::now() + kStopWait;
        if (queue_.empty()) {
            if (stop_) return;
        } else {
            if (!stop_) wake_.wait_for(lock, kBatchWindow, [&] { return stop_ || queue_.size() >= kBatchMax; });
            const size_t n = std::min(queue_.size(), kBatchMax);
            // Only this thread pops: the first n stay the same while unlocked.
            std::string batch = "[";
            for (size_t i = 0; i < n; ++i) {
                if (i) batch += ',';
                batch += *queue_[i];
            }
            batch += ']';
            lock.unlock();
            bool ok = false;
            try {
                pool_->run([&](pg::Connection& c) {
                    c.exec("SELECT oxios_publish_events($1::json, $2)", {batch, std::to_string(now_us_())});
                });
                ok = true;
            } catch (const pg::Error& e) {
                if (!e.lost()) std::fprintf(stderr, "[error] event log: %s\n", e.what());
            }
            lock.lock();
            if (ok) {
                queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
                if (dropped_ > 0)
                    std::fprintf(stderr, "[info] event log: %lu events were dropped\n",
                                 static_cast<unsigned long>(dropped_));
                dropped_ = 0;
                backoff = 0ms;
            } else {
                if (stop_ && std::chrono::steady_clock::now() > give_up) {
                    std::fprintf(stderr, "[error] event log: %zu events not stored at shutdown\n", queue_.size());
                    return;
                }
                backoff = pg::next_backoff(backoff);
                wake_.wait_for(lock, backoff, [&] { return false; });
            }
        }
        if (std::chrono::steady_clock::now() - last_prune >= kPruneEvery && duty_.held()) {
            last_prune = std::chrono::steady_clock::now();
            lock.unlock();
            try {
                pool_->run([&](pg::Connection& c) { prune(c); });
            } catch (const pg::Error&) {
            }
            lock.lock();
        }
    }
}

void PgEventLog::prune(pg::Connection& c) {
    const int64_t cutoff = now_us_() - retention_.hours * 3600LL * 1'000'000;
    c.exec("DELETE FROM events WHERE seq <= (SELECT last FROM event_seq) - $1 OR at_us < $2",
           {std::to_string(retention_.count), std::to_string(cutoff)});
}

bool PgEventLog::read_new(pg::Connection& c) {
    // One reader at a time (the LISTEN thread, or wait_for on a request's
    // thread): the bus gets every seq once and in order.
    std::lock_guard deliver(deliver_mutex_);
    for (;;) {
        auto r = c.exec("SELECT seq, body FROM events WHERE seq > $1 ORDER BY seq LIMIT 1000",
                        {std::to_string(last_read_.load())});
        const int rows = PQntuples(r.get());
        for (int row = 0; row < rows; ++row) {
            const auto seq = static_cast<uint64_t>(pg::to_int64(r.get(), row, 0));
            bus_.deliver(seq, std::make_shared<const std::string>(pg::text(r.get(), row, 1)));
            last_read_ = seq;
        }
        if (rows < 1000) return true;
    }
}

void PgEventLog::read_loop() {
    auto backoff = 0ms;
    while (!stop_reader_) {
        try {
            pg::Connection c(pool_->url());
            c.exec("LISTEN oxios_events");
            read_new(c);  // what was committed while we were not listening
            backoff = 0ms;
            auto last = std::chrono::steady_clock::now();
            while (!stop_reader_) {
                pollfd p{PQsocket(c.raw()), POLLIN, 0};
                ::poll(&p, 1, 200);  // short: stop_reader_ is checked between waits
                if (PQconsumeInput(c.raw()) == 0) throw pg::Error("LISTEN connection lost", true);
                bool woken = false;
                while (PGnotify* n = PQnotifies(c.raw())) {
                    PQfreemem(n);
                    woken = true;
                }
                if (woken || std::chrono::steady_clock::now() - last >= kReadEvery) {
                    read_new(c);
                    last = std::chrono::steady_clock::now();
                }
            }
        } catch (const pg::Error&) {
            backoff = pg::next_backoff(backoff);
            for (auto waited = 0ms; waited < backoff && !stop_reader_; waited += 50ms)
                std::this_thread::sleep_for(50ms);
        }
    }
}

bool PgEventLog::wait_for(uint64_t seq) {
    if (last_read_ >= seq) return true;
    // Read up to it here, on the caller's thread: the LISTEN thread may be
    // slow (a loaded machine), and the caller is waiting.
    try {
        pool_->run([&](pg::Connection& c) { read_new(c); }, true);
    } catch (const pg::Error&) {
    }
    return last_read_ >= seq;
}

uint64_t PgEventLog::history(uint64_t after, uint64_t before, const EventFn& fn) {
    const uint64_t wanted = before > after + 1 ? before - after - 1 : 0;
    try {
        auto rows = pool_->run(
            [&](pg::Connection& c) {
                auto r = c.exec("SELECT seq, body FROM events WHERE seq > $1 AND seq < $2 ORDER BY seq",
                                {std::to_string(after), std::to_string(before)});
                return r;
            },
            true);
        const int n = PQntuples(rows.get());
        for (int row = 0; row < n; ++row)
            fn(static_cast<uint64_t>(pg::to_int64(rows.get(), row, 0)), pg::text(rows.get(), row, 1));
        return wanted - static_cast<uint64_t>(n);  // pruned from the table
    } catch (const pg::Error&) {
        return wanted;
    }
}

}  // namespace oxios::kernel
