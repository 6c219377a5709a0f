// The audit log (docs/api-operator.md, "Security"): the recorder every service calls,
// the in-memory newest entries for /api/audit, ranges and verification over
// the store.
#pragma once

#include "audit/audit_chain.hpp"
#include "audit/audit_recorder.hpp"
#include "audit/audit_store.hpp"
#include "kernel.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

namespace oxios::kernel::audit {

struct Settings {
    bool enabled = true;
    uint64_t memory_entries = 10'000;
};

class AuditLog : public AuditRecorder {
public:
    struct Options {
        std::unique_ptr<AuditStore> store;
        std::function<Settings()> settings;
        std::function<uint64_t(std::string_view type, std::string_view fields)> publish;  // may be null
        std::function<int64_t()> now_us;
    };
    explicit AuditLog(Options options);

    void record(std::string_view actor, std::string_view action, std::string_view resource, bool allowed = true,
                std::optional<std::string_view> reason = std::nullopt, std::string_view metadata_json = "{}") override;
    // Like record, but says why an entry was refused (audit.record).
    Result record_checked(const rapidjson::Value& in);

    Result list(uint64_t page, uint64_t limit);  // newest first, over the memory
    Result entries(uint64_t from_seq, uint64_t to_seq);
    Result verify();
    void flush() { store_->flush(); }

private:
    struct Summary {
        uint64_t seq;
        std::string timestamp, actor, action, resource;
        bool allowed;
        std::optional<std::string> reason;
        std::string hash;
    };
    void remember(std::string_view line);
    static Summary summary_of(std::string_view line);
    void append(Fields f);

    Options options_;
    std::unique_ptr<AuditStore>& store_ = options_.store;
    std::mutex mutex_;            // guards memory_
    std::deque<Summary> memory_;  // the newest entries (not filled when the store is shared)
};

}  // namespace oxios::kernel::audit
