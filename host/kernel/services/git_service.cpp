// GitService: the queue of reported changes, the one committing thread, and
// the locked entry points the git.* methods and the knowledge vault use.
#include "services/git_service.hpp"

#include "infra/clock.hpp"
#include "infra/json_util.hpp"
#include "services/service_error.hpp"
#include "services/workspace_paths.hpp"

#include <algorithm>
#include <cstdio>

namespace oxios::kernel {

using services::fail;
using services::git::Change;
using services::git::GitError;
using services::git::GitRepo;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kMaxMessageLines = 100;
constexpr auto kReopenAfter = std::chrono::seconds(10);
constexpr auto kFirstRetry = std::chrono::seconds(1);
constexpr auto kMaxRetry = std::chrono::seconds(60);

// docs/api-operator.md "Git": "<source>: <verb> <path>", or "<source>: <n> changes"
// followed by one "<verb> <path>" line per change (at most 100).
std::string batch_message(const std::string& source, const std::vector<Change>& changes) {
    auto line = [](const Change& c) { return std::string(c.deleted ? "delete " : "write ") + c.path; };
    if (changes.size() == 1) return source + ": " + line(changes.front());
    std::string m = source + ": " + std::to_string(changes.size()) + " changes\n\n";
    for (size_t i = 0; i < changes.size() && i < kMaxMessageLines; ++i) m += line(changes[i]) + "\n";
    if (changes.size() > kMaxMessageLines)
        m += "\xE2\x80\xA6 and " + std::to_string(changes.size() - kMaxMessageLines) + " more\n";
    return m;
}

}  // namespace

GitService::GitService(Options options) : options_(std::move(options)) {
    git_libgit2_init();
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
    if (!options_.settings) options_.settings = [] { return GitSettings{}; };
    if (options_.settings().enabled) {
        std::lock_guard lock(repo_mutex_);
        try {
            repo_locked();
        } catch (const services::ServiceError&) {  // reported by health()
        }
    }
    thread_ = std::thread([this] { run(); });
}

GitService::~GitService() {
    stop();
    repo_.reset();  // before libgit2 goes
    git_libgit2_shutdown();
}

