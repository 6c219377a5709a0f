// Workspace files the host skipped because it could not read or parse them
// (a session, space, seed, skill or memory entry). They are left untouched
// and listed by GET /health/ready (components.workspace) until read again.
#pragma once

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

namespace oxios::kernel {

class UnreadableFiles {
public:
    explicit UnreadableFiles(std::filesystem::path root = {}) : root_(std::move(root)) {}

    struct Entry {
        std::string path;  // relative to the workspace when under it
        std::string reason;
    };

    // Records a skipped file; logs it once per path and reason.
    void report(const std::filesystem::path& file, const std::string& reason);
    // The file was read after all (fixed or replaced): no longer listed.
    void clear(const std::filesystem::path& file);
    std::vector<Entry> list() const;  // by path

private:
    std::string shown(const std::filesystem::path& file) const;

    std::filesystem::path root_;
    mutable std::mutex mutex_;
    std::vector<Entry> entries_;
};

// report()/clear() through a pointer that may be null (stores built without a
// registry log the skip only).
void report_unreadable(UnreadableFiles* files, const std::filesystem::path& file, const std::string& reason);
void clear_unreadable(UnreadableFiles* files, const std::filesystem::path& file);

}  // namespace oxios::kernel
