#include "store/state_store.hpp"

#include "file_session_store.hpp"
#include "store/file_record_store.hpp"
#include "store/pg_pool.hpp"
#include "store/pg_record_store.hpp"
#include "store/pg_schema.hpp"
#include "store/pg_session_store.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace oxios::kernel {

std::string postgres_url(const Config& config) {
    if (config.get_string("state_store.backend", "files") != "postgres") return {};
    const char* env = std::getenv("OXIOS_PG_URL");
    if (env != nullptr && *env != '\0') return env;
    return config.get_string("state_store.postgres.url", "");
}

StateStore open_state_store(const Config& config, const std::string& workspace, std::function<int64_t()> now_us,
                            UnreadableFiles* unreadable) {
    StateStore store;
    store.backend = config.get_string("state_store.backend", "files");
    if (store.backend != "postgres") {
        store.backend = "files";
        store.sessions =
            std::make_unique<FileSessionStore>(std::filesystem::path(workspace) / "sessions", now_us, unreadable);
        store.records = std::make_unique<FileRecordStore>(workspace, std::move(now_us), unreadable);
        store.duty = sole_host_duty();
        return store;
    }
    const std::string url = postgres_url(config);
    if (url.empty())
        throw StoreOpenError(
            "state_store.backend is \"postgres\" but neither state_store.postgres.url "
            "nor OXIOS_PG_URL gives a connection string");
    const auto pool_size = static_cast<size_t>(config.get_int("state_store.postgres.pool_size", 8));
    try {
        store.pool = std::make_shared<pg::Pool>(url, pool_size);
        int applied = store.pool->run([](pg::Connection& c) { return pg::migrate(c); });
        std::fprintf(stderr, "[info] state store: postgres %s, schema version %d%s\n", store.pool->target().c_str(),
                     pg::latest_schema_version(), applied > 0 ? " (migrated now)" : "");
    } catch (const pg::Error& e) {
        throw StoreOpenError(std::string("state store: ") + e.what());
    }
    store.sessions = std::make_unique<PgSessionStore>(store.pool, std::move(now_us));
    store.records = std::make_unique<PgRecordStore>(store.pool);
    store.duty = pg_duty_lock(url);
    return store;
}

}  // namespace oxios::kernel
