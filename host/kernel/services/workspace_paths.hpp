// Resolution of a client-supplied relative path inside the workspace, with
// containment checked before anything touches the filesystem.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace oxios::kernel::services::workspace_paths {

struct Resolved {
    std::filesystem::path real;  // absolute, every existing symlink resolved
    std::string relative;        // the request path, normalised ("" = root)
    bool exists = false;         // every component of `real` exists
};

// Resolves `relative` against `root` (absolute and canonical: no symlinks).
// Throws ServiceError(OXIOS_E_DENIED, "path traversal denied") when:
//  - the path holds a NUL byte or is absolute;
//  - a `..` component climbs above the root (lexically, before any lookup);
//  - following the symlinks met along the path (any component, the last one
//    included, dangling ones too) leads outside the root, or loops.
// Components that do not exist yet are appended lexically; since they do not
// exist they cannot be symlinks, so creating them under `real` stays inside.
// Only reads the filesystem (lstat, readlink).
Resolved resolve(const std::filesystem::path& root, std::string_view relative);

// One entry of a directory listing (workspace and vault trees).
struct Entry {
    std::string name;
    bool is_dir = false;
    uint64_t size = 0;  // regular files only; 0 otherwise
};
// The entries of `dir` (resolved under `root`; NOT_FOUND "directory not
// found" when it is not a directory), directories first, then by name
// (bytes). A symlink is described by its target only when that stays inside
// `root`, else as an empty non-directory.
// `skip_dot_names` leaves out names starting with `.` (the vault's tree).
std::vector<Entry> list_dir(const std::filesystem::path& root, const Resolved& dir, bool skip_dot_names = false);
// [{"name","is_dir","size"}] of a listing.
std::string entries_json(const std::vector<Entry>& entries);

// True when `path` is `root` or lies below it (both absolute and normal).
bool is_within(const std::filesystem::path& root, const std::filesystem::path& path);

}  // namespace oxios::kernel::services::workspace_paths
