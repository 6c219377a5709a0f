// What the git service does with the repository, one job per file:
// git_history.cpp (log, one path's history, tags), git_restore.cpp (restore
// that only moves history forward), git_verify.cpp (object integrity).
// All run with the repository's lock held by GitService (verify opens its own).
#pragma once

#include "services/git_repo.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oxios::kernel::services::git {

// ------------------------------------------------------ git_history.cpp ---
// HEAD's first parents, newest first (empty when HEAD is unborn).
std::vector<CommitInfo> log(const GitRepo& repo, size_t limit);
// Commits among HEAD's first `scan` first parents whose tree differs from
// their first parent's at `path` (added, changed or deleted), newest first.
std::vector<CommitInfo> path_history(const GitRepo& repo, const std::string& path, size_t limit, size_t scan);
std::vector<std::string> tags(const GitRepo& repo);  // ascending
// A lightweight tag; ServiceError CONFLICT "tag exists".
void create_tag(const GitRepo& repo, const std::string& name, const git_oid& target);

// ------------------------------------------------------ git_restore.cpp ---
struct RestoreReport {
    std::string from;                     // the target commit
    std::string commit;                   // the restore commit (HEAD when nothing changed)
    std::optional<std::string> snapshot;  // the commit made first, if any
    std::optional<std::string> path;      // one-file restore
    uint64_t files_changed = 0;
};
// {"from","commit","snapshot","path","files_changed"} (the git_restored
// event), after {"status":"restored"} when `with_status` (git.restore).
std::string restore_json(const RestoreReport& report, bool with_status);
// A request's workspace-relative path for a one-file restore, normalised.
// ServiceError: DENIED "path traversal denied" / "path is reserved" (.git),
// INVALID "path must name a file", "path is too long", "path is not tracked"
// (excluded), "path goes through a symbolic link".
std::string checked_path(const GitRepo& repo, std::string_view path);
// docs/api-operator.md "Git", restore: snapshot, make the tracked tree the target's, commit.
RestoreReport restore_tree(const GitRepo& repo, const git_oid& target, const Author& author);
// Rule 6: `path` from checked_path. NOT_FOUND when not a file in the target.
RestoreReport restore_file(const GitRepo& repo, const git_oid& target, const std::string& path, const Author& author);

// ------------------------------------------------------- git_verify.cpp ---
struct VerifyReport {
    std::optional<std::string> head;
    uint64_t commits = 0, objects = 0, error_count = 0;
    std::vector<std::string> errors;  // the first 20
};
// Reads every object reachable from HEAD and the tags through a repository
// handle of its own (no cached object), hashes verified. ServiceError
// TIMEOUT once `deadline` passes.
VerifyReport verify(const std::filesystem::path& root, std::chrono::steady_clock::time_point deadline);

}  // namespace oxios::kernel::services::git
