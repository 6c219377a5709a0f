// Reading history: HEAD's first-parent log, one path's history by tree
// comparison (not by message), the tags; and making a tag.
#include "services/git_ops.hpp"
#include "services/service_error.hpp"

#include <algorithm>

namespace oxios::kernel::services::git {

namespace {

// Calls fn(oid) for HEAD and its first parents, at most `max` times, until
// fn returns false.
template <class Fn>
void walk_first_parents(const GitRepo& repo, size_t max, Fn&& fn) {
    if (!repo.head() || max == 0) return;
    git_revwalk* raw = nullptr;
    check(git_revwalk_new(&raw, repo.get()), "cannot walk history");
    Revwalk walk(raw);
    check(git_revwalk_push_head(walk.get()), "cannot walk from HEAD");
    check(git_revwalk_simplify_first_parent(walk.get()), "cannot walk first parents");
    git_oid oid;
    for (size_t seen = 0; seen < max; ++seen) {
        const int rc = git_revwalk_next(&oid, walk.get());
        if (rc == GIT_ITEROVER) return;
        check(rc, "cannot walk history");
        if (!fn(oid)) return;
    }
}

// The entry at `path` in a commit's tree: {id, mode}; zero mode when absent.
std::pair<git_oid, uint32_t> entry_at(const git_commit* commit, const std::string& path) {
    git_tree* t = nullptr;
    check(git_commit_tree(&t, commit), "cannot read a tree");
    Tree tree(t);
    git_tree_entry* e = nullptr;
    const int rc = git_tree_entry_bypath(&e, tree.get(), path.c_str());
    if (rc == GIT_ENOTFOUND) return {git_oid{}, 0};
    check(rc, "cannot read " + path);
    TreeEntry entry(e);
    return {*git_tree_entry_id(entry.get()), static_cast<uint32_t>(git_tree_entry_filemode(entry.get()))};
}

}  // namespace

std::vector<CommitInfo> log(const GitRepo& repo, size_t limit) {
    std::vector<CommitInfo> out;
    walk_first_parents(repo, limit, [&](const git_oid& oid) {
        out.push_back(repo.info(oid));
        return true;
    });
    return out;
}

std::vector<CommitInfo> path_history(const GitRepo& repo, const std::string& path, size_t limit, size_t scan) {
    std::vector<CommitInfo> out;
    walk_first_parents(repo, scan, [&](const git_oid& oid) {
        git_commit* raw = nullptr;
        check(git_commit_lookup(&raw, repo.get(), &oid), "cannot read commit " + hex(oid));
        Commit commit(raw);
        const auto here = entry_at(commit.get(), path);
        std::pair<git_oid, uint32_t> before{git_oid{}, 0};
        git_commit* parent_raw = nullptr;
        if (git_commit_parentcount(commit.get()) > 0) {
            check(git_commit_parent(&parent_raw, commit.get(), 0), "cannot read the parent of " + hex(oid));
            Commit parent(parent_raw);
            before = entry_at(parent.get(), path);
        }
        if (here.second != before.second || !git_oid_equal(&here.first, &before.first)) out.push_back(repo.info(oid));
        return out.size() < limit;
    });
    return out;
}

std::vector<std::string> tags(const GitRepo& repo) {
    git_strarray names{};
    check(git_tag_list(&names, repo.get()), "cannot list tags");
    std::vector<std::string> out(names.strings, names.strings + names.count);
    git_strarray_dispose(&names);
    std::sort(out.begin(), out.end());
    return out;
}

void create_tag(const GitRepo& repo, const std::string& name, const git_oid& target) {
    git_object* raw = nullptr;
    check(git_object_lookup(&raw, repo.get(), &target, GIT_OBJECT_COMMIT), "cannot read commit " + hex(target));
    Object commit(raw);
    git_oid tag_id;
    const int rc = git_tag_create_lightweight(&tag_id, repo.get(), name.c_str(), commit.get(), 0);
    if (rc == GIT_EEXISTS) fail(OXIOS_E_CONFLICT, "tag exists: " + name);
    check(rc, "cannot create tag " + name);
}

}  // namespace oxios::kernel::services::git
