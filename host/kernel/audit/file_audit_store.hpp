// The audit log's files backend: <workspace>/.oxios/audit/audit.jsonl,
// appended with O_APPEND whole lines, fdatasync'ed in batches within a
// second; rotated to audit.<first>-<last>.jsonl at max_file_bytes. At open an
// incomplete last line (never acknowledged) is cut off and logged.
#pragma once

#include "audit/audit_store.hpp"

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace oxios::kernel::audit {

class FileAuditStore : public AuditStore {
public:
    // `max_file_bytes` is read at each append (the live config).
    FileAuditStore(std::filesystem::path dir, std::function<uint64_t()> max_file_bytes);
    ~FileAuditStore() override;
    FileAuditStore(const FileAuditStore&) = delete;
    FileAuditStore& operator=(const FileAuditStore&) = delete;

    std::string last_line() override;
    std::string append(const MakeLine& make) override;
    void scan(uint64_t from_seq, uint64_t to_seq, const std::function<bool(std::string_view)>& fn) override;
    void flush() override;

private:
    struct Rotated {
        uint64_t first, last;
        std::filesystem::path path;
    };
    void open_current();
    void rotate_locked();
    void flusher();

    std::filesystem::path dir_, current_;
    std::function<uint64_t()> max_file_bytes_;
    std::mutex mutex_;
    std::condition_variable wake_;
    int fd_ = -1;
    uint64_t size_ = 0, first_seq_ = 0, last_seq_ = 0;  // of the current file (0: empty)
    std::string last_line_;
    std::vector<Rotated> rotated_;  // oldest first
    bool dirty_ = false, stopping_ = false;
    std::thread flusher_;
};

}  // namespace oxios::kernel::audit
