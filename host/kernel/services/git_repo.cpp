#include "services/git_repo.hpp"

#include "services/fs_util.hpp"
#include "services/service_error.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

namespace oxios::kernel::services::git {
namespace fs = std::filesystem;

namespace {

bool has_git_component(std::string_view path) {
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        if (path.substr(start, end - start) == ".git") return true;
        start = end + 1;
    }
    return false;
}

void warn(const std::string& what) { std::fprintf(stderr, "[warn] git: %s\n", what.c_str()); }

Signature signature(const Author& author) {
    git_signature* sig = nullptr;
    if (git_signature_new(&sig, author.name.c_str(), author.email.c_str(), author.time_secs, 0) == 0)
        return Signature(sig);
    // A config value libgit2 refuses (empty, angle brackets): the defaults.
    warn("author " + author.name + " <" + author.email + "> refused (" + last_message() + "): using oxios");
    check(git_signature_new(&sig, "oxios", "oxios@localhost", author.time_secs, 0), "cannot make a signature");
    return Signature(sig);
}

}  // namespace

RepoLock::RepoLock(const GitRepo& repo) {
    const fs::path file = fs::path(git_repository_path(repo.get())) / "oxios.lock";
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw GitError(GIT_ERROR, "cannot open " + file.string() + ": " + std::strerror(errno));
    while (::flock(fd_, LOCK_EX) != 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd_);
        throw GitError(GIT_ERROR, "cannot lock " + file.string() + ": " + std::strerror(err));
    }
}

RepoLock::~RepoLock() { ::close(fd_); }  // closing releases the lock

GitRepo GitRepo::open_or_init(const fs::path& root, const Author& author) {
    git_repository* raw = nullptr;
    const int rc = git_repository_open_ext(&raw, root.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
    bool created = false;
    if (rc == GIT_ENOTFOUND) {
        git_repository_init_options opts;
        git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
        opts.flags = GIT_REPOSITORY_INIT_MKPATH;
        opts.initial_head = "main";
        check(git_repository_init_ext(&raw, root.c_str(), &opts), "cannot initialise " + root.string());
        created = true;
    } else {
        check(rc, "cannot open " + root.string());
    }
    GitRepo repo(Repo(raw), root);
    const char* workdir = git_repository_workdir(raw);
    if (git_repository_is_bare(raw) || workdir == nullptr ||
        fs::path(workdir).lexically_normal() != (root / "").lexically_normal())
        throw GitError(GIT_ERROR, root.string() + " is not the working tree of its repository");
    RepoLock lock(repo);
    repo.ensure_excludes();
    if (created) {
        Index index = repo.index();
        repo.stage_all(index.get());
        repo.commit(index.get(), "oxios: initial snapshot", author);
    }
    return repo;
}

void GitRepo::ensure_excludes() const {
    const fs::path file = fs::path(git_repository_path(repo_.get())) / "info" / "exclude";
    std::string text;
    try {
        text = files::read_file(file).value_or("");
    } catch (const std::system_error& e) {
        throw GitError(GIT_ERROR, "cannot read " + file.string() + ": " + e.code().message());
    }
    std::string add;
    for (const char* line : kExcludeLines) {
        const std::string l = line;
        bool present = false;
        for (size_t pos = 0; pos <= text.size();) {
            size_t end = text.find('\n', pos);
            if (end == std::string::npos) end = text.size();
            if (text.compare(pos, end - pos, l) == 0 && end - pos == l.size()) present = true;
            pos = end + 1;
        }
        if (!present) add += l + "\n";
    }
    if (add.empty()) return;
    if (!text.empty() && text.back() != '\n') text.push_back('\n');
    try {
        files::create_dirs(file.parent_path());
        files::write_atomic(file, text + "# oxios: host state, not tracked\n" + add);
    } catch (const std::system_error& e) {
        throw GitError(GIT_ERROR, "cannot write " + file.string() + ": " + e.code().message());
    }
}

std::optional<git_oid> GitRepo::head() const {
    git_oid oid;
    const int rc = git_reference_name_to_id(&oid, repo_.get(), "HEAD");
    if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH) return std::nullopt;
    check(rc, "cannot read HEAD");
    return oid;
}

