// The gateway: a bounded queue of chat messages served by a fixed number of
// worker threads through an Engine. Every accepted message gets exactly one
// final delivery (REPLY or ERROR), whatever races between the engine, the
// reply timeout, connection cancellation, agents.kill and shutdown.
//
// Around the engine the gateway resolves the session id (the message's, or a
// new UUID v4) and the space (SpaceStore::resolve_for_chat), registers an
// agent for the request (agents.list shows it, agents.kill cancels it), bumps
// the space after a reply, and publishes message_received.
#pragma once

#include "engines/engine.hpp"
#include "kernel.hpp"

#include <rapidjson/document.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace oxios::kernel {

class AgentRegistry;
class SpaceStore;

class Gateway {
public:
    struct Options {
        size_t queue_capacity = 1024;
        size_t max_concurrent = 32;
        std::function<uint64_t()> reply_timeout_ms;  // read at each submit
        std::function<int64_t()> now_us;             // wall clock of snapshot(); default clock::now_us
    };
    struct Services {
        SpaceStore* spaces = nullptr;                                                        // optional
        AgentRegistry* agents = nullptr;                                                     // optional
        std::function<void(std::string_view type, const rapidjson::Value& fields)> publish;  // optional
        // Budget (optional): admit() returns "" to serve the message, else the
        // text of its one ERROR (DENIED), before any engine call. meter() sees
        // the final delivery of every message that reached the engine.
        std::function<std::string(const ChatMessage& message)> admit;
        std::function<void(const ChatMessage& message, const EngineReply& reply, const Delivery& final, bool delivered)>
            meter;
    };

    Gateway(Options options, std::shared_ptr<Engine> engine, Services services);
    ~Gateway();  // shutdown(0)
    Gateway(const Gateway&) = delete;
    Gateway& operator=(const Gateway&) = delete;

    // OXIOS_E_BUSY when the queue is full, OXIOS_E_CLOSED after shutdown
    // (the sink is never called then).
    Status submit(ChatMessage message, DeliverySink sink);
    // The same for a caller that blocks until the final delivery anyway:
    // when a slot is free and nothing is queued, the message is served on
    // the calling thread and call() returns after its final delivery;
    // otherwise it is queued as by submit().
    Status call(ChatMessage message, DeliverySink sink);
    // Cancels queued and running messages of a connection (ERROR deliveries,
    // OXIOS_E_CLOSED "cancelled: connection closed").
    void cancel_connection(uint64_t connection);
    // A graceful stop's first step: refuses new messages (OXIOS_E_CLOSED) and
    // waits up to deadline_ms until the queued and running ones have finished,
    // their replies delivered to connections still open. True when idle.
    bool drain(uint32_t deadline_ms);
    // Stops accepting, fails queued messages, waits up to deadline_ms for the
    // running ones, fails (and cancels) what is left, joins the threads and
    // waits until callers serving their own message have left. Idempotent.
    void shutdown(uint32_t deadline_ms);

    size_t queue_depth() const;
    size_t in_flight() const;

    // The queue and the running set, copied under the lock (scheduler.*).
    struct TaskView {
        std::shared_ptr<const ChatMessage> message;
        int64_t created_us = 0, started_us = 0;  // started_us 0 = queued
        std::string session_id, agent_id;        // "" = not known yet
    };
    struct Snapshot {
        std::vector<TaskView> queued;   // FIFO, at most `cap`
        std::vector<TaskView> running;  // by started_us, at most `cap`
        size_t queue_depth = 0, in_flight = 0, max_concurrent = 0, queue_capacity = 0;
        uint64_t completed_total = 0, failed_total = 0;  // final REPLY / ERROR deliveries
    };
    Snapshot snapshot(size_t cap) const;
    const std::string engine_name() const { return engine_->name(); }

    struct Job;  // gateway.cpp

private:
    using Clock = std::chrono::steady_clock;

    Status admit(ChatMessage message, DeliverySink sink, bool may_run_here);
    void worker_loop();
    void run(const std::shared_ptr<Job>& job);      // serve, then release()
    void release(const std::shared_ptr<Job>& job);  // forget it, free its slot
    void reaper_loop();
    void serve(const std::shared_ptr<Job>& job);
    void forget(const std::shared_ptr<Job>& job);

    Options options_;
    std::shared_ptr<Engine> engine_;
    Services services_;

    mutable std::mutex mutex_;
    std::condition_variable work_cv_;    // queue_ or stopping_
    std::condition_variable reaper_cv_;  // deadlines_, to_fail_ or stopping_
    std::condition_variable idle_cv_;    // in_flight_ dropped
    std::deque<std::shared_ptr<Job>> queue_;
    std::unordered_map<uint64_t, std::shared_ptr<Job>> live_;  // queued + running
    std::multimap<Clock::time_point, std::weak_ptr<Job>> deadlines_;
    std::vector<std::shared_ptr<Job>> to_fail_;                     // cancelled while queued
    Clock::time_point reaper_wakes_at_ = Clock::time_point::min();  // the reaper's next own wake-up
    size_t in_flight_ = 0;
    struct Totals {
        std::atomic<uint64_t> replies{0}, errors{0};
    } totals_;
    uint64_t next_key_ = 1;
    bool accepting_ = true;
    bool stopping_ = false;
    std::mutex shutdown_mutex_;
    std::vector<std::thread> workers_;
    std::thread reaper_;
};

}  // namespace oxios::kernel
