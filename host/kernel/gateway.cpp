#include "gateway.hpp"

#include "agents.hpp"
#include "infra/clock.hpp"
#include "infra/ids.hpp"
#include "infra/json_util.hpp"
#include "infra/uuid.hpp"
#include "spaces.hpp"

#include <algorithm>
#include <atomic>

namespace oxios::kernel {

struct Gateway::Job {
    uint64_t key = 0;
    std::shared_ptr<const ChatMessage> message;
    DeliverySink sink;
    std::atomic<bool> cancelled{false};
    uint64_t timeout_secs = 0;
    // Its entry in Gateway::deadlines_ (under the gateway's mutex).
    std::multimap<std::chrono::steady_clock::time_point, std::weak_ptr<Job>>::iterator deadline;
    bool has_deadline = false;

    std::mutex mutex;  // finished, cancel_*, and every call of sink
    bool finished = false;
    Status cancel_status = OXIOS_OK;
    std::string cancel_reason;
    std::string session_id, space_id;  // once resolved, for ERRORs from elsewhere

    // For snapshot(), under the gateway's mutex.
    int64_t created_us = 0, started_us = 0;
    std::string shown_session, shown_agent;
    Totals* totals = nullptr;

    void cancel(Status status, std::string reason) {
        std::lock_guard lock(mutex);
        if (!cancelled.load()) {
            cancel_status = status;
            cancel_reason = std::move(reason);
        }
        cancelled = true;
    }
    // The one final delivery; false when another already happened. `before`
    // runs first (the usage metering: the next message of the same sender,
    // sent once this one is answered, must find it counted).
    bool finish(Delivery& d, const std::function<void()>& before = {}) {
        std::lock_guard lock(mutex);
        if (finished) return false;
        finished = true;
        d.message = message;
        try {
            if (before) before();
        } catch (...) {
        }
        try {
            sink(d);
        } catch (...) {
        }
        if (totals != nullptr) ++(d.kind == OXIOS_DELIVERY_REPLY ? totals->replies : totals->errors);
        return true;
    }
    bool fail(Status status, std::string_view text) {
        Delivery d;
        d.kind = OXIOS_DELIVERY_ERROR;
        d.error = status;
        d.content = std::string(text);
        {
            std::lock_guard lock(mutex);
            d.session_id = session_id.empty() ? message->session_id : session_id;
            d.space_id = space_id.empty() ? message->space_id : space_id;
        }
        return finish(d);
    }
    void token(std::string_view chunk, const std::string& turn_session_id, const std::string& turn_space_id) {
        std::lock_guard lock(mutex);
        if (finished || cancelled.load()) return;
        Delivery d;
        d.kind = OXIOS_DELIVERY_TOKEN;
        d.message = message;
        d.content = std::string(chunk);
        d.session_id = turn_session_id;
        d.space_id = turn_space_id;
        try {
            sink(d);
        } catch (...) {
        }
    }
    std::pair<Status, std::string> cancel_info() {
        std::lock_guard lock(mutex);
        return {cancel_status, cancel_reason};
    }
};

Gateway::Gateway(Options options, std::shared_ptr<Engine> engine, Services services)
    : options_(std::move(options)), engine_(std::move(engine)), services_(std::move(services)) {
    if (options_.queue_capacity == 0) options_.queue_capacity = 1;
    if (options_.max_concurrent == 0) options_.max_concurrent = 1;
    if (!options_.reply_timeout_ms) options_.reply_timeout_ms = [] { return uint64_t{120'000}; };
    if (!options_.now_us) options_.now_us = clock::now_us;
    for (size_t i = 0; i < options_.max_concurrent; ++i) workers_.emplace_back([this] { worker_loop(); });
    reaper_ = std::thread([this] { reaper_loop(); });
}

Gateway::~Gateway() { shutdown(0); }

Status Gateway::submit(ChatMessage message, DeliverySink sink) {
    return admit(std::move(message), std::move(sink), false);
}

Status Gateway::call(ChatMessage message, DeliverySink sink) {
    return admit(std::move(message), std::move(sink), true);
}

Status Gateway::admit(ChatMessage message, DeliverySink sink, bool may_run_here) {
    auto job = std::make_shared<Job>();
    job->message = std::make_shared<const ChatMessage>(std::move(message));
    job->sink = std::move(sink);
    job->totals = &totals_;
    job->created_us = options_.now_us();
    const uint64_t timeout_ms = std::max<uint64_t>(options_.reply_timeout_ms(), 1);
    job->timeout_secs = (timeout_ms + 999) / 1000;
    bool wake_reaper = false;
    bool run_here = false;
    {
        std::lock_guard lock(mutex_);
        if (!accepting_) return OXIOS_E_CLOSED;
        // A caller that would only wait for a worker serves its message
        // itself when a slot is free and nobody is queued before it: two
        // thread hand-offs fewer, same limits, deadline and cancellation.
        run_here = may_run_here && queue_.empty() && in_flight_ < options_.max_concurrent;
        if (!run_here && queue_.size() >= options_.queue_capacity) return OXIOS_E_BUSY;
        job->key = next_key_++;
        if (run_here) {
            ++in_flight_;
            job->started_us = job->created_us;
        } else {
            queue_.push_back(job);
        }
        live_.emplace(job->key, job);
        job->deadline = deadlines_.emplace(Clock::now() + std::chrono::milliseconds(timeout_ms), job);
        job->has_deadline = true;
        wake_reaper = job->deadline->first < reaper_wakes_at_;
    }
    if (wake_reaper) reaper_cv_.notify_one();
    if (run_here) {
        run(job);
    } else {
        work_cv_.notify_one();
    }
    return OXIOS_OK;
}

void Gateway::cancel_connection(uint64_t connection) {
    if (connection == 0) return;
    {
        std::lock_guard lock(mutex_);
        for (auto& [key, job] : live_) {
            if (job->message->connection != connection) continue;
            job->cancel(OXIOS_E_CLOSED, "cancelled: connection closed");
            auto it = std::find(queue_.begin(), queue_.end(), job);
            if (it != queue_.end()) {
                queue_.erase(it);
                to_fail_.push_back(job);  // the reaper delivers its ERROR
            }
        }
    }
    reaper_cv_.notify_one();
}

size_t Gateway::queue_depth() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
}

size_t Gateway::in_flight() const {
    std::lock_guard lock(mutex_);
    return in_flight_;
}

Gateway::Snapshot Gateway::snapshot(size_t cap) const {
    auto view = [](const Job& job) {
        TaskView t;
        t.message = job.message;
        t.created_us = job.created_us;
        t.started_us = job.started_us;
        t.session_id = job.shown_session.empty() ? job.message->session_id : job.shown_session;
        t.agent_id = job.shown_agent;
        return t;
    };
    Snapshot out;
    out.max_concurrent = options_.max_concurrent;
    out.queue_capacity = options_.queue_capacity;
    out.completed_total = totals_.replies.load();
    out.failed_total = totals_.errors.load();
    {
        std::lock_guard lock(mutex_);
        out.queue_depth = queue_.size();
        out.in_flight = in_flight_;
        for (size_t i = 0; i < queue_.size() && i < cap; ++i) out.queued.push_back(view(*queue_[i]));
        if (cap > 0)
            for (const auto& [key, job] : live_)
                if (job->started_us != 0) out.running.push_back(view(*job));
    }
    std::sort(out.running.begin(), out.running.end(),
              [](const TaskView& a, const TaskView& b) { return a.started_us < b.started_us; });
    if (out.running.size() > cap) out.running.resize(cap);
    return out;
}

void Gateway::forget(const std::shared_ptr<Job>& job) {
    std::lock_guard lock(mutex_);
    live_.erase(job->key);
    if (job->has_deadline) {
        deadlines_.erase(job->deadline);
        job->has_deadline = false;
    }
}

void Gateway::worker_loop() {
    for (;;) {
        std::shared_ptr<Job> job;
        {
            std::unique_lock lock(mutex_);
            // Callers serving their own message (call()) hold slots too.
            work_cv_.wait(lock,
                          [this] { return stopping_ || (!queue_.empty() && in_flight_ < options_.max_concurrent); });
            if (queue_.empty()) return;  // stopping (shutdown empties the queue first)
            job = std::move(queue_.front());
            queue_.pop_front();
            ++in_flight_;
            job->started_us = options_.now_us();
        }
        run(job);
    }
}

void Gateway::run(const std::shared_ptr<Job>& job) {
    // The slot is given back even when serve() throws (on a caller's thread
    // the exception reaches the caller; on a worker it would end the process).
    struct Slot {
        Gateway& gateway;
        const std::shared_ptr<Job>& job;
        ~Slot() { gateway.release(job); }
    } slot{*this, job};
    serve(job);
}

void Gateway::release(const std::shared_ptr<Job>& job) {
    forget(job);
    bool queued = false;
    {
        std::lock_guard lock(mutex_);
        --in_flight_;
        queued = !queue_.empty();
    }
    if (queued) work_cv_.notify_one();  // a slot is free for a queued message
    idle_cv_.notify_all();
}

void Gateway::serve(const std::shared_ptr<Job>& job) {
    const auto started = Clock::now();
    const ChatMessage& msg = *job->message;
    if (job->cancelled.load()) {
        auto [status, reason] = job->cancel_info();
        job->fail(status, reason);
        return;
    }
    if (services_.admit) {
        if (const std::string refusal = services_.admit(msg); !refusal.empty()) {
            job->fail(OXIOS_E_DENIED, refusal);
            return;
        }
    }
    std::string agent_id;
    if (services_.agents != nullptr) {
        std::weak_ptr<Job> weak = job;
        agent_id = services_.agents->start("chat-" + engine_->name(), "", [weak] {
            if (auto j = weak.lock()) j->cancel(OXIOS_E_UPSTREAM, "agent killed");
        });
    }
    EngineRequest request;
    request.message = job->message;
    request.cancelled = &job->cancelled;
    Delivery d;
    d.agent_id = agent_id;
    Status failed = OXIOS_OK;
    std::string error;

    if (!msg.session_id.empty() && !valid_id(msg.session_id)) {
        failed = OXIOS_E_INVALID;
        error = "invalid session id";
    } else {
        request.session_id = msg.session_id.empty() ? uuid_v4() : msg.session_id;
    }
    const bool with_space = failed == OXIOS_OK && !msg.no_space;  // host-initiated chats have none
    if (with_space && services_.spaces != nullptr &&
        services_.spaces->resolve_for_chat(msg.space_id, request.space_id) != OXIOS_OK) {
        failed = OXIOS_E_INVALID;
        error = "invalid space id";
    } else if (with_space && services_.spaces == nullptr) {
        request.space_id = msg.space_id;
    }
    if (services_.publish) {
        rapidjson::Document f(rapidjson::kObjectType);
        auto& a = f.GetAllocator();
        f.AddMember("message_id", json::str(msg.id, a), a);
        f.AddMember("session_id", json::str(request.session_id, a), a);
        f.AddMember("user_id", json::str(msg.user_id, a), a);
        f.AddMember("content", json::str(msg.content, a), a);
        if (!request.space_id.empty()) f.AddMember("space_id", json::str(request.space_id, a), a);
        services_.publish("message_received", f);
    }

    {
        std::lock_guard lock(job->mutex);
        job->session_id = request.session_id;
        job->space_id = request.space_id;
    }
    {
        std::lock_guard lock(mutex_);
        job->shown_session = request.session_id;
        job->shown_agent = agent_id;
    }
    EngineReply reply;
    const bool reaches_engine = failed == OXIOS_OK;
    if (reaches_engine) {
        const std::string sid = request.session_id, spid = request.space_id;
        request.emit_token = [job, sid, spid](std::string_view chunk) { job->token(chunk, sid, spid); };
        try {
            reply = engine_->run(request);
        } catch (const std::exception& e) {
            reply.status = OXIOS_E_UPSTREAM;
            reply.error = std::string("engine failed: ") + e.what();
        } catch (...) {
            reply.status = OXIOS_E_UPSTREAM;
            reply.error = "engine failed";
        }
        if (job->cancelled.load()) {
            std::tie(failed, error) = job->cancel_info();
        } else if (reply.status != OXIOS_OK) {
            failed = reply.status;
            error = reply.error.empty() ? "engine failed" : reply.error;
        }
    }

    d.session_id = request.session_id.empty() ? msg.session_id : request.session_id;
    d.space_id = request.space_id;
    d.duration_ms =
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
    if (failed != OXIOS_OK) {
        d.kind = OXIOS_DELIVERY_ERROR;
        d.error = failed;
        d.content = error;
    } else {
        d.kind = OXIOS_DELIVERY_REPLY;
        d.content = std::move(reply.content);
        d.phase = reply.phase;
        d.seed_id = reply.seed_id;
        d.space_tag = reply.space_tag;
        d.evaluation_passed = reply.evaluation_passed;
        d.prompt_tokens = reply.prompt_tokens;
        d.completion_tokens = reply.completion_tokens;
        if (services_.spaces != nullptr && !d.space_id.empty()) services_.spaces->record_interaction(d.space_id);
    }
    const auto meter = [&](bool delivered) {
        if (reaches_engine && services_.meter) services_.meter(msg, reply, d, delivered);
    };
    const bool delivered = job->finish(d, [&] { meter(true); });
    if (!delivered) meter(false);
    if (!delivered && failed == OXIOS_OK) {  // the timeout (or a cancel) answered first
        std::tie(failed, error) = job->cancel_info();
        if (failed == OXIOS_OK) failed = OXIOS_E_TIMEOUT;
    }
    if (services_.agents != nullptr) services_.agents->finish(agent_id, failed == OXIOS_OK, error);
}

void Gateway::reaper_loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (stopping_ && to_fail_.empty()) return;
        std::vector<std::shared_ptr<Job>> fail_now;
        fail_now.swap(to_fail_);
        std::vector<std::pair<std::shared_ptr<Job>, bool>> expired;  // (job, was still queued)
        const auto now = Clock::now();
        while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
            if (auto job = deadlines_.begin()->second.lock()) {
                job->has_deadline = false;
                auto it = std::find(queue_.begin(), queue_.end(), job);
                const bool queued = it != queue_.end();
                if (queued) queue_.erase(it);  // it never reaches a worker
                expired.emplace_back(std::move(job), queued);
            }
            deadlines_.erase(deadlines_.begin());
        }
        if (!fail_now.empty() || !expired.empty()) {
            lock.unlock();
            for (auto& job : fail_now) {
                auto [status, reason] = job->cancel_info();
                job->fail(status, reason);
                forget(job);
            }
            for (auto& [job, queued] : expired) {
                const std::string text = "no reply within " + std::to_string(job->timeout_secs) + " s";
                job->cancel(OXIOS_E_TIMEOUT, text);
                job->fail(OXIOS_E_TIMEOUT, text);
                if (queued) forget(job);
            }
            lock.lock();
            continue;
        }
        // A message submitted from now on is due no earlier than now + the
        // reply timeout, so the reaper needs no wake-up for it unless the
        // timeout was lowered (submit compares with reaper_wakes_at_).
        const auto soonest_new = now + std::chrono::milliseconds(std::max<uint64_t>(options_.reply_timeout_ms(), 1));
        reaper_wakes_at_ = deadlines_.empty() ? soonest_new : std::min(deadlines_.begin()->first, soonest_new);
        reaper_cv_.wait_until(lock, reaper_wakes_at_);
    }
}

