// Which host runs the cluster's once-only duties (scheduled cron fires, the
// hourly session prune, the event log's retention) when several hosts share
// one PostgreSQL store: the one holding a session-level advisory lock on a
// connection of its own. With the files backend there is one host, always
// on duty.
#pragma once

#include <chrono>
#include <memory>
#include <string>

namespace oxios::kernel {

class DutyLock {
public:
    virtual ~DutyLock() = default;
    // Thread-safe, never blocks. After the holder's connection is lost it
    // can read true for up to one check interval while another host already
    // holds the lock: duties must be safe to run twice in that window.
    virtual bool held() const = 0;
};

// The files backend: this host is the only one.
std::unique_ptr<DutyLock> sole_host_duty();

// Tries pg_try_advisory_lock on its own connection every `check_every`
// (and checks the connection while holding it), reconnecting with the
// pool's backoff. Never throws; an unreachable server means not held.
std::unique_ptr<DutyLock> pg_duty_lock(std::string url,
                                       std::chrono::milliseconds check_every = std::chrono::seconds(1));

}  // namespace oxios::kernel
