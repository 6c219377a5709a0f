// git.verify: every object reachable from HEAD and the tags is read back
// from the object database with its hash checked (libgit2's strict hash
// verification, switched on by GitService), through a fresh repository
// handle so that no cached copy hides a corrupted file. Loose objects are
// checked with zlib here first: libgit2 1.5 corrupts its heap inflating some
// damaged ones, so it only ever sees loose objects that are intact.
#include "services/fs_util.hpp"
#include "services/git_ops.hpp"
#include "services/service_error.hpp"

#include <zlib.h>

#include <system_error>
#include <unordered_set>

namespace oxios::kernel::services::git {

namespace {

constexpr size_t kMaxErrors = 20;

struct OidHash {
    size_t operator()(const git_oid& o) const noexcept {
        size_t h = 0;
        for (size_t i = 0; i < sizeof(size_t); ++i) h = (h << 8) | o.id[i];
        return h;
    }
};
struct OidEq {
    bool operator()(const git_oid& a, const git_oid& b) const noexcept { return git_oid_equal(&a, &b) != 0; }
};

// Why the loose object `oid` under `objects` is damaged; nullopt when it is
// intact or not loose (packed, or missing: libgit2 reports those).
std::optional<std::string> damaged_loose(const std::filesystem::path& objects, const git_oid& oid) {
    const std::string h = hex(oid);
    std::optional<std::string> file;
    try {
        file = files::read_file(objects / h.substr(0, 2) / h.substr(2));
    } catch (const std::system_error& e) {
        return "cannot read loose object: " + e.code().message();
    }
    if (!file) return std::nullopt;
    z_stream zs{};
    if (inflateInit(&zs) != Z_OK) return "zlib unavailable";
    zs.next_in = reinterpret_cast<Bytef*>(file->data());
    zs.avail_in = static_cast<uInt>(file->size());
    std::string raw;
    int rc = Z_OK;
    char chunk[65536];
    while (rc == Z_OK) {
        zs.next_out = reinterpret_cast<Bytef*>(chunk);
        zs.avail_out = sizeof chunk;
        rc = inflate(&zs, Z_NO_FLUSH);
        raw.append(chunk, sizeof chunk - zs.avail_out);
        if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // truncated
    }
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) return "corrupt loose object (zlib stream " + std::to_string(rc) + ")";
    const size_t nul = raw.find('\0');
    const size_t space = raw.find(' ');
    if (nul == std::string::npos || space == std::string::npos || space > nul) return "corrupt loose object header";
    const git_object_t type = git_object_string2type(raw.substr(0, space).c_str());
    if (type != GIT_OBJECT_COMMIT && type != GIT_OBJECT_TREE && type != GIT_OBJECT_BLOB && type != GIT_OBJECT_TAG)
        return "corrupt loose object header";
    if (raw.substr(space + 1, nul - space - 1) != std::to_string(raw.size() - nul - 1))
        return "corrupt loose object (size differs from its header)";
    git_oid actual;
    if (git_odb_hash(&actual, raw.data() + nul + 1, raw.size() - nul - 1, type) < 0) return last_message();
    if (!git_oid_equal(&actual, &oid)) return "object hash mismatch (content hashes to " + hex(actual) + ")";
    return std::nullopt;
}

struct Walker {
    git_repository* repo;
    git_odb* odb;
    std::filesystem::path objects;
    VerifyReport report;
    std::vector<git_oid> stack;
    std::unordered_set<git_oid, OidHash, OidEq> seen;

    void error(const git_oid& oid, const std::string& what) {
        ++report.error_count;
        if (report.errors.size() < kMaxErrors) report.errors.push_back(hex(oid) + ": " + what);
    }

    // Reads one object; queues what it points to.
    void visit(const git_oid& oid) {
        ++report.objects;
        if (auto why = damaged_loose(objects, oid)) return error(oid, *why);
        git_odb_object* raw = nullptr;
        if (git_odb_read(&raw, odb, &oid) < 0) return error(oid, last_message());
        OdbObject obj(raw);
        switch (git_odb_object_type(obj.get())) {
            case GIT_OBJECT_COMMIT: {
                ++report.commits;
                git_commit* c = nullptr;
                if (git_commit_lookup(&c, repo, &oid) < 0) return error(oid, last_message());
                Commit commit(c);
                stack.push_back(*git_commit_tree_id(commit.get()));
                for (unsigned i = 0, n = git_commit_parentcount(commit.get()); i < n; ++i)
                    stack.push_back(*git_commit_parent_id(commit.get(), i));
                break;
            }
            case GIT_OBJECT_TREE: {
                git_tree* t = nullptr;
                if (git_tree_lookup(&t, repo, &oid) < 0) return error(oid, last_message());
                Tree tree(t);
                for (size_t i = 0, n = git_tree_entrycount(tree.get()); i < n; ++i) {
                    const git_tree_entry* e = git_tree_entry_byindex(tree.get(), i);
                    if (git_tree_entry_type(e) != GIT_OBJECT_COMMIT) stack.push_back(*git_tree_entry_id(e));
                }
                break;
            }
            case GIT_OBJECT_TAG: {
                git_tag* t = nullptr;
                if (git_tag_lookup(&t, repo, &oid) < 0) return error(oid, last_message());
                stack.push_back(*git_tag_target_id(t));
                git_tag_free(t);
                break;
            }
            default:
                break;  // a blob: read and hashed above
        }
    }
};

int collect_tag(const char*, git_oid* oid, void* payload) {
    static_cast<std::vector<git_oid>*>(payload)->push_back(*oid);
    return 0;
}

}  // namespace

VerifyReport verify(const std::filesystem::path& root, std::chrono::steady_clock::time_point deadline) {
    git_repository* raw = nullptr;
    check(git_repository_open_ext(&raw, root.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr),
          "cannot open " + root.string());
    Repo repo(raw);
    git_odb* odb_raw = nullptr;
    check(git_repository_odb(&odb_raw, repo.get()), "cannot open the object database");
    Odb odb(odb_raw);

    Walker w{repo.get(), odb.get(), std::filesystem::path(git_repository_path(repo.get())) / "objects", {}, {}, {}};
    git_oid head;
    const int rc = git_reference_name_to_id(&head, repo.get(), "HEAD");
    if (rc == 0) {
        w.report.head = hex(head);
        w.stack.push_back(head);
    } else if (rc != GIT_ENOTFOUND && rc != GIT_EUNBORNBRANCH) {
        w.report.error_count++;
        w.report.errors.push_back("HEAD: " + last_message());
    }
    if (git_tag_foreach(repo.get(), collect_tag, &w.stack) < 0) {
        w.report.error_count++;
        w.report.errors.push_back("tags: " + last_message());
    }
    while (!w.stack.empty()) {
        if (std::chrono::steady_clock::now() > deadline)
            fail(OXIOS_E_TIMEOUT, "verify timed out after reading " + std::to_string(w.report.objects) + " objects");
        const git_oid oid = w.stack.back();
        w.stack.pop_back();
        if (!w.seen.insert(oid).second) continue;
        w.visit(oid);
    }
    return w.report;
}

}  // namespace oxios::kernel::services::git
