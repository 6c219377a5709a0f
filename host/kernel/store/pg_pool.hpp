// A small pool of PostgreSQL connections shared by the store's backends.
// While the server cannot be reached, work fails at once with pg::Error
// (lost) instead of waiting; reconnects are retried with a doubling backoff
// (100 ms .. 2 s) by whoever needs a connection next, health checks included.
#pragma once

#include "store/pg_connection.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace oxios::kernel::pg {

// The next wait before reconnecting after `previous` (0 = the first failure):
// 100 ms, doubling, at most 2 s. The pool and the event log's threads alike.
std::chrono::milliseconds next_backoff(std::chrono::milliseconds previous);

class Pool {
public:
    // Opens the first connection now: throws Error when the server cannot
    // be reached (the host's start check).
    Pool(std::string url, size_t size);
    ~Pool();

    // Runs fn(connection). A connection lost under it is dropped with every
    // idle one (a restart kills them all) and the Error rethrown; with
    // `retry_once`, fn is run again once on a fresh connection first (only
    // for work that is safe to repeat: reads, idempotent writes).
    template <class Fn>
    auto run(Fn&& fn, bool retry_once = false) -> decltype(fn(std::declval<Connection&>())) {
        for (int attempt = 0;; ++attempt) {
            auto conn = acquire();
            try {
                if constexpr (std::is_void_v<decltype(fn(*conn))>) {
                    fn(*conn);
                    release(std::move(conn));
                    return;
                } else {
                    auto out = fn(*conn);
                    release(std::move(conn));
                    return out;
                }
            } catch (const Error& e) {
                const bool lost = e.lost() || !conn->usable();
                if (lost) {
                    discard(std::move(conn));
                } else {
                    release(std::move(conn));
                }
                if (!lost || !retry_once || attempt > 0) throw;
            } catch (...) {
                release(std::move(conn));
                throw;
            }
        }
    }

    // True when a connection answers; reconnects when due. `detail` says
    // why not (never the password).
    bool healthy(std::string& detail);
    const std::string& target() const { return target_; }  // describe_url
    const std::string& url() const { return url_; }

private:
    std::unique_ptr<Connection> acquire();
    void release(std::unique_ptr<Connection> conn);
    void discard(std::unique_ptr<Connection> conn);

    std::string url_, target_;
    size_t size_;
    std::mutex mutex_;
    std::condition_variable freed_;
    std::vector<std::unique_ptr<Connection>> idle_;
    size_t open_ = 0;          // idle + leased
    uint64_t generation_ = 0;  // bumped when the server was lost: leased ones are not returned
    std::chrono::steady_clock::time_point next_attempt_{};
    std::chrono::milliseconds backoff_{0};
    std::string last_error_;
    std::unordered_map<const Connection*, uint64_t> leased_;  // connection -> generation
};

}  // namespace oxios::kernel::pg
