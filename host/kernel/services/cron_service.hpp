// Cron jobs (docs/api-operator.md, "Cron jobs"): jobs kept in memory and written
// through the record store as .oxios/cron.json; one scheduler thread that
// sleeps on a condition variable until the earliest next_run; each run is a
// host-initiated chat through the gateway, stored in session cron-<id>.
#pragma once

#include "kernel.hpp"
#include "services/cron_expr.hpp"
#include "store/record_store.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace oxios::kernel::json {
class Builder;
}

namespace oxios::kernel::services {

struct CronSettings {
    bool enabled = true;
    cron::Zone zone = cron::Zone::local;
    int64_t max_concurrent = 3;
    int64_t missed_grace_secs = 3600;
    int64_t max_jobs = 100;
    std::string user_id = "cron";
};

struct CronJob {
    std::string id, name, schedule, command;
    bool enabled = true;
    std::optional<int64_t> last_run_us, next_run_secs;
    int64_t run_count = 0;
    std::optional<std::string> last_result;
    std::optional<bool> last_success;
    std::optional<int64_t> last_duration_ms;
    int64_t created_us = 0, updated_us = 0;
};

// What a finished run gives a caller that waited for it.
struct CronOutcome {
    bool success = false;
    std::string summary;  // the reply or the error, first 1,000 characters
    int64_t duration_ms = 0;
};

class CronService : public std::enable_shared_from_this<CronService> {
public:
    struct Deps {
        RecordStore* records = nullptr;
        std::function<uint64_t(std::string_view type, std::string_view fields)> publish;
        std::function<int64_t()> now_us;  // wall clock (a fake one in tests)
        std::function<CronSettings()> settings;
        std::function<Status(ChatMessage, DeliverySink)> submit;  // the gateway
        std::function<Status(const oxios_exchange&)> append;      // the session store
        // Whether this host fires scheduled runs (several hosts on one
        // PostgreSQL store: only the lock holder does). Manual triggers always run.
        std::function<bool()> may_fire;
    };
    struct Update {
        std::optional<std::string> name, schedule, command;
        std::optional<bool> enabled;
    };
    struct Triggered {
        std::string session_id, message_id;
        std::optional<CronOutcome> outcome;  // with wait
    };

    // Loads .oxios/cron.json (set aside when it does not parse).
    static std::shared_ptr<CronService> create(Deps deps);
    ~CronService();

    // Catch-up of runs missed while down, then the scheduler thread.
    void start();
    // Fails runs in flight ("host stopping"), joins the thread. Idempotent.
    void stop();
    // Makes the scheduler re-read the clock (a test's fake clock moved).
    void wake();
    // Another host of a cluster changed the jobs (its cron_job_* events):
    // takes the store's document; a run in flight here goes on.
    void reload();

    // JSON results of the cron.* methods; failures throw ServiceError.
    std::string list_json();
    std::string get_json(const std::string& id);
    std::string create_job(const std::string& name, const std::string& schedule, const std::string& command,
                           bool enabled);
    std::string update_job(const std::string& id, const Update& update);
    void delete_job(const std::string& id);
    Triggered trigger(const std::string& id, bool wait);

private:
    struct Run {
        std::string message_id, trigger;  // trigger: schedule | manual | catch_up
        int64_t started_us = 0;
        bool started = false, done = false;
        CronOutcome outcome;
    };
    struct Entry {
        CronJob job;
        std::shared_ptr<Run> run;  // waiting for a slot or running
    };
    struct Launch {
        std::string job_id, command;
        std::shared_ptr<Run> run;
    };

    explicit CronService(Deps deps);
    void load();
    void scheduler_loop();
    Entry* find_locked(const std::string& id);
    Entry& require_locked(const std::string& id);
    std::string job_json_locked(const Entry& e) const;
    // The stored jobs (what any host last wrote) with this host's runs; with
    // `ours_ran`, this host's run bookkeeping of each job too.
    std::vector<Entry> merged_locked(std::vector<CronJob> stored, bool ours_ran) const;
    // One atomic update of the stored document: jobs_ = merged_locked, then
    // change() edits jobs_ (may run twice), then it is written. On a throw
    // jobs_ is as it was. Throws StoreUnavailable / runtime_error / what change throws.
    void write_locked(const std::function<void()>& change, bool ours_ran);
    void persist_logged_locked();  // run bookkeeping (rebuilds jobs_); a failure is logged only
    void commit_locked(const std::function<void()>& change);  // a user's change: written or refused (503)
    std::shared_ptr<Run> enqueue_locked(Entry& e, std::string trigger);
    std::vector<Launch> take_ready_locked();
    void launch(const std::vector<Launch>& launches);
    void finish(const Launch& l, bool success, const std::string& text);
    void finish_locked(const Launch& l, bool success, const std::string& text);
    void catch_up_locked(int64_t now_us, const CronSettings& s);
    std::optional<int64_t> next_after_locked(const CronJob& job, int64_t after_secs, const CronSettings& s) const;
    void publish_job(std::string_view type, const CronJob& job, const std::function<void(json::Builder&)>& extra = {});

    Deps deps_;
    std::mutex mutex_;
    std::condition_variable wake_cv_;   // the scheduler: a change, a wake(), stop
    std::condition_variable done_cv_;   // trigger waiters: a run finished
    std::vector<Entry> jobs_;           // oldest first
    std::deque<Launch> waiting_;        // due runs waiting for a slot (FIFO)
    std::vector<Launch> launch_later_;  // catch-up runs, launched by the thread
    size_t running_ = 0;
    bool stopping_ = false, started_ = false;
    std::thread thread_;
};

}  // namespace oxios::kernel::services
