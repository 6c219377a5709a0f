// Where the audit log's lines live (docs/api-operator.md, "Security"): append-only,
// stored verbatim so the chain verifies over the stored bytes. The files
// backend is file_audit_store.hpp, the PostgreSQL one pg_audit_store.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace oxios::kernel::audit {

class AuditStore {
public:
    // Builds the whole line (ending "\n") of entry `seq` chained after `prev_hash`.
    using MakeLine = std::function<std::string(uint64_t seq, std::string_view prev_hash)>;

    virtual ~AuditStore() = default;
    // The last stored entry's line ("" when the log is empty).
    virtual std::string last_line() = 0;
    // Appends the entry after the stored head (the cluster's, on PostgreSQL):
    // make(head seq + 1, head hash), with no other append in between; returns
    // the line stored. Throws on failure: nothing stored.
    virtual std::string append(const MakeLine& make) = 0;
    // Calls fn with every stored line, oldest first, skipping what cannot hold
    // seqs in [from_seq, to_seq]; fn returns false to stop.
    virtual void scan(uint64_t from_seq, uint64_t to_seq, const std::function<bool(std::string_view)>& fn) = 0;
    // Makes every appended line durable now.
    virtual void flush() = 0;
    // Other hosts append too: the newest entries are read from the store,
    // not from this process's memory of what it appended.
    virtual bool shared() const { return false; }
};

}  // namespace oxios::kernel::audit
