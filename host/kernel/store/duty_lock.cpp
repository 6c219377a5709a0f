#include "store/duty_lock.hpp"

#include "store/pg_connection.hpp"
#include "store/pg_pool.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

namespace oxios::kernel {

namespace {

using namespace std::chrono_literals;

constexpr int64_t kDutyLock = 0x6f78696f74;  // "oxiot": next to the migration lock's "oxios"

class SoleHost final : public DutyLock {
public:
    bool held() const override { return true; }
};

class PgDuty final : public DutyLock {
public:
    PgDuty(std::string url, std::chrono::milliseconds every)
        : url_(std::move(url)), every_(every), thread_([this] { loop(); }) {}
    ~PgDuty() override {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        wake_.notify_one();
        thread_.join();
    }
    bool held() const override { return held_.load(std::memory_order_acquire); }

private:
    // One check: connect if needed, then take the lock or prove we still
    // hold it. Returns the wait before the next check.
    std::chrono::milliseconds check(std::unique_ptr<pg::Connection>& conn, std::chrono::milliseconds& backoff) {
        try {
            if (!conn || !conn->usable()) {
                conn.reset();
                held_.store(false, std::memory_order_release);
                conn = std::make_unique<pg::Connection>(url_);
            }
            if (held()) {
                conn->exec("SELECT 1");
            } else {
                auto r = conn->exec("SELECT pg_try_advisory_lock($1)", {std::to_string(kDutyLock)});
                if (pg::text(r.get(), 0, 0) == "t") {
                    held_.store(true, std::memory_order_release);
                    std::fprintf(stderr, "[info] this host now runs the cluster's once-only duties\n");
                }
            }
            backoff = 0ms;
            return every_;
        } catch (const pg::Error&) {
            if (held()) std::fprintf(stderr, "[warn] lost the duty lock's connection; duties paused here\n");
            held_.store(false, std::memory_order_release);
            conn.reset();
            backoff = pg::next_backoff(backoff);
            return std::max(backoff, every_);
        }
    }

    void loop() {
        std::unique_ptr<pg::Connection> conn;
        auto backoff = 0ms;
        std::unique_lock lock(mutex_);
        while (!stop_) {
            lock.unlock();
            const auto wait = check(conn, backoff);
            lock.lock();
            wake_.wait_for(lock, wait, [this] { return stop_; });
        }
        held_.store(false, std::memory_order_release);
    }  // closing the connection releases the lock for the next host

    const std::string url_;
    const std::chrono::milliseconds every_;
    std::atomic<bool> held_{false};
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;  // last: starts once the rest is built
};

}  // namespace

std::unique_ptr<DutyLock> sole_host_duty() { return std::make_unique<SoleHost>(); }

std::unique_ptr<DutyLock> pg_duty_lock(std::string url, std::chrono::milliseconds check_every) {
    return std::make_unique<PgDuty>(std::move(url), check_every);
}

}  // namespace oxios::kernel