Tree GitRepo::tree_of(const git_oid& commit_id) const {
    git_commit* c = nullptr;
    check(git_commit_lookup(&c, repo_.get(), &commit_id), "cannot read commit " + hex(commit_id));
    Commit commit(c);
    git_tree* t = nullptr;
    check(git_commit_tree(&t, commit.get()), "cannot read the tree of " + hex(commit_id));
    return Tree(t);
}

Tree GitRepo::head_tree() const {
    auto h = head();
    return h ? tree_of(*h) : Tree();
}

CommitInfo GitRepo::info(const git_oid& commit_id) const {
    git_commit* c = nullptr;
    check(git_commit_lookup(&c, repo_.get(), &commit_id), "cannot read commit " + hex(commit_id));
    Commit commit(c);
    CommitInfo out;
    out.hash = hex(commit_id);
    out.short_hash = short_hex(commit_id);
    const char* summary = git_commit_summary(commit.get());
    out.message = summary != nullptr ? summary : "";
    const git_signature* author = git_commit_author(commit.get());
    out.author = author != nullptr && author->name != nullptr ? author->name : "";
    out.time_secs = git_commit_time(commit.get());
    return out;
}

bool GitRepo::ignored(const std::string& path) const {
    int ignored = 0;
    check(git_ignore_path_is_ignored(&ignored, repo_.get(), path.c_str()), "cannot check ignore rules");
    return ignored != 0;
}

Index GitRepo::index() const {
    git_index* raw = nullptr;
    check(git_repository_index(&raw, repo_.get()), "cannot open the index");
    Index index(raw);
    check(git_index_read(index.get(), true), "cannot read the index");
    return index;
}

void GitRepo::stage(git_index* index, const std::string& path) const {
    if (path.empty() || has_git_component(path)) return;
    auto add = [&](const std::string& rel) {
        if (ignored(rel)) return;
        if (git_index_add_bypath(index, rel.c_str()) < 0) warn("cannot stage " + rel + ": " + last_message());
    };
    struct stat st {};
    const fs::path abs = root_ / path;
    if (::lstat(abs.c_str(), &st) != 0) {
        git_index_remove_bypath(index, path.c_str());  // absent from the index too: fine
        git_index_remove_directory(index, path.c_str(), 0);
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) add(path);
        return;
    }
    // A directory: drop the entries below it that are gone, add what is there.
    const std::string prefix = path + "/";
    std::vector<std::string> gone;
    for (size_t i = 0, n = git_index_entrycount(index); i < n; ++i) {
        const git_index_entry* e = git_index_get_byindex(index, i);
        if (e == nullptr || std::string_view(e->path).substr(0, prefix.size()) != prefix) continue;
        struct stat est {};
        if (::lstat((root_ / e->path).c_str(), &est) != 0 || S_ISDIR(est.st_mode)) gone.emplace_back(e->path);
    }
    for (const auto& g : gone) git_index_remove_bypath(index, g.c_str());
    std::error_code ec;
    for (fs::recursive_directory_iterator it(abs, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string rel = it->path().lexically_relative(root_).string();
        if (it->is_directory(ec) && !it->is_symlink(ec)) {
            if (it->path().filename() == ".git" || ignored(rel)) it.disable_recursion_pending();
            continue;
        }
        add(rel);
    }
}

void GitRepo::stage_all(git_index* index) const {
    check(git_index_add_all(index, nullptr, GIT_INDEX_ADD_DEFAULT, nullptr, nullptr), "cannot stage the workspace");
    check(git_index_update_all(index, nullptr, nullptr, nullptr), "cannot stage removals");
}

