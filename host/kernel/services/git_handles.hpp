// Owning handles for libgit2 objects and the error type of the git service's
// internals: every libgit2 call that fails becomes a GitError carrying its
// code and libgit2's own message.
#pragma once

#include <git2.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace oxios::kernel::services::git {

template <class T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const noexcept {
        if (p != nullptr) Free(p);
    }
};
template <class T, void (*Free)(T*)>
using Handle = std::unique_ptr<T, Deleter<T, Free>>;

using Repo = Handle<git_repository, git_repository_free>;
using Commit = Handle<git_commit, git_commit_free>;
using Tree = Handle<git_tree, git_tree_free>;
using TreeEntry = Handle<git_tree_entry, git_tree_entry_free>;
using Index = Handle<git_index, git_index_free>;
using Revwalk = Handle<git_revwalk, git_revwalk_free>;
using Reference = Handle<git_reference, git_reference_free>;
using Object = Handle<git_object, git_object_free>;
using Blob = Handle<git_blob, git_blob_free>;
using Diff = Handle<git_diff, git_diff_free>;
using Signature = Handle<git_signature, git_signature_free>;
using Odb = Handle<git_odb, git_odb_free>;
using OdbObject = Handle<git_odb_object, git_odb_object_free>;

class GitError : public std::runtime_error {
public:
    GitError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
    int code() const { return code_; }

private:
    int code_;
};

// libgit2's message for the last failure on this thread ("unknown error" when none).
inline std::string last_message() {
    const git_error* e = git_error_last();
    return e != nullptr && e->message != nullptr ? e->message : "unknown error";
}

// Throws GitError("<what>: <libgit2 message>") when rc < 0; returns rc.
inline int check(int rc, const std::string& what) {
    if (rc < 0) throw GitError(rc, what + ": " + last_message());
    return rc;
}

inline std::string hex(const git_oid& oid) {
    char buf[GIT_OID_HEXSZ + 1];
    git_oid_tostr(buf, sizeof buf, &oid);
    return buf;
}

inline std::string short_hex(const git_oid& oid) { return hex(oid).substr(0, 7); }

}  // namespace oxios::kernel::services::git