bool Gateway::drain(uint32_t deadline_ms) {
    std::unique_lock lock(mutex_);
    accepting_ = false;
    return idle_cv_.wait_for(lock, std::chrono::milliseconds(deadline_ms),
                             [this] { return in_flight_ == 0 && queue_.empty(); });
}

void Gateway::shutdown(uint32_t deadline_ms) {
    std::lock_guard shutdown_lock(shutdown_mutex_);
    std::vector<std::shared_ptr<Job>> queued;
    {
        std::lock_guard lock(mutex_);
        if (!accepting_ && workers_.empty()) return;
        accepting_ = false;
        queued.assign(queue_.begin(), queue_.end());
        queue_.clear();
    }
    for (auto& job : queued) {
        job->cancel(OXIOS_E_CLOSED, "host shutting down");
        job->fail(OXIOS_E_CLOSED, "host shutting down");
        forget(job);
    }
    {
        std::unique_lock lock(mutex_);
        idle_cv_.wait_for(lock, std::chrono::milliseconds(deadline_ms), [this] { return in_flight_ == 0; });
        for (auto& [key, job] : live_) job->cancel(OXIOS_E_CLOSED, "host shutting down");
        std::vector<std::shared_ptr<Job>> running;
        for (auto& [key, job] : live_) running.push_back(job);
        lock.unlock();
        for (auto& job : running) job->fail(OXIOS_E_CLOSED, "host shutting down");
        lock.lock();
        stopping_ = true;
    }
    work_cv_.notify_all();
    reaper_cv_.notify_all();
    for (auto& t : workers_)
        if (t.joinable()) t.join();
    workers_.clear();
    if (reaper_.joinable()) reaper_.join();
    // Callers serving their own message (call()) leave too before the
    // gateway may go: their engine stops on the cancellation above.
    std::unique_lock lock(mutex_);
    idle_cv_.wait(lock, [this] { return in_flight_ == 0; });
}

}  // namespace oxios::kernel
