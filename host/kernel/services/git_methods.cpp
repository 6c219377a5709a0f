// git.log / git.tags / git.tag / git.restore / git.verify / git.history
// (abi/METHODS.md): arguments in, the shapes of docs/api-operator.md "Git" out.
#include "infra/clock.hpp"
#include "infra/json_util.hpp"
#include "services/git_service.hpp"
#include "services/service_error.hpp"
#include "services/service_registry.hpp"

#include <algorithm>

namespace oxios::kernel {
namespace {

using services::fail;

size_t limit_arg(const rapidjson::Value& in, int64_t fallback) {
    const int64_t v = json::opt_int(in, "limit").value_or(fallback);
    return static_cast<size_t>(std::clamp<int64_t>(v, 1, 500));
}

void commits(json::Builder& out, const std::vector<GitService::CommitInfo>& list) {
    out.begin_array();
    for (const auto& c : list) {
        out.begin_object()
            .field("hash", c.hash)
            .field("short_hash", c.short_hash)
            .field("message", c.message)
            .field("author", c.author)
            .field("timestamp", clock::format_rfc3339(c.time_secs * 1000000))
            .end_object();
    }
    out.end_array();
}

// A string argument that must not be empty when given.
std::optional<std::string> opt_nonempty(const rapidjson::Value& in, const char* key) {
    auto v = json::opt_string(in, key);
    if (v && v->empty()) fail(OXIOS_E_INVALID, std::string(key) + " must not be empty");
    return v;
}

Result log(GitService& git, const rapidjson::Value& in) {
    const auto list = git.log(limit_arg(in, 100));
    json::Builder out;
    out.begin_object().key("entries");
    commits(out, list);
    out.end_object();
    return out.result();
}

Result history(GitService& git, const rapidjson::Value& in) {
    const std::string path = json::req_string(in, "path");
    const auto list = git.history(path, limit_arg(in, 50));
    json::Builder out;
    out.begin_object().key("history");
    commits(out, list);
    out.field("count", list.size()).end_object();
    return out.result();
}

Result tags(GitService& git) {
    json::Builder out;
    out.begin_object().field("tags", git.tags()).end_object();
    return out.result();
}

Result tag(GitService& git, const rapidjson::Value& in) {
    const std::string name = json::req_string(in, "tag");
    const auto hash = opt_nonempty(in, "hash");
    const std::string target = git.tag(name, hash ? std::optional<std::string_view>(*hash) : std::nullopt);
    json::Builder out;
    out.begin_object().field("status", "created").field("tag", name).field("hash", target).end_object();
    return out.result();
}

Result restore(GitService& git, const rapidjson::Value& in) {
    const std::string hash = json::req_string(in, "hash");
    const auto path = opt_nonempty(in, "path");
    const auto r = git.restore(hash, path ? std::optional<std::string_view>(*path) : std::nullopt);
    return Result{OXIOS_OK, services::git::restore_json(r, true)};
}

Result verify(GitService& git) {
    const auto r = git.verify();
    json::Builder out;
    out.begin_object()
        .field("valid", r.error_count == 0)
        .field("head", r.head)
        .field("commits", r.commits)
        .field("objects", r.objects)
        .field("errors", r.errors)
        .end_object();
    return out.result();
}

}  // namespace

void register_git_service(ServiceRegistry& registry, const ServiceContext& ctx) {
    if (ctx.git == nullptr) return;
    GitService& git = *ctx.git;
    registry.add("git.log", [&git](const rapidjson::Value& in) { return log(git, in); });
    registry.add("git.history", [&git](const rapidjson::Value& in) { return history(git, in); });
    registry.add("git.tags", [&git](const rapidjson::Value&) { return tags(git); });
    registry.add("git.tag", [&git](const rapidjson::Value& in) { return tag(git, in); });
    registry.add("git.restore", [&git](const rapidjson::Value& in) { return restore(git, in); });
    registry.add("git.verify", [&git](const rapidjson::Value&) { return verify(git); });
}

}  // namespace oxios::kernel
