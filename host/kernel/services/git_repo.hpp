// The workspace's git repository through libgit2: open or initialise it,
// stage paths, commit on top of HEAD, resolve a request's hash, compare trees.
// Not thread-safe: GitService serialises every use of one GitRepo, and holds a
// RepoLock against the other hosts of a cluster that share the workspace.
#pragma once

#include "services/git_handles.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oxios::kernel::services::git {

// The ignore lines the host keeps in .git/info/exclude (docs/api-operator.md, "Git").
inline constexpr const char* kExcludeLines[] = {"/sessions/", "/spaces/", "/.oxios/", "*.tmp", ".spare-*"};

struct Author {
    std::string name, email;
    int64_t time_secs = 0;  // seconds since the Unix epoch
};

struct CommitInfo {
    std::string hash, short_hash, message, author;  // message: the summary line
    int64_t time_secs = 0;
};

// One path that differs between two trees.
struct Change {
    std::string path;
    bool deleted = false;  // absent from the newer tree
};

class GitRepo;

// Hosts sharing one workspace (a cluster) take it around every read-modify-
// write of the index, HEAD or refs: an exclusive flock on .git/oxios.lock.
// git's own *.lock files guard one file each, not "read the index, commit on
// HEAD, write the index", so without it one host's commit drops the files the
// other staged a moment before. Blocks; throws GitError.
class RepoLock {
public:
    explicit RepoLock(const GitRepo& repo);
    ~RepoLock();
    RepoLock(const RepoLock&) = delete;
    RepoLock& operator=(const RepoLock&) = delete;

private:
    int fd_ = -1;
};

class GitRepo {
public:
    // Opens the repository at `root` itself (never one of its parents), or
    // initialises one on `main` and commits the tracked files as
    // "oxios: initial snapshot". Makes sure every kExcludeLines line is in
    // .git/info/exclude. Throws GitError.
    static GitRepo open_or_init(const std::filesystem::path& root, const Author& author);

    git_repository* get() const { return repo_.get(); }
    const std::filesystem::path& root() const { return root_; }

    std::optional<git_oid> head() const;  // nullopt: unborn branch
    Tree tree_of(const git_oid& commit) const;
    Tree head_tree() const;  // nullptr when unborn
    CommitInfo info(const git_oid& commit) const;
    bool ignored(const std::string& path) const;  // by .gitignore or info/exclude

    Index index() const;  // read again from disk: another host may have written it
    // Stages a file or a directory (relative path): added when present,
    // removed from the index when not. A path libgit2 refuses is logged and
    // skipped; the rest of the batch still commits.
    void stage(git_index* index, const std::string& path) const;
    // Stages every tracked and untracked, not ignored, file (`git add -A`).
    void stage_all(git_index* index) const;
    // Commits the index on top of HEAD; nullopt (no commit) when its tree is
    // HEAD's. `message` gets the paths that changed. Writes the index to disk.
    using MessageFn = std::function<std::string(const std::vector<Change>& changes)>;
    std::optional<git_oid> commit(git_index* index, const MessageFn& message, const Author& author) const;
    std::optional<git_oid> commit(git_index* index, const std::string& message, const Author& author) const {
        return commit(
            index, [&message](const std::vector<Change>&) { return message; }, author);
    }

    // Paths that differ between `from` (may be null: empty) and `to`.
    std::vector<Change> changes(const git_tree* from, const git_tree* to) const;

    // A request's `hash`: 4-40 hex digits (a commit, unambiguous) or a tag
    // name. Throws ServiceError: INVALID "invalid hash", CONFLICT "ambiguous
    // hash", NOT_FOUND "commit not found".
    git_oid resolve(std::string_view hash) const;

private:
    GitRepo(Repo repo, std::filesystem::path root) : repo_(std::move(repo)), root_(std::move(root)) {}
    void ensure_excludes() const;

    Repo repo_;
    std::filesystem::path root_;
};

// True for a tag name docs/api-operator.md "Git" allows.
bool valid_tag_name(std::string_view name);

}  // namespace oxios::kernel::services::git
