// Hosts of a cluster share one workspace, and so one .git: two services over
// the same directory commit at once without dropping each other's files.
#include "git_test_support.hpp"

#include <atomic>
#include <thread>

using namespace git_test;

namespace {

// Paths some commit on HEAD's first-parent chain deleted, read with libgit2.
std::vector<std::string> deleted_in_history(const fs::path& ws) {
    git_repository* repo = nullptr;
    REQUIRE(git_repository_open(&repo, ws.c_str()) == 0);
    git_revwalk* walk = nullptr;
    REQUIRE(git_revwalk_new(&walk, repo) == 0);
    REQUIRE(git_revwalk_push_head(walk) == 0);
    git_revwalk_simplify_first_parent(walk);
    std::vector<std::string> out;
    for (git_oid oid; git_revwalk_next(&oid, walk) == 0;) {
        git_commit* c = nullptr;
        REQUIRE(git_commit_lookup(&c, repo, &oid) == 0);
        git_commit* parent = nullptr;
        git_tree *tree = nullptr, *parent_tree = nullptr;
        REQUIRE(git_commit_tree(&tree, c) == 0);
        if (git_commit_parent(&parent, c, 0) == 0) REQUIRE(git_commit_tree(&parent_tree, parent) == 0);
        git_diff* diff = nullptr;
        REQUIRE(git_diff_tree_to_tree(&diff, repo, parent_tree, tree, nullptr) == 0);
        for (size_t i = 0; i < git_diff_num_deltas(diff); ++i)
            if (const auto* d = git_diff_get_delta(diff, i); d->status == GIT_DELTA_DELETED)
                out.emplace_back(d->old_file.path);
        git_diff_free(diff);
        git_tree_free(parent_tree);
        git_tree_free(tree);
        git_commit_free(parent);
        git_commit_free(c);
    }
    git_revwalk_free(walk);
    git_repository_free(repo);
    return out;
}

}  // namespace

TEST_CASE("git: two hosts committing to one shared workspace keep every file in HEAD and delete none") {
    GitFixture a(0);  // commits as soon as a change is reported
    GitService::Options o;
    o.workspace = a.ws.string();
    o.settings = [] {
        GitSettings s;
        s.commit_delay_ms = s.max_commit_delay_ms = 0;
        return s;
    };
    GitService b(o);  // the second host

    constexpr int kFiles = 60;
    auto writer = [&](GitService& git, const std::string& host) {
        for (int i = 0; i < kFiles; ++i) {
            const std::string path = host + "/n" + std::to_string(i) + ".md";
            spit(a.ws / path, host + " note " + std::to_string(i));
            git.changed("workspace", "write", path);
            if (i % 3 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        git.flush();
    };
    std::thread ta([&] { writer(*a.git, "a"); });
    std::thread tb([&] { writer(b, "b"); });
    ta.join();
    tb.join();
    REQUIRE(a.git->flush());
    REQUIRE(b.flush());

    for (const std::string host : {"a", "b"})
        for (int i = 0; i < kFiles; ++i) {
            const std::string path = host + "/n" + std::to_string(i) + ".md";
            CHECK_MESSAGE(file_at(a.ws, "HEAD", path) == host + " note " + std::to_string(i), path);
        }
    // Nothing was deleted, so no commit may record a deletion.
    const auto deleted = deleted_in_history(a.ws);
    CHECK_MESSAGE(deleted.empty(), deleted.size()
                                       << " deletions, the first " << (deleted.empty() ? "" : deleted.front()));
    CHECK(commit_count(a.ws) > 2);
}
