#include "infra/unreadable_files.hpp"

#include <algorithm>
#include <cstdio>

namespace oxios::kernel {

namespace fs = std::filesystem;

std::string UnreadableFiles::shown(const fs::path& file) const {
    if (!root_.empty()) {
        const fs::path rel = file.lexically_relative(root_);
        if (!rel.empty() && *rel.begin() != "..") return rel.string();
    }
    return file.string();
}

void UnreadableFiles::report(const fs::path& file, const std::string& reason) {
    const std::string path = shown(file);
    {
        std::lock_guard lock(mutex_);
        auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.path == path; });
        if (it != entries_.end() && it->reason == reason) return;
        if (it != entries_.end())
            it->reason = reason;
        else
            entries_.insert(std::upper_bound(entries_.begin(), entries_.end(), path,
                                             [](const std::string& p, const Entry& e) { return p < e.path; }),
                            Entry{path, reason});
    }
    std::fprintf(stderr, "[warn] workspace: skipping %s (left as it is): %s\n", file.c_str(), reason.c_str());
}

void UnreadableFiles::clear(const fs::path& file) {
    const std::string path = shown(file);
    std::lock_guard lock(mutex_);
    std::erase_if(entries_, [&](const Entry& e) { return e.path == path; });
}

std::vector<UnreadableFiles::Entry> UnreadableFiles::list() const {
    std::lock_guard lock(mutex_);
    return entries_;
}

void report_unreadable(UnreadableFiles* files, const fs::path& file, const std::string& reason) {
    if (files != nullptr)
        files->report(file, reason);
    else
        std::fprintf(stderr, "[warn] workspace: skipping %s (left as it is): %s\n", file.c_str(), reason.c_str());
}

void clear_unreadable(UnreadableFiles* files, const fs::path& file) {
    if (files != nullptr) files->clear(file);
}

}  // namespace oxios::kernel
