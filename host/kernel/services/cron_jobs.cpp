// The cron.* operations on jobs: list, get, create, update, delete, trigger
// (the scheduler and runs are in cron_service.cpp).
#include "infra/clock.hpp"
#include "infra/json_util.hpp"
#include "infra/uuid.hpp"
#include "services/cron_service.hpp"
#include "services/cron_store.hpp"
#include "services/service_error.hpp"

#include <algorithm>

namespace oxios::kernel::services {

namespace {

// parse_checked with the error as a 400 (INVALID).
std::string checked_schedule(const std::string& text, int64_t now_us, cron::Zone zone) {
    try {
        return cron::parse_checked(text, now_us / 1'000'000, zone).text;
    } catch (const cron::ScheduleError& e) {
        fail(OXIOS_E_INVALID, e.what());
    }
}

}  // namespace

std::string CronService::list_json() {
    std::lock_guard lock(mutex_);
    json::Builder b;
    b.begin_object().key("jobs").begin_array();
    for (const auto& e : jobs_) cron_store::write_job(b, e.job, e.run != nullptr && e.run->started && !e.run->done);
    b.end_array().end_object();
    return b.str();
}

std::string CronService::get_json(const std::string& id) {
    std::lock_guard lock(mutex_);
    return job_json_locked(require_locked(id));
}

std::string CronService::create_job(const std::string& name, const std::string& schedule, const std::string& command,
                                    bool enabled) {
    const CronSettings s = deps_.settings();
    const int64_t now_us = deps_.now_us();
    CronJob job;
    job.id = uuid_v4();
    job.name = name;
    job.schedule = checked_schedule(schedule, now_us, s.zone);
    job.command = command;
    job.enabled = enabled;
    job.created_us = job.updated_us = now_us;
    if (enabled) job.next_run_secs = next_after_locked(job, now_us / 1'000'000, s);
    std::lock_guard lock(mutex_);
    commit_locked([&] {
        if (static_cast<int64_t>(jobs_.size()) >= s.max_jobs) fail(OXIOS_E_CONFLICT, "too many cron jobs");
        jobs_.push_back(Entry{job, nullptr});
    });
    const Entry& created = require_locked(job.id);
    publish_job("cron_job_created", created.job);
    return job_json_locked(created);
}

std::string CronService::update_job(const std::string& id, const Update& u) {
    const CronSettings s = deps_.settings();
    const int64_t now_us = deps_.now_us();
    std::optional<std::string> schedule;
    if (u.schedule) schedule = checked_schedule(*u.schedule, now_us, s.zone);
    std::lock_guard lock(mutex_);
    commit_locked([&] {
        CronJob& j = require_locked(id).job;
        const bool was_enabled = j.enabled;
        const std::string old_schedule = j.schedule;
        if (u.name) j.name = *u.name;
        if (u.command) j.command = *u.command;
        if (schedule) j.schedule = *schedule;
        if (u.enabled) j.enabled = *u.enabled;
        // Enabling or a new schedule: computed from now, no catch-up. Disabling:
        // none (a run in flight finishes).
        if (!j.enabled)
            j.next_run_secs.reset();
        else if (!was_enabled || j.schedule != old_schedule)
            j.next_run_secs = next_after_locked(j, now_us / 1'000'000, s);
        j.updated_us = now_us;
    });
    const CronJob& saved = require_locked(id).job;
    publish_job("cron_job_updated", saved,
                [&](json::Builder& b) { b.field("enabled", saved.enabled).field("schedule", saved.schedule); });
    return job_json_locked(require_locked(id));
}

void CronService::delete_job(const std::string& id) {
    CronJob gone;
    {
        std::lock_guard lock(mutex_);
        std::shared_ptr<Run> run;
        commit_locked([&] {
            Entry& e = require_locked(id);
            gone = e.job;
            run = e.run;
            jobs_.erase(jobs_.begin() + (&e - jobs_.data()));
        });
        if (run && !run->started) {  // waiting for a slot: never starts
            run->done = true;
            run->outcome = CronOutcome{false, "cron job deleted", 0};
        }
        publish_job("cron_job_deleted", gone);
    }
    done_cv_.notify_all();
}

CronService::Triggered CronService::trigger(const std::string& id, bool wait) {
    std::shared_ptr<Run> run;
    std::vector<Launch> launches;
    {
        std::lock_guard lock(mutex_);
        Entry& e = require_locked(id);
        if (e.run) fail(OXIOS_E_CONFLICT, "cron job is already running");
        if (stopping_) fail(OXIOS_E_BUSY, "host stopping");
        run = enqueue_locked(e, "manual");
        launches = take_ready_locked();
    }
    launch(launches);
    Triggered t{"cron-" + id, run->message_id, std::nullopt};
    std::unique_lock lock(mutex_);
    // The gateway refused the run at once: 503 as POST /api/chat answers.
    if (run->done && !run->outcome.success && run->outcome.summary == "gateway busy")
        fail(OXIOS_E_BUSY, "gateway busy");
    if (!wait) return t;
    done_cv_.wait(lock, [&] { return run->done; });
    if (!run->outcome.success && run->outcome.summary == "host stopping") fail(OXIOS_E_BUSY, "host stopping");
    t.outcome = run->outcome;
    return t;
}

}  // namespace oxios::kernel::services