void GitService::stop() {
    {
        std::lock_guard lock(queue_mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    std::lock_guard lock(stop_mutex_);
    if (thread_.joinable()) thread_.join();
}

GitRepo& GitService::repo_locked() {
    if (!options_.settings().enabled) fail(OXIOS_E_BUSY, "git is disabled");
    if (!repo_ && Clock::now() >= next_open_attempt_) {
        std::string why;
        try {
            repo_.emplace(GitRepo::open_or_init(options_.workspace, author()));
            auto head = repo_->head();
            std::lock_guard lock(queue_mutex_);
            head_short_ = head ? services::git::short_hex(*head) : "";
            unavailable_.clear();
        } catch (const std::exception& e) {
            why = e.what();
        }
        if (!repo_) {
            std::fprintf(stderr, "[warn] git: unavailable: %s\n", why.c_str());
            next_open_attempt_ = Clock::now() + kReopenAfter;
            std::lock_guard lock(queue_mutex_);
            unavailable_ = why;
        }
    }
    if (!repo_) {
        std::lock_guard lock(queue_mutex_);
        fail(OXIOS_E_BUSY, "git unavailable: " + unavailable_);
    }
    return *repo_;
}

// Runs fn(repo) under the repository's locks (this host's, then the
// cluster's); a libgit2 failure becomes IO.
template <class Fn>
auto GitService::with_repo(Fn&& fn) {
    std::lock_guard lock(repo_mutex_);
    GitRepo& repo = repo_locked();
    try {
        services::git::RepoLock hosts(repo);
        return fn(repo);
    } catch (const GitError& e) {
        fail(OXIOS_E_IO, std::string("git: ") + e.what());
    }
}

void GitService::require_repo() {
    with_repo([](GitRepo&) { return 0; });
}

services::git::Author GitService::author() const {
    const GitSettings s = options_.settings();
    const int64_t us = options_.now_us ? options_.now_us() : clock::now_us();
    return {s.author_name, s.author_email, us / 1000000};
}

void GitService::publish(std::string_view type, const std::string& fields) const {
    if (options_.publish) options_.publish(type, fields);
}

void GitService::changed(std::string_view source, std::string_view verb, std::string_view path) noexcept {
    try {
        if (path.empty() || !options_.settings().enabled) return;
        std::lock_guard lock(queue_mutex_);
        if (stopping_) return;
        const auto now = Clock::now();
        if (pending_.empty()) first_change_ = now;
        last_change_ = now;
        pending_[std::string(path)] = Pending{std::string(source), std::string(verb)};
        ++enqueued_seq_;
        wake_.notify_one();
    } catch (...) {  // out of memory: the change is still in the workspace, a later snapshot takes it
    }
}

void GitService::run() {
    std::unique_lock lock(queue_mutex_);
    auto backoff = std::chrono::duration_cast<Clock::duration>(kFirstRetry);
    for (;;) {
        wake_.wait(lock, [&] { return stopping_ || flush_requested_ || !pending_.empty(); });
        if (pending_.empty()) {  // a flush with nothing to commit, or the end
            attempted_seq_ = committed_seq_ = enqueued_seq_;
            flush_requested_ = false;
            done_.notify_all();
            if (stopping_) break;
            continue;
        }
        // Quiet for commit_delay_ms, or max_commit_delay_ms since the first change.
        while (!stopping_ && !flush_requested_) {
            const GitSettings s = options_.settings();
            auto due = std::min(last_change_ + std::chrono::milliseconds(std::max<int64_t>(s.commit_delay_ms, 0)),
                                first_change_ + std::chrono::milliseconds(std::max<int64_t>(s.max_commit_delay_ms, 0)));
            due = std::max(due, retry_at_);
            if (Clock::now() >= due) break;
            wake_.wait_until(lock, due);
        }
        Batch batch;
        batch.swap(pending_);
        const uint64_t seq = enqueued_seq_;
        flush_requested_ = false;
        lock.unlock();
        const bool ok = commit_batch(batch);
        lock.lock();
        attempted_seq_ = seq;
        if (ok) {
            committed_seq_ = seq;
            retry_at_ = {};
            backoff = kFirstRetry;
        } else {
            for (auto& [path, p] : batch) pending_.try_emplace(path, p);  // a newer report wins
            first_change_ = last_change_ = Clock::now();
            retry_at_ = first_change_ + backoff;
            backoff = std::min<Clock::duration>(backoff * 2, kMaxRetry);
        }
        done_.notify_all();
        if (stopping_ && !ok) break;  // no retry loop at shutdown
    }
    stopped_ = true;
    done_.notify_all();
}

bool GitService::commit_batch(const Batch& batch) {
    std::string source = batch.begin()->second.source;
    for (const auto& [path, p] : batch)
        if (p.source != source) source = "oxios";
    std::optional<git_oid> id;
    size_t files = 0;
    try {
        std::lock_guard lock(repo_mutex_);
        GitRepo& repo = repo_locked();
        services::git::RepoLock hosts(repo);
        auto index = repo.index();
        for (const auto& [path, p] : batch) repo.stage(index.get(), path);
        id = repo.commit(
            index.get(),
            [&](const std::vector<Change>& changes) {
                files = changes.size();
                return batch_message(source, changes);
            },
            author());
    } catch (const services::ServiceError&) {
        return true;  // disabled or unavailable: the files stay as they are, untracked
    } catch (const std::exception& e) {
        std::fprintf(stderr, "[warn] git: commit failed (will retry): %s\n", e.what());
        std::lock_guard lock(queue_mutex_);
        ++failures_;
        last_failure_ = e.what();
        return false;
    }
    {
        std::lock_guard lock(queue_mutex_);
        last_failure_.clear();
        if (!id) return true;
        ++commits_;
        head_short_ = services::git::short_hex(*id);
    }
    json::Builder event;
    event.begin_object()
        .field("hash", services::git::hex(*id))
        .field("short_hash", services::git::short_hex(*id))
        .field("source", source)
        .field("files", files)
        .end_object();
    publish("git_committed", event.str());
    return true;
}

bool GitService::flush(std::chrono::milliseconds timeout) {
    std::unique_lock lock(queue_mutex_);
    const uint64_t target = enqueued_seq_;
    if (committed_seq_ >= target) return true;
    if (stopped_) return false;
    flush_requested_ = true;
    wake_.notify_all();
    done_.wait_for(lock, timeout, [&] { return attempted_seq_ >= target || stopped_; });
    return committed_seq_ >= target;
}

void GitService::on_restored(std::function<void(const RestoreReport&)> listener) {
    std::lock_guard lock(listeners_mutex_);
    listeners_.push_back(std::move(listener));
}

std::vector<GitService::CommitInfo> GitService::log(size_t limit) {
    require_repo();
    flush();
    return with_repo([&](GitRepo& repo) { return services::git::log(repo, limit); });
}

std::vector<GitService::CommitInfo> GitService::history(std::string_view path, size_t limit, size_t scan) {
    const std::string rel = services::workspace_paths::resolve(options_.workspace, path).relative;
    if (rel.empty()) fail(OXIOS_E_INVALID, "path is required");
    require_repo();
    flush();
    return with_repo([&](GitRepo& repo) { return services::git::path_history(repo, rel, limit, scan); });
}

std::vector<std::string> GitService::tags() {
    return with_repo([](GitRepo& repo) { return services::git::tags(repo); });
}

std::string GitService::tag(std::string_view name, std::optional<std::string_view> hash) {
    if (!services::git::valid_tag_name(name)) fail(OXIOS_E_INVALID, "invalid tag name");
    require_repo();
    if (!hash) flush();
    std::string target = with_repo([&](GitRepo& repo) {
        std::optional<git_oid> id = hash ? std::optional<git_oid>(repo.resolve(*hash)) : repo.head();
        if (!id) fail(OXIOS_E_NOT_FOUND, "no commit to tag yet");
        services::git::create_tag(repo, std::string(name), *id);
        return services::git::hex(*id);
    });
    json::Builder event;
    event.begin_object().field("tag", name).field("hash", target).end_object();
    publish("git_tagged", event.str());
    return target;
}

GitService::RestoreReport GitService::restore(std::string_view hash, std::optional<std::string_view> path) {
    require_repo();
    RestoreReport report;
    {
        std::unique_lock writes(writes_);  // no write lands between snapshot and commit
        flush();
        report = with_repo([&](GitRepo& repo) {
            const git_oid target = repo.resolve(hash);
            return path ? services::git::restore_file(repo, target, services::git::checked_path(repo, *path), author())
                        : services::git::restore_tree(repo, target, author());
        });
    }
    {
        std::lock_guard lock(queue_mutex_);
        commits_ += (report.snapshot ? 1 : 0) + (report.files_changed > 0 ? 1 : 0);
        head_short_ = report.commit.substr(0, 7);
    }
    publish("git_restored", services::git::restore_json(report, false));
    std::vector<std::function<void(const RestoreReport&)>> listeners;
    {
        std::lock_guard lock(listeners_mutex_);
        listeners = listeners_;
    }
    for (const auto& listener : listeners) {
        try {
            listener(report);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "[warn] git: after restore: %s\n", e.what());
        }
    }
    return report;
}

GitService::VerifyReport GitService::verify(std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    require_repo();
    flush();
    try {
        return services::git::verify(options_.workspace, deadline);
    } catch (const GitError& e) {
        fail(OXIOS_E_IO, std::string("git: ") + e.what());
    }
}

GitService::Health GitService::health() const {
    if (!options_.settings().enabled) return {true, "disabled"};
    std::lock_guard lock(queue_mutex_);
    const std::string pending = std::to_string(pending_.size()) + " pending";
    if (!unavailable_.empty()) return {false, "unavailable: " + unavailable_};
    if (!last_failure_.empty()) return {false, "commits failing (retried): " + last_failure_ + ", " + pending};
    return {true, (head_short_.empty() ? std::string("no commit yet") : "HEAD " + head_short_) + ", " + pending};
}

GitService::Counters GitService::counters() const {
    std::lock_guard lock(queue_mutex_);
    return {commits_, failures_, pending_.size()};
}

Method reporting_to_git(GitService* git, const char* source, const char* verb, const std::string& prefix,
                        const char* key, Method method) {
    if (git == nullptr) return method;
    return [=, method = std::move(method)](const rapidjson::Value& in) {
        Result r = method(in);
        if (r.ok()) git->changed(source, verb, prefix + json::get_string(in, key));
        return r;
    };
}

}  // namespace oxios::kernel
