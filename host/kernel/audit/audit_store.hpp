// Where the audit log's lines live (docs/api-operator.md, "Security"): append-only,
// stored verbatim so the chain verifies over the stored bytes. The files
// backend is file_audit_store.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace oxios::kernel::audit {

class AuditStore {
public:
    virtual ~AuditStore() = default;
    // The last stored entry's line ("" when the log is empty).
    virtual std::string last_line() = 0;
    // Appends one whole line (ending "\n") of entry `seq`; throws on failure.
    virtual void append(std::string_view line, uint64_t seq) = 0;
    // Calls fn with every stored line, oldest first, skipping what cannot hold
    // seqs in [from_seq, to_seq]; fn returns false to stop.
    virtual void scan(uint64_t from_seq, uint64_t to_seq, const std::function<bool(std::string_view)>& fn) = 0;
    // Makes every appended line durable now.
    virtual void flush() = 0;
};

}  // namespace oxios::kernel::audit
