// The workspace's git history (docs/api-operator.md, "Git"), for every kernel service: writers
// report what they changed and never wait for git; one background thread
// commits the reported paths in batches; history, tags, restore and verify
// for the git.* methods and the knowledge vault.
#pragma once

#include "services/git_ops.hpp"
#include "services/service_registry.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace oxios::kernel {

struct GitSettings {  // config section `git`, read again before each batch
    bool enabled = true;
    int64_t commit_delay_ms = 2000;
    int64_t max_commit_delay_ms = 10000;
    std::string author_name = "oxios", author_email = "oxios@localhost";
};

class GitService {
public:
    using CommitInfo = services::git::CommitInfo;
    using RestoreReport = services::git::RestoreReport;
    using VerifyReport = services::git::VerifyReport;

    struct Options {
        std::string workspace;  // absolute
        std::function<GitSettings()> settings;
        // Publishes an event (type, JSON object of fields); may be null.
        std::function<uint64_t(std::string_view, std::string_view)> publish;
        std::function<int64_t()> now_us;  // commit times; null = the real clock
    };

    // Opens (or initialises) the repository when git is enabled, and starts
    // the committing thread. Never throws: an unusable repository is
    // reported by health() and the methods below (BUSY).
    explicit GitService(Options options);
    ~GitService();  // stop()
    GitService(const GitService&) = delete;
    GitService& operator=(const GitService&) = delete;

    // --- for workspace writers -------------------------------------------
    // "Something changed, commit soon": `path` (workspace-relative, a file or
    // a directory) changed through `source` (workspace, knowledge, skills,
    // marketplace, memory) by `verb` (write, delete). Only enqueues.
    void changed(std::string_view source, std::string_view verb, std::string_view path) noexcept;
    // Writers of tracked files hold it shared while they write; a restore
    // holds it exclusively, so no write lands between its snapshot and commit.
    std::shared_mutex& write_lock() { return writes_; }
    // Called after every restore, outside the locks (indexes to rebuild).
    void on_restored(std::function<void(const RestoreReport&)> listener);

    // --- queries; ServiceError BUSY "git is disabled" / "git unavailable: …"
    // Commits what is pending now; false when that did not happen in time.
    bool flush(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    std::vector<CommitInfo> log(size_t limit);
    // `path` workspace-relative (DENIED when it leaves the workspace).
    std::vector<CommitInfo> history(std::string_view path, size_t limit, size_t scan = 2000);
    std::vector<std::string> tags();
    // Tags `hash` (HEAD when absent); returns the tagged commit's hash.
    std::string tag(std::string_view name, std::optional<std::string_view> hash);
    // Whole tree (no path) or one workspace-relative file; see git_ops.hpp.
    // Takes write_lock() exclusively: never call it while holding it.
    RestoreReport restore(std::string_view hash, std::optional<std::string_view> path);
    VerifyReport verify(std::chrono::milliseconds limit = std::chrono::seconds(60));

    struct Health {
        bool healthy = true;
        std::string detail;
    };
    Health health() const;
    struct Counters {
        uint64_t commits = 0, failures = 0, pending = 0;
    };
    Counters counters() const;

    // Commits what is pending and ends the thread. Idempotent.
    void stop();

private:
    struct Pending {
        std::string source, verb;
    };
    using Batch = std::map<std::string, Pending>;

    void run();
    bool commit_batch(const Batch& batch);
    services::git::GitRepo& repo_locked();  // repo_mutex_ held; throws BUSY
    void require_repo();                    // BUSY now rather than after a flush
    services::git::Author author() const;
    void publish(std::string_view type, const std::string& fields) const;
    template <class Fn>
    auto with_repo(Fn&& fn);

    Options options_;

    mutable std::mutex repo_mutex_;  // every use of repo_
    std::optional<services::git::GitRepo> repo_;
    std::string unavailable_;  // why repo_ could not be opened
    std::chrono::steady_clock::time_point next_open_attempt_{};

    std::shared_mutex writes_;

    // The queue and the state health() reports (taken after repo_mutex_, never before).
    mutable std::mutex queue_mutex_;
    std::condition_variable wake_, done_;
    Batch pending_;
    std::chrono::steady_clock::time_point first_change_{}, last_change_{}, retry_at_{};
    uint64_t enqueued_seq_ = 0, attempted_seq_ = 0, committed_seq_ = 0;
    bool flush_requested_ = false, stopping_ = false, stopped_ = false;
    uint64_t commits_ = 0, failures_ = 0;
    std::string last_failure_;  // "" after a successful commit
    std::string head_short_;

    std::mutex listeners_mutex_;
    std::vector<std::function<void(const RestoreReport&)>> listeners_;

    std::mutex stop_mutex_;
    std::thread thread_;  // last: started once everything above exists
};

// `method`, reporting `<prefix><in[key]>` to git (when not null) each time
// it succeeds: the hook of services whose files are named by an argument.
Method reporting_to_git(GitService* git, const char* source, const char* verb, const std::string& prefix,
                        const char* key, Method method);

}  // namespace oxios::kernel
