#include "services/workspace_paths.hpp"

#include "infra/json_util.hpp"
#include "services/service_error.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <string>
#include <vector>

namespace oxios::kernel::services::workspace_paths {
namespace fs = std::filesystem;
namespace {

constexpr int kMaxSymlinkHops = 40;

[[noreturn]] void denied() { fail(OXIOS_E_DENIED, "path traversal denied"); }

std::vector<std::string> split(std::string_view path) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        if (end > start) parts.emplace_back(path.substr(start, end - start));
        start = end + 1;
    }
    return parts;
}

}  // namespace

bool is_within(const fs::path& root, const fs::path& path) {
    auto r = root.begin(), p = path.begin();
    for (; r != root.end(); ++r, ++p) {
        if (r->empty()) continue;  // trailing separator of root
        if (p == path.end() || *r != *p) return false;
    }
    return true;
}

std::vector<Entry> list_dir(const fs::path& root, const Resolved& dir, bool skip_dot_names) {
    struct stat st {};
    if (!dir.exists || ::stat(dir.real.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        fail(OXIOS_E_NOT_FOUND, "directory not found");
    std::vector<Entry> entries;
    std::error_code ec;
    for (fs::directory_iterator it(dir.real, ec), end; !ec && it != end; it.increment(ec)) {
        Entry e;
        e.name = it->path().filename().string();
        if (skip_dot_names && e.name.front() == '.') continue;
        struct stat est {};
        if (::lstat(it->path().c_str(), &est) != 0) continue;  // vanished meanwhile
        if (S_ISLNK(est.st_mode)) {
            // Describe the target only when it stays inside the root.
            std::string rel = dir.relative.empty() ? e.name : dir.relative + "/" + e.name;
            try {
                auto target = resolve(root, rel);
                if (!target.exists || ::stat(target.real.c_str(), &est) != 0) est = {};
            } catch (const ServiceError&) {
                est = {};
            }
        }
        e.is_dir = S_ISDIR(est.st_mode);
        e.size = S_ISREG(est.st_mode) ? static_cast<uint64_t>(est.st_size) : 0;
        entries.push_back(std::move(e));
    }
    if (ec) fail(OXIOS_E_IO, "cannot list directory: " + ec.message());
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        if (a.is_dir != b.is_dir) return a.is_dir;
        return a.name < b.name;
    });
    return entries;
}

std::string entries_json(const std::vector<Entry>& entries) {
    json::Builder out;
    out.begin_array();
    for (const auto& e : entries)
        out.begin_object().field("name", e.name).field("is_dir", e.is_dir).field("size", e.size).end_object();
    out.end_array();
    return out.str();
}

Resolved resolve(const fs::path& root, std::string_view relative) {
    if (relative.find('\0') != std::string_view::npos) denied();
    if (!relative.empty() && relative.front() == '/') denied();

    // 1. Lexical normalisation of the request: never above the root.
    std::vector<std::string> parts;
    for (auto& part : split(relative)) {
        if (part == ".") continue;
        if (part == "..") {
            if (parts.empty()) denied();
            parts.pop_back();
            continue;
        }
        parts.push_back(std::move(part));
    }
    Resolved out;
    for (const auto& part : parts) {
        if (!out.relative.empty()) out.relative += '/';
        out.relative += part;
    }

    // 2. Walk the components, following symlinks by hand.
    std::deque<std::string> pending(parts.begin(), parts.end());
    fs::path current = root;
    int hops = 0;
    while (!pending.empty()) {
        std::string part = std::move(pending.front());
        pending.pop_front();
        if (part == ".") continue;
        if (part == "..") {  // only from symlink targets; `current` is real here
            current = current.parent_path();
            continue;
        }
        fs::path next = current / part;
        struct stat st {};
        if (::lstat(next.c_str(), &st) != 0) {
            if (errno == ENOENT || errno == ENOTDIR) {  // appended lexically
                current = std::move(next);
                continue;
            }
            fail(OXIOS_E_IO, "cannot inspect " + out.relative + ": " + std::generic_category().message(errno));
        }
        if (S_ISLNK(st.st_mode)) {
            if (++hops > kMaxSymlinkHops) denied();
            std::error_code ec;
            fs::path target = fs::read_symlink(next, ec);
            if (ec) fail(OXIOS_E_IO, "cannot read link " + out.relative + ": " + ec.message());
            std::string target_text = target.string();
            if (target_text.find('\0') != std::string::npos) denied();
            if (target.is_absolute()) current = "/";
            auto target_parts = split(target_text);
            pending.insert(pending.begin(), target_parts.begin(), target_parts.end());
            continue;
        }
        current = std::move(next);
    }

    // 3. Containment of the real location.
    if (!is_within(root, current)) denied();
    struct stat st {};
    out.exists = ::lstat(current.c_str(), &st) == 0;
    out.real = std::move(current);
    return out;
}

}  // namespace oxios::kernel::services::workspace_paths