std::optional<git_oid> GitRepo::commit(git_index* index, const MessageFn& message, const Author& author) const {
    git_oid tree_id;
    check(git_index_write_tree(&tree_id, index), "cannot write the tree");
    const auto parent_id = head();
    Commit parent;
    if (parent_id) {
        git_commit* p = nullptr;
        check(git_commit_lookup(&p, repo_.get(), &*parent_id), "cannot read HEAD");
        parent.reset(p);
        if (git_oid_equal(git_commit_tree_id(parent.get()), &tree_id)) {
            check(git_index_write(index), "cannot write the index");
            return std::nullopt;
        }
    }
    git_tree* t = nullptr;
    check(git_tree_lookup(&t, repo_.get(), &tree_id), "cannot read the new tree");
    Tree tree(t);
    Tree parent_tree;
    if (parent) {
        git_tree* pt = nullptr;
        check(git_commit_tree(&pt, parent.get()), "cannot read the tree of HEAD");
        parent_tree.reset(pt);
    }
    const std::string text = message(changes(parent_tree.get(), tree.get()));
    Signature sig = signature(author);
    const git_commit* parents[1] = {parent.get()};
    git_oid out;
    check(git_commit_create(&out, repo_.get(), "HEAD", sig.get(), sig.get(), nullptr, text.c_str(), tree.get(),
                            parent ? 1 : 0, parents),
          "cannot commit");
    check(git_index_write(index), "cannot write the index");
    return out;
}

std::vector<Change> GitRepo::changes(const git_tree* from, const git_tree* to) const {
    git_diff* raw = nullptr;
    check(git_diff_tree_to_tree(&raw, repo_.get(), const_cast<git_tree*>(from), const_cast<git_tree*>(to), nullptr),
          "cannot compare trees");
    Diff diff(raw);
    std::vector<Change> out;
    for (size_t i = 0, n = git_diff_num_deltas(diff.get()); i < n; ++i) {
        const git_diff_delta* d = git_diff_get_delta(diff.get(), i);
        if (d->status == GIT_DELTA_DELETED)
            out.push_back({d->old_file.path, true});
        else
            out.push_back({d->new_file.path, false});
    }
    return out;
}

git_oid GitRepo::resolve(std::string_view hash) const {
    bool all_hex = hash.size() >= 4 && hash.size() <= GIT_OID_HEXSZ;
    for (char c : hash) all_hex = all_hex && std::isxdigit(static_cast<unsigned char>(c));
    const bool tag = valid_tag_name(hash);
    if (!all_hex && !tag) fail(OXIOS_E_INVALID, "invalid hash: expected 4 to 40 hex digits or a tag name");
    if (all_hex) {
        git_oid prefix;
        check(git_oid_fromstrn(&prefix, hash.data(), hash.size()), "invalid hash");
        git_object* obj = nullptr;
        const int rc = git_object_lookup_prefix(&obj, repo_.get(), &prefix, hash.size(), GIT_OBJECT_COMMIT);
        if (rc == 0) {
            Object found(obj);
            return *git_object_id(found.get());
        }
        if (rc == GIT_EAMBIGUOUS) fail(OXIOS_E_CONFLICT, "ambiguous hash: " + std::string(hash));
        if (rc != GIT_ENOTFOUND) check(rc, "cannot look up " + std::string(hash));
    }
    if (tag) {
        git_reference* raw = nullptr;
        const int rc = git_reference_lookup(&raw, repo_.get(), ("refs/tags/" + std::string(hash)).c_str());
        if (rc == 0) {
            Reference ref(raw);
            git_object* obj = nullptr;
            if (git_reference_peel(&obj, ref.get(), GIT_OBJECT_COMMIT) == 0) {
                Object commit(obj);
                return *git_object_id(commit.get());
            }
        } else if (rc != GIT_ENOTFOUND && rc != GIT_EINVALIDSPEC) {
            check(rc, "cannot look up tag " + std::string(hash));
        }
    }
    fail(OXIOS_E_NOT_FOUND, "commit not found: " + std::string(hash));
}

bool valid_tag_name(std::string_view name) {
    if (name.empty() || name.size() > 100 || !std::isalnum(static_cast<unsigned char>(name.front()))) return false;
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
    if (name.find("..") != std::string_view::npos || name.ends_with(".lock")) return false;
    int valid = 0;
    const std::string ref = "refs/tags/" + std::string(name);
    return git_reference_name_is_valid(&valid, ref.c_str()) == 0 && valid != 0;
}

}  // namespace oxios::kernel::services::git
