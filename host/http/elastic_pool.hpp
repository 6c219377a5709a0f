// A task queue for the HTTP engine that grows with demand: cpp-httplib runs one
// connection per task for its whole keep-alive life, so a fixed pool of 8
// threads starves as soon as 8 clients keep connections open. Threads are
// started when no worker is idle (up to `max_threads`) and retire after
// `idle_timeout` without work, down to `min_threads`.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace oxios::http {

class ElasticPool final : public httplib::TaskQueue {
public:
    ElasticPool(size_t min_threads, size_t max_threads,
                std::chrono::milliseconds idle_timeout = std::chrono::seconds(30));
    ~ElasticPool() override;

    void enqueue(std::function<void()> fn) override;
    void shutdown() override;  // runs queued tasks, then joins every worker

    size_t threads() const;

private:
    void worker_loop();
    void reap_locked();

    const size_t min_threads_, max_threads_;
    const std::chrono::milliseconds idle_timeout_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> jobs_;
    std::vector<std::thread> workers_;
    std::vector<std::thread::id> retired_;
    size_t idle_ = 0;
    size_t live_ = 0;
    bool stopping_ = false;
};

}  // namespace oxios::http
