// The PostgreSQL backend of the session store (session_store.hpp): a
// `sessions` row per session, holding a head snapshot of the document, and
// an append-only `exchanges` table after it. An append is one transaction in
// one round trip (oxios_append_exchange, store/pg_schema.cpp); acknowledged
// means committed. Documents are assembled from the rows with the same code
// as the files backend, so the JSON is the same. Nothing is cached: every
// host of a cluster sees every commit at once.
#pragma once

#include "session_store.hpp"
#include "store/pg_pool.hpp"

#include <atomic>
#include <functional>
#include <memory>

namespace oxios::kernel {

class PgSessionStore final : public SessionStore {
public:
    PgSessionStore(std::shared_ptr<pg::Pool> pool, std::function<int64_t()> now_us);

    Result get(std::string_view id) override;
    Status append(const oxios_exchange& ex) override;
    Result list(uint32_t page, uint32_t limit) const override;
    Status remove(std::string_view id) override;
    Result prune(bool force, int64_t max_sessions, int64_t ttl_hours) override;
    void flush() override {}  // every acknowledged exchange is committed
    size_t count() const override;
    bool healthy(std::string& detail) const override;
    Result export_file(std::string_view id) override;
    Status import_file(std::string_view id, std::string_view text) override;

private:
    Result read(std::string_view id, bool api);  // get() / export_file()

    std::shared_ptr<pg::Pool> pool_;
    std::function<int64_t()> now_us_;
    std::atomic<int64_t> last_prune_us_{0};
    mutable std::atomic<size_t> last_count_{0};
};

}  // namespace oxios::kernel
