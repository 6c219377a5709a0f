// The audit log's PostgreSQL backend: one chain for the whole cluster.
// `audit_entries` holds each line verbatim by seq; `audit_head`'s one row
// (seq, hash of the last entry) is locked by every append until its commit,
// so hosts appending at once take turns and seq stays gapless. Committed is
// durable: flush() has nothing to do. No rotation (audit.max_file_bytes is
// the files backend's).
#pragma once

#include "audit/audit_store.hpp"
#include "store/pg_pool.hpp"

#include <memory>

namespace oxios::kernel::audit {

class PgAuditStore : public AuditStore {
public:
    explicit PgAuditStore(std::shared_ptr<pg::Pool> pool) : pool_(std::move(pool)) {}

    std::string last_line() override;
    std::string append(const MakeLine& make) override;
    // Reads in pages of kPage lines: never the whole table at once.
    void scan(uint64_t from_seq, uint64_t to_seq, const std::function<bool(std::string_view)>& fn) override;
    void flush() override {}
    bool shared() const override { return true; }

    static constexpr int kPage = 500;

private:
    std::shared_ptr<pg::Pool> pool_;
};

}  // namespace oxios::kernel::audit
