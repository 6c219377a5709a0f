// Restore that only moves history forward (docs/api-operator.md, "Git"): whatever
// differs from HEAD is committed first as a snapshot, the files are made the
// target's, and the result is a new commit on top of HEAD. Nothing written
// since the target is lost: it stays in the snapshot or in earlier commits.
#include "infra/json_util.hpp"
#include "services/fs_util.hpp"
#include "services/git_ops.hpp"
#include "services/service_error.hpp"
#include "services/workspace_paths.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <system_error>

namespace oxios::kernel::services::git {
namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxPathBytes = 4096;
constexpr size_t kMaxComponentBytes = 255;

void warn(const std::string& what) { std::fprintf(stderr, "[warn] git: restore: %s\n", what.c_str()); }

// The real location of a tracked path, or nullopt when reaching it would go
// through a symlink (possibly out of the workspace): never touched then.
std::optional<fs::path> location(const GitRepo& repo, const std::string& path) {
    try {
        auto r = workspace_paths::resolve(repo.root(), path);
        if (r.real != repo.root() / r.relative || r.relative != path) return std::nullopt;
        return r.real;
    } catch (const ServiceError&) {
        return std::nullopt;
    }
}

bool remove_file(const GitRepo& repo, const std::string& path) {
    auto where = location(repo, path);
    if (!where) return warn(path + ": not removed (through a symbolic link)"), false;
    if (::unlink(where->c_str()) != 0 && errno != ENOENT)
        return warn(path + ": cannot remove: " + std::generic_category().message(errno)), false;
    // Directories the removal left empty go too (as git does).
    for (fs::path dir = where->parent_path(); dir != repo.root() && ::rmdir(dir.c_str()) == 0;) dir = dir.parent_path();
    return true;
}

// Writes the blob at `path` of `tree` to the workspace. False (and a log
// line) when the entry is not a regular file or the write fails.
bool write_file(const GitRepo& repo, const git_tree* tree, const std::string& path) {
    git_tree_entry* raw = nullptr;
    check(git_tree_entry_bypath(&raw, tree, path.c_str()), "cannot read " + path);
    TreeEntry entry(raw);
    const git_filemode_t mode = git_tree_entry_filemode(entry.get());
    if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE)
        return warn(path + ": not restored (not a regular file)"), false;
    auto where = location(repo, path);
    if (!where) return warn(path + ": not restored (through a symbolic link)"), false;
    git_blob* b = nullptr;
    check(git_blob_lookup(&b, repo.get(), git_tree_entry_id(entry.get())), "cannot read the content of " + path);
    Blob blob(b);
    const std::string_view content(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                                   static_cast<size_t>(git_blob_rawsize(blob.get())));
    try {
        struct stat st {};
        if (::lstat(where->c_str(), &st) == 0 && S_ISDIR(st.st_mode))
            return warn(path + ": not restored (a directory is in the way)"), false;
        files::create_dirs(where->parent_path());
        files::write_atomic(*where, content, mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644);
    } catch (const std::system_error& e) {
        return warn(path + ": cannot write: " + e.code().message()), false;
    }
    return true;
}

std::string head_hex(const GitRepo& repo) {
    auto h = repo.head();
    return h ? hex(*h) : std::string();
}

}  // namespace

std::string restore_json(const RestoreReport& report, bool with_status) {
    json::Builder out;
    out.begin_object();
    if (with_status) out.field("status", "restored");
    out.field("from", report.from)
        .field("commit", report.commit)
        .field("snapshot", report.snapshot)
        .field("path", report.path)
        .field("files_changed", report.files_changed)
        .end_object();
    return out.str();
}

std::string checked_path(const GitRepo& repo, std::string_view path) {
    if (path.size() > kMaxPathBytes) fail(OXIOS_E_INVALID, "path is too long");
    for (size_t start = 0; start <= path.size();) {
        size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        if (end - start > kMaxComponentBytes) fail(OXIOS_E_INVALID, "path is too long");
        start = end + 1;
    }
    const auto resolved = workspace_paths::resolve(repo.root(), path);  // DENIED: traversal
    const std::string& rel = resolved.relative;
    if (rel.empty()) fail(OXIOS_E_INVALID, "path must name a file");
    if (rel == ".git" || rel.starts_with(".git/") || rel.find("/.git/") != std::string::npos || rel.ends_with("/.git"))
        fail(OXIOS_E_DENIED, "path is reserved");
    if (resolved.real != repo.root() / rel) fail(OXIOS_E_INVALID, "path goes through a symbolic link");
    if (repo.ignored(rel)) fail(OXIOS_E_INVALID, "path is not tracked");
    return rel;
}

RestoreReport restore_tree(const GitRepo& repo, const git_oid& target, const Author& author) {
    const std::string short_target = short_hex(target);
    RestoreReport report;
    report.from = hex(target);
    Index index = repo.index();
    repo.stage_all(index.get());
    if (auto snap = repo.commit(index.get(), "oxios: snapshot before restore to " + short_target, author))
        report.snapshot = hex(*snap);

    Tree head_tree = repo.head_tree();
    Tree target_tree = repo.tree_of(target);
    std::vector<std::string> touched;
    const auto changes = repo.changes(head_tree.get(), target_tree.get());
    // Removals first: a directory in HEAD may be a file in the target.
    for (int pass = 0; pass < 2; ++pass) {
        for (const auto& c : changes) {
            if (c.deleted != (pass == 0) || repo.ignored(c.path)) continue;  // excluded paths stay as they are
            if (c.deleted ? remove_file(repo, c.path) : write_file(repo, target_tree.get(), c.path))
                touched.push_back(c.path);
        }
    }
    for (const auto& path : touched) repo.stage(index.get(), path);
    auto commit = repo.commit(index.get(), "oxios: restore to " + short_target, author);
    report.commit = commit ? hex(*commit) : head_hex(repo);
    report.files_changed = commit ? touched.size() : 0;
    return report;
}

RestoreReport restore_file(const GitRepo& repo, const git_oid& target, const std::string& path, const Author& author) {
    const std::string short_target = short_hex(target);
    Tree target_tree = repo.tree_of(target);
    git_tree_entry* raw = nullptr;
    const int rc = git_tree_entry_bypath(&raw, target_tree.get(), path.c_str());
    if (rc == GIT_ENOTFOUND) fail(OXIOS_E_NOT_FOUND, "path not found in " + short_target + ": " + path);
    check(rc, "cannot read " + path);
    TreeEntry entry(raw);
    if (git_tree_entry_type(entry.get()) != GIT_OBJECT_BLOB)
        fail(OXIOS_E_NOT_FOUND, "not a file in " + short_target + ": " + path);

    RestoreReport report;
    report.from = hex(target);
    report.path = path;
    Index index = repo.index();
    repo.stage(index.get(), path);
    if (auto snap = repo.commit(index.get(), "oxios: snapshot before restore to " + short_target, author))
        report.snapshot = hex(*snap);
    if (!write_file(repo, target_tree.get(), path)) fail(OXIOS_E_IO, "cannot restore " + path);
    repo.stage(index.get(), path);
    auto commit = repo.commit(index.get(), "oxios: restore " + path + " from " + short_target, author);
    report.commit = commit ? hex(*commit) : head_hex(repo);
    report.files_changed = commit ? 1 : 0;
    return report;
}

}  // namespace oxios::kernel::services::git
