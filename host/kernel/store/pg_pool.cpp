#include "store/pg_pool.hpp"

#include <algorithm>
#include <cstdio>

namespace oxios::kernel::pg {

namespace {
constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{2000};
constexpr std::chrono::seconds kLeaseWait{5};
}  // namespace

std::chrono::milliseconds next_backoff(std::chrono::milliseconds previous) {
    return previous.count() == 0 ? kFirstBackoff : std::min(previous * 2, kMaxBackoff);
}

Pool::Pool(std::string url, size_t size)
    : url_(std::move(url)), target_(describe_url(url_)), size_(std::max<size_t>(size, 1)) {
    idle_.push_back(std::make_unique<Connection>(url_));  // throws: the start check
    open_ = 1;
}

Pool::~Pool() = default;

std::unique_ptr<Connection> Pool::acquire() {
    std::unique_lock lock(mutex_);
    const auto deadline = std::chrono::steady_clock::now() + kLeaseWait;
    for (;;) {
        if (!idle_.empty()) {
            auto conn = std::move(idle_.back());
            idle_.pop_back();
            leased_[conn.get()] = generation_;
            return conn;
        }
        if (open_ < size_) {
            const auto now = std::chrono::steady_clock::now();
            if (backoff_.count() > 0 && now < next_attempt_) throw Error(last_error_, true);
            ++open_;
            lock.unlock();
            try {
                auto conn = std::make_unique<Connection>(url_);
                lock.lock();
                if (backoff_.count() > 0)
                    std::fprintf(stderr, "[info] state store: %s reachable again\n", target_.c_str());
                backoff_ = std::chrono::milliseconds{0};
                leased_[conn.get()] = generation_;
                return conn;
            } catch (const Error& e) {
                lock.lock();
                --open_;
                if (backoff_.count() == 0) std::fprintf(stderr, "[error] %s (retrying)\n", e.what());
                backoff_ = next_backoff(backoff_);
                next_attempt_ = std::chrono::steady_clock::now() + backoff_;
                last_error_ = e.what();
                freed_.notify_one();
                throw;
            }
        }
        if (freed_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= size_)
            throw Error("every PostgreSQL connection stayed busy for 5 s", false);
    }
}

void Pool::release(std::unique_ptr<Connection> conn) {
    std::lock_guard lock(mutex_);
    auto it = leased_.find(conn.get());
    const bool stale = it == leased_.end() || it->second != generation_ || !conn->usable() ||
                       PQtransactionStatus(conn->raw()) != PQTRANS_IDLE;
    if (it != leased_.end()) leased_.erase(it);
    if (stale) {
        --open_;
    } else {
        idle_.push_back(std::move(conn));
    }
    freed_.notify_one();
}

void Pool::discard(std::unique_ptr<Connection> conn) {
    std::lock_guard lock(mutex_);
    leased_.erase(conn.get());
    --open_;
    // A lost connection usually means the server restarted: the idle ones
    // are dead too, and the leased ones are not taken back.
    open_ -= idle_.size();
    idle_.clear();
    ++generation_;
    freed_.notify_all();
}

bool Pool::healthy(std::string& detail) {
    try {
        run([](Connection& c) { c.exec("SELECT 1"); }, true);
        detail = "postgres " + target_;
        return true;
    } catch (const Error& e) {
        detail = std::string("postgres unavailable: ") + e.what();
        return false;
    }
}

}  // namespace oxios::kernel::pg
