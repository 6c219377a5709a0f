#include "services/cron_service.hpp"

#include "infra/json_util.hpp"
#include "infra/uuid.hpp"
#include "services/cron_store.hpp"
#include "services/service_error.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace oxios::kernel::services {

namespace {
constexpr size_t kResultChars = 1000;
// The longest sleep: the wall clock is re-read at least this often (NTP steps).
constexpr int64_t kMaxSleepUs = 300'000'000;
}  // namespace

std::shared_ptr<CronService> CronService::create(Deps deps) {
    auto s = std::shared_ptr<CronService>(new CronService(std::move(deps)));
    s->load();
    return s;
}

CronService::CronService(Deps deps) : deps_(std::move(deps)) {
    if (!deps_.may_fire) deps_.may_fire = [] { return true; };
    if (!deps_.settings) deps_.settings = [] { return CronSettings{}; };
}

CronService::~CronService() { stop(); }

void CronService::load() {
    if (deps_.records == nullptr) return;
    if (const auto text = deps_.records->get_or_set_aside(cron_store::kCollection, cron_store::kKey))
        for (auto& job : cron_store::parse_document(*text)) jobs_.push_back(Entry{std::move(job), nullptr});
}

void CronService::reload() {
    if (deps_.records == nullptr) return;
    std::optional<std::string> text;
    try {
        text = deps_.records->get(cron_store::kCollection, cron_store::kKey);
    } catch (const std::exception&) {
        return;  // the store is out: keep our copy until the next event
    }
    std::vector<CronJob> stored;
    if (text) stored = cron_store::parse_document(*text);
    std::lock_guard lock(mutex_);
    jobs_ = merged_locked(std::move(stored), false);
    wake_cv_.notify_all();
}

// ------------------------------------------------------------ lifecycle ---
void CronService::start() {
    std::lock_guard lock(mutex_);
    if (started_ || stopping_) return;
    started_ = true;
    catch_up_locked(deps_.now_us(), deps_.settings());
    launch_later_ = take_ready_locked();
    thread_ = std::thread([this] { scheduler_loop(); });
}

