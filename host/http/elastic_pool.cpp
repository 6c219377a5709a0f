#include "http/elastic_pool.hpp"

#include <algorithm>

namespace oxios::http {

ElasticPool::ElasticPool(size_t min_threads, size_t max_threads, std::chrono::milliseconds idle_timeout)
    : min_threads_(std::max<size_t>(1, min_threads)),
      max_threads_(std::max(max_threads, std::max<size_t>(1, min_threads))),
      idle_timeout_(idle_timeout) {
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < min_threads_; ++i) {
        ++live_;
        workers_.emplace_back([this] { worker_loop(); });
    }
}

ElasticPool::~ElasticPool() { shutdown(); }

void ElasticPool::enqueue(std::function<void()> fn) {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    jobs_.push_back(std::move(fn));
    if (idle_ < jobs_.size() && live_ < max_threads_) {
        reap_locked();
        ++live_;
        workers_.emplace_back([this] { worker_loop(); });
    }
    cv_.notify_one();
}

// Joins threads that retired (they only wait to be joined).
void ElasticPool::reap_locked() {
    if (retired_.empty()) return;
    for (auto it = workers_.begin(); it != workers_.end();) {
        auto found = std::find(retired_.begin(), retired_.end(), it->get_id());
        if (found != retired_.end()) {
            it->join();  // the thread has left worker_loop or is about to
            retired_.erase(found);
            it = workers_.erase(it);
        } else {
            ++it;
        }
    }
}

void ElasticPool::worker_loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
        ++idle_;
        bool woke = cv_.wait_for(lock, idle_timeout_, [this] { return stopping_ || !jobs_.empty(); });
        --idle_;
        if (jobs_.empty()) {
            if (stopping_) break;
            if (!woke && live_ > min_threads_) {  // idle too long: retire
                retired_.push_back(std::this_thread::get_id());
                break;
            }
            continue;
        }
        auto job = std::move(jobs_.front());
        jobs_.pop_front();
        lock.unlock();
        job();
        lock.lock();
    }
    --live_;
}

void ElasticPool::shutdown() {
    std::vector<std::thread> workers;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        cv_.notify_all();
        workers.swap(workers_);
        retired_.clear();
    }
    for (auto& t : workers)
        if (t.joinable()) t.join();
}

size_t ElasticPool::threads() const {
    std::lock_guard lock(mutex_);
    return live_;
}

}  // namespace oxios::http
