// Shared fixture of the services_git*.cpp suites: a workspace with a
// GitService (settings changeable while it runs), the workspace, skills,
// memory and git methods registered over it, published events recorded, and
// libgit2 read-back helpers that look at the repository on their own handle.
#pragma once

#include "services/git_service.hpp"
#include "services_test_support.hpp"

#include <git2.h>

#include <optional>

namespace git_test {

using namespace services_test;
using oxios::kernel::GitService;
using oxios::kernel::GitSettings;

struct GitFixture {
    TempDir tmp;
    fs::path ws = tmp.path() / "ws";
    fs::path outside = tmp.path() / "outside";
    std::mutex mutex;
    GitSettings settings;
    std::vector<Event> events;
    std::unique_ptr<GitService> git;
    std::unique_ptr<oxios::kernel::FileRecordStore> records;
    std::unique_ptr<oxios::kernel::ServiceRegistry> registry;

    // Commits only on a flush by default: tests decide when batches end.
    explicit GitFixture(int64_t delay_ms = 600000, bool enabled = true) {
        fs::create_directories(ws);
        fs::create_directories(outside);
        spit(outside / "secret.txt", "top secret");
        settings.enabled = enabled;
        settings.commit_delay_ms = delay_ms;
        settings.max_commit_delay_ms = delay_ms * 10;
        git_libgit2_init();
        open();
    }
    ~GitFixture() {
        registry.reset();
        git.reset();
        git_libgit2_shutdown();
    }

    // A fresh service over the same workspace (as after a host restart).
    void open() {
        registry.reset();
        git.reset();
        GitService::Options o;
        o.workspace = ws.string();
        o.settings = [this] {
            std::lock_guard lock(mutex);
            return settings;
        };
        o.publish = [this](std::string_view type, std::string_view fields) {
            std::lock_guard lock(mutex);
            events.push_back({std::string(type), std::string(fields)});
            return static_cast<uint64_t>(events.size());
        };
        git = std::make_unique<GitService>(o);
        oxios::kernel::ServiceContext ctx;
        ctx.workspace = ws.string();
        ctx.publish = o.publish;
        ctx.now_us = [] { return int64_t{1780000000} * 1000000; };
        ctx.git = git.get();
        records = std::make_unique<oxios::kernel::FileRecordStore>(ws, ctx.now_us, nullptr);
        ctx.records = records.get();
        registry = std::make_unique<oxios::kernel::ServiceRegistry>();
        oxios::kernel::register_workspace_service(*registry, ctx);
        oxios::kernel::register_skills_service(*registry, ctx);
        oxios::kernel::register_memory_service(*registry, ctx);
        oxios::kernel::register_git_service(*registry, ctx);
    }

    Result call(std::string_view method, const Args& args) { return registry->call(method, args.str()); }
    rapidjson::Document ok(std::string_view method, const Args& args = Args()) {
        Result r = call(method, args);
        REQUIRE_MESSAGE(r.status == OXIOS_OK, method << " -> " << r.status << " " << r.body);
        return parse(r.body);
    }
    void write(const std::string& path, const std::string& content) {
        ok("workspace.write", Args().set("path", path).set("content", content));
    }
    // The summaries of git.log, newest first.
    std::vector<std::string> messages(int limit = 500) {
        auto doc = ok("git.log", Args().set("limit", limit));
        std::vector<std::string> out;
        for (const auto& e : doc["entries"].GetArray()) out.push_back(e["message"].GetString());
        return out;
    }
    std::string head_hash() { return ok("git.log", Args().set("limit", 1))["entries"][0]["hash"].GetString(); }
    std::vector<Event> events_of(const std::string& type) {
        std::lock_guard lock(mutex);
        std::vector<Event> out;
        for (const auto& e : events)
            if (e.type == type) out.push_back(e);
        return out;
    }
};

// The content of `path` in commit `rev` ("HEAD" or a hash) read with
// libgit2 directly; nullopt when the commit has no such file.
inline std::optional<std::string> file_at(const fs::path& ws, const std::string& rev, const std::string& path) {
    git_repository* repo = nullptr;
    REQUIRE(git_repository_open(&repo, ws.c_str()) == 0);
    git_object* obj = nullptr;
    std::optional<std::string> out;
    if (git_revparse_single(&obj, repo, (rev + ":" + path).c_str()) == 0) {
        if (git_object_type(obj) == GIT_OBJECT_BLOB) {
            auto* blob = reinterpret_cast<git_blob*>(obj);
            out = std::string(static_cast<const char*>(git_blob_rawcontent(blob)),
                              static_cast<size_t>(git_blob_rawsize(blob)));
        }
        git_object_free(obj);
    }
    git_repository_free(repo);
    return out;
}

// Commits on HEAD's first-parent chain, read with libgit2 (no flush).
inline size_t commit_count(const fs::path& ws) {
    git_repository* repo = nullptr;
    REQUIRE(git_repository_open(&repo, ws.c_str()) == 0);
    git_revwalk* walk = nullptr;
    REQUIRE(git_revwalk_new(&walk, repo) == 0);
    size_t n = 0;
    if (git_revwalk_push_head(walk) == 0) {
        git_revwalk_simplify_first_parent(walk);
        git_oid oid;
        while (git_revwalk_next(&oid, walk) == 0) ++n;
    }
    git_revwalk_free(walk);
    git_repository_free(repo);
    return n;
}

// Where libgit2 keeps the loose object of `content` as a blob.
inline fs::path loose_blob(const fs::path& ws, const std::string& content, std::string* hex_out = nullptr) {
    git_oid oid;
    REQUIRE(git_odb_hash(&oid, content.data(), content.size(), GIT_OBJECT_BLOB) == 0);
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, &oid);
    if (hex_out) *hex_out = hex;
    return ws / ".git" / "objects" / std::string(hex, 2) / std::string(hex + 2);
}

}  // namespace git_test