void CronService::stop() {
    {
        std::unique_lock lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
        for (auto& l : waiting_) {
            l.run->done = true;
            l.run->outcome = CronOutcome{false, "host stopping", 0};
        }
        waiting_.clear();
        std::vector<Launch> in_flight;
        for (auto& e : jobs_)
            if (e.run && e.run->started && !e.run->done) in_flight.push_back(Launch{e.job.id, e.job.command, e.run});
        for (auto& l : in_flight) finish_locked(l, false, "host stopping");
        done_cv_.notify_all();
    }
    wake_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void CronService::wake() {
    std::lock_guard lock(mutex_);  // not lost while the thread is between reading the clock and waiting
    wake_cv_.notify_all();
}

// ------------------------------------------------------------ scheduling ---
std::optional<int64_t> CronService::next_after_locked(const CronJob& job, int64_t after_secs,
                                                      const CronSettings& s) const {
    try {
        return cron::next_fire(cron::parse(job.schedule), after_secs, s.zone);
    } catch (const cron::ScheduleError&) {
        return std::nullopt;  // a stored schedule edited by hand: the job never fires
    }
}

void CronService::catch_up_locked(int64_t now_us, const CronSettings& s) {
    const int64_t now = now_us / 1'000'000;
    const bool fire = s.enabled && deps_.may_fire();
    bool changed = false;
    for (auto& e : jobs_) {
        if (!e.job.enabled) {
            changed |= e.job.next_run_secs.has_value();
            e.job.next_run_secs.reset();
            continue;
        }
        const auto stored = e.job.next_run_secs;
        if (fire && stored && *stored <= now) {
            // Was a fire time missed within the grace period? Then run once.
            const int64_t from = std::max(*stored, now - s.missed_grace_secs) - 1;
            const auto latest = next_after_locked(e.job, from, s);
            if (latest && *latest <= now)
                enqueue_locked(e, "catch_up");
            else
                publish_job("cron_job_skipped", e.job, [](json::Builder& b) { b.field("reason", "missed"); });
        }
        e.job.next_run_secs = next_after_locked(e.job, now, s);
        changed |= e.job.next_run_secs != stored;
    }
    if (changed && fire) persist_logged_locked();
}

void CronService::scheduler_loop() {
    std::unique_lock lock(mutex_);
    std::vector<Launch> launches = std::move(launch_later_);
    while (true) {
        if (!launches.empty()) {
            lock.unlock();
            launch(launches);
            lock.lock();
        }
        launches.clear();
        if (stopping_) return;
        const int64_t now_us = deps_.now_us();
        const int64_t now = now_us / 1'000'000;
        std::optional<int64_t> earliest;
        std::optional<CronSettings> s;
        std::optional<bool> fire;
        bool changed = false;
        for (auto& e : jobs_) {
            if (!e.job.enabled || !e.job.next_run_secs) continue;
            if (*e.job.next_run_secs * 1'000'000 <= now_us) {
                if (!s) s = deps_.settings(), fire = s->enabled && deps_.may_fire();
                if (*fire && e.run)
                    publish_job("cron_job_skipped", e.job,
                                [](json::Builder& b) { b.field("reason", "still_running"); });
                else if (*fire)
                    enqueue_locked(e, "schedule");
                // The first fire time after both the fired time and now: no backlog.
                e.job.next_run_secs = next_after_locked(e.job, std::max(*e.job.next_run_secs, now), *s);
                changed = true;
            }
            if (e.job.next_run_secs && (!earliest || *e.job.next_run_secs < *earliest)) earliest = e.job.next_run_secs;
        }
        launches = take_ready_locked();
        if (!launches.empty()) continue;  // launch() writes the state file
        // Another host fires (and records) the runs when this one may not.
        if (changed && *fire) persist_logged_locked();
        if (!earliest) {
            wake_cv_.wait(lock);
            continue;
        }
        const int64_t wait_us = std::min(*earliest * 1'000'000 - deps_.now_us(), kMaxSleepUs);
        if (wait_us > 0) wake_cv_.wait_for(lock, std::chrono::microseconds(wait_us));
    }
}

std::shared_ptr<CronService::Run> CronService::enqueue_locked(Entry& e, std::string trigger) {
    auto run = std::make_shared<Run>();
    run->message_id = uuid_v4();
    run->trigger = std::move(trigger);
    e.run = run;
    waiting_.push_back(Launch{e.job.id, e.job.command, run});
    return run;
}

std::vector<CronService::Launch> CronService::take_ready_locked() {
    std::vector<Launch> out;
    if (stopping_) return out;
    const auto limit = static_cast<size_t>(std::max<int64_t>(1, deps_.settings().max_concurrent));
    while (running_ < limit && !waiting_.empty()) {
        Launch l = std::move(waiting_.front());
        waiting_.pop_front();
        Entry* e = find_locked(l.job_id);
        if (e == nullptr || e->run != l.run) continue;  // deleted while waiting
        ++running_;
        l.run->started = true;
        l.run->started_us = deps_.now_us();
        e->job.last_run_us = l.run->started_us;
        publish_job("cron_job_started", e->job, [&](json::Builder& b) {
            b.field("trigger", l.run->trigger)
                .field("session_id", "cron-" + l.job_id)
                .field("message_id", l.run->message_id);
        });
        out.push_back(std::move(l));
    }
    return out;
}

// --------------------------------------------------------------- runs ---
void CronService::launch(const std::vector<Launch>& launches) {
    const std::string user_id = deps_.settings().user_id;
    for (const auto& l : launches) {
        ChatMessage msg;
        msg.id = l.run->message_id;
        msg.content = l.command;
        msg.user_id = user_id;
        msg.session_id = "cron-" + l.job_id;
        msg.no_space = true;
        auto self = shared_from_this();
        const int64_t received_us = l.run->started_us;
        const Status s = deps_.submit(std::move(msg), [self, l, user_id, received_us](const Delivery& d) {
            if (d.kind == OXIOS_DELIVERY_REPLY) {
                // Stored in the job's session as POST /api/chat stores a web chat.
                const std::string sid = "cron-" + l.job_id;
                oxios_exchange ex{};
                ex.size = sizeof(ex);
                ex.evaluation_passed = d.evaluation_passed;
                ex.session_id = oxios_str{sid.data(), sid.size()};
                ex.user_id = oxios_str{user_id.data(), user_id.size()};
                ex.user_content = oxios_str{l.command.data(), l.command.size()};
                ex.reply_content = oxios_str{d.content.data(), d.content.size()};
                ex.seed_id = oxios_str{d.seed_id.data(), d.seed_id.size()};
                ex.phase = oxios_str{d.phase.data(), d.phase.size()};
                ex.user_time_us = received_us;
                ex.reply_time_us = self->deps_.now_us();
                if (const Status ps = self->deps_.append(ex); ps != OXIOS_OK)
                    std::fprintf(stderr, "[warn] cron: could not store the run of job %s in its session (status %d)\n",
                                 l.job_id.c_str(), static_cast<int>(ps));
                self->finish(l, true, d.content);
            } else if (d.kind == OXIOS_DELIVERY_ERROR) {
                self->finish(l, false, d.content.empty() ? "run failed" : d.content);
            }
        });
        if (s == OXIOS_E_BUSY)
            finish(l, false, "gateway busy");
        else if (s != OXIOS_OK)
            finish(l, false, "host stopping");
    }
    // The runs' start (last_run) is written once they are submitted, so that
    // the write does not delay them.
    if (!launches.empty()) {
        std::lock_guard lock(mutex_);
        persist_logged_locked();
    }
}

void CronService::finish(const Launch& l, bool success, const std::string& text) {
    std::vector<Launch> next;
    {
        std::lock_guard lock(mutex_);
        finish_locked(l, success, text);
        next = take_ready_locked();
    }
    done_cv_.notify_all();
    launch(next);
}

void CronService::finish_locked(const Launch& l, bool success, const std::string& text) {
    if (l.run->done) return;  // shutdown failed it already
    l.run->done = true;
    --running_;
    const int64_t duration_ms = std::max<int64_t>(0, (deps_.now_us() - l.run->started_us) / 1000);
    l.run->outcome = CronOutcome{success, cron_store::first_chars(text, kResultChars), duration_ms};
    Entry* e = find_locked(l.job_id);
    if (e == nullptr || e->run != l.run) return;  // deleted: finishes unrecorded
    e->run.reset();
    e->job.run_count += 1;
    e->job.last_success = success;
    e->job.last_result = l.run->outcome.summary;
    e->job.last_duration_ms = duration_ms;
    const std::string id = e->job.id;
    persist_logged_locked();  // rebuilds jobs_: e is gone
    e = find_locked(id);
    if (e == nullptr) return;  // deleted on another host meanwhile
    publish_job("cron_job_completed", e->job, [&](json::Builder& b) {
        b.field("success", success).field("duration_ms", duration_ms).field("run_count", e->job.run_count);
    });
}

// ---------------------------------------------------------------- state ---
CronService::Entry* CronService::find_locked(const std::string& id) {
    for (auto& e : jobs_)
        if (e.job.id == id) return &e;
    return nullptr;
}

CronService::Entry& CronService::require_locked(const std::string& id) {
    Entry* e = find_locked(id);
    if (e == nullptr) fail(OXIOS_E_NOT_FOUND, "cron job not found");
    return *e;
}

std::vector<CronService::Entry> CronService::merged_locked(std::vector<CronJob> stored, bool ours_ran) const {
    std::vector<Entry> next;
    for (auto& job : stored) {
        const auto mine = std::find_if(jobs_.begin(), jobs_.end(), [&](const Entry& e) { return e.job.id == job.id; });
        Entry e{std::move(job), nullptr};
        if (mine != jobs_.end()) {
            e.run = mine->run;  // a run here goes on
            if (ours_ran) {
                const CronJob& m = mine->job;
                e.job.last_run_us = m.last_run_us;
                e.job.next_run_secs = m.next_run_secs;
                e.job.run_count = m.run_count;
                e.job.last_result = m.last_result;
                e.job.last_success = m.last_success;
                e.job.last_duration_ms = m.last_duration_ms;
            }
        }
        next.push_back(std::move(e));
    }
    return next;
}

void CronService::write_locked(const std::function<void()>& change, bool ours_ran) {
    if (deps_.records == nullptr) return change();
    const std::vector<Entry> mine = jobs_;
    try {
        deps_.records->update(cron_store::kCollection, cron_store::kKey, [&](const std::optional<std::string>& text) {
            jobs_ = mine;
            jobs_ = merged_locked(text ? cron_store::parse_document(*text) : std::vector<CronJob>{}, ours_ran);
            change();
            std::vector<const CronJob*> jobs;
            for (const auto& e : jobs_) jobs.push_back(&e.job);
            return std::optional<std::string>(cron_store::document(jobs));
        });
    } catch (...) {
        jobs_ = mine;
        throw;
    }
}

void CronService::persist_logged_locked() {
    try {
        write_locked([] {}, true);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "[warn] cron: could not write .oxios/cron.json: %s\n", e.what());
    }
}

void CronService::commit_locked(const std::function<void()>& change) {
    try {
        write_locked(change, false);
    } catch (const ServiceError&) {
        throw;
    } catch (const StoreUnavailable&) {
        fail(OXIOS_E_BUSY, "state store unavailable");
    } catch (const std::exception& e) {
        fail(OXIOS_E_IO, std::string("could not write .oxios/cron.json: ") + e.what());
    }
    wake_cv_.notify_all();
}

void CronService::publish_job(std::string_view type, const CronJob& job,
                              const std::function<void(json::Builder&)>& extra) {
    if (!deps_.publish) return;
    json::Builder b;
    b.begin_object().field("job_id", job.id).field("name", job.name);
    if (extra) extra(b);
    b.end_object();
    deps_.publish(type, b.str());
}

std::string CronService::job_json_locked(const Entry& e) const {
    json::Builder b;
    cron_store::write_job(b, e.job, e.run != nullptr && e.run->started && !e.run->done);
    return b.str();
}

}  // namespace oxios::kernel::services
