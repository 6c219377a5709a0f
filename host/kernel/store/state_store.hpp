// Opens the state store the config names: state_store.backend "files" (the
// default: the workspace's sessions/ directory) or "postgres"
// (state_store.postgres.url, overridden by OXIOS_PG_URL; the schema is
// migrated on open). Every stateful service gets its backend from here.
#pragma once

#include "config/config.hpp"
#include "infra/unreadable_files.hpp"
#include "session_store.hpp"
#include "store/duty_lock.hpp"
#include "store/record_store.hpp"

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace oxios::kernel {

namespace pg {
class Pool;
}

// The store cannot be opened at start: the host says why and exits 2.
class StoreOpenError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct StateStore {
    std::string backend;             // "files" | "postgres"
    std::shared_ptr<pg::Pool> pool;  // postgres only
    std::unique_ptr<SessionStore> sessions;
    std::unique_ptr<RecordStore> records;
    std::unique_ptr<DutyLock> duty;  // whether this host runs the once-only duties
};

// The PostgreSQL URL in effect ("" with the files backend).
std::string postgres_url(const Config& config);

// Throws StoreOpenError naming what failed (never the password).
StateStore open_state_store(const Config& config, const std::string& workspace, std::function<int64_t()> now_us,
                            UnreadableFiles* unreadable);

}  // namespace oxios::kernel
