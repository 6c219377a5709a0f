#include "marketplace/install.hpp"

#include "audit/audit_chain.hpp"
#include "infra/clock.hpp"
#include "infra/json_util.hpp"
#include "infra/uuid.hpp"
#include "marketplace/remote.hpp"
#include "services/front_matter.hpp"
#include "services/fs_util.hpp"
#include "services/service_error.hpp"

#include <fcntl.h>
#include <stdio.h>

#include <cerrno>
#include <cstring>

namespace oxios::kernel::marketplace {

namespace fs = std::filesystem;
using services::fail;

namespace {

constexpr int kMaxDepth = 8;

// Removes the staging directory unless the install completed.
struct Staging {
    fs::path path;
    bool keep = false;
    ~Staging() {
        std::error_code ec;
        if (!keep) fs::remove_all(path, ec);
    }
};

[[noreturn]] void invalid(const std::string& slug, const std::string& why) {
    fail(OXIOS_E_UPSTREAM, "invalid skill '" + slug + "': " + why);
}

// The limits of rule 4, counted over one skill's files.
struct Limits {
    const Listing& l;
    const Settings& s;
    int64_t files = 0, bytes = 0;

    // A relative path without dot components, at most 8 deep.
    void check_path(const fs::path& rel) const {
        if (rel.empty() || rel.is_absolute()) invalid(l.slug, "not a relative path: " + rel.string());
        int depth = 0;
        for (const auto& part : rel) {
            if (part.string().empty() || part.string().front() == '.') invalid(l.slug, "dot path " + rel.string());
            ++depth;
        }
        if (depth > kMaxDepth) invalid(l.slug, "deeper than 8: " + rel.string());
    }
    void count_file() {
        if (++files > s.max_files)
            fail(OXIOS_E_TOO_LARGE, "skill has more than " + std::to_string(s.max_files) + " files");
    }
    void count_bytes(int64_t n) {
        bytes += n;
        if (bytes > s.max_skill_bytes)
            fail(OXIOS_E_TOO_LARGE, "skill is larger than " + std::to_string(s.max_skill_bytes) + " bytes");
    }
};

// Copies the registry's skill directory into `to`, checking every entry.
void copy_checked(const Listing& l, const Settings& s, const fs::path& to) {
    Limits limits{l, s};
    std::error_code ec;
    auto it = fs::recursive_directory_iterator(l.dir, fs::directory_options::none, ec);
    if (ec) fail(OXIOS_E_IO, "cannot read registry skill: " + ec.message());
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) fail(OXIOS_E_IO, "cannot read registry skill: " + ec.message());
        const fs::path rel = it->path().lexically_relative(l.dir);
        limits.check_path(rel);
        const auto st = it->symlink_status(ec);
        if (fs::is_symlink(st)) invalid(l.slug, "symlink " + rel.string());
        if (fs::is_directory(st)) {
            fs::create_directories(to / rel);
            continue;
        }
        if (!fs::is_regular_file(st)) invalid(l.slug, "not a regular file: " + rel.string());
        limits.count_file();
        limits.count_bytes(static_cast<int64_t>(it->file_size(ec)));
        fs::copy_file(it->path(), to / rel, ec);
        if (ec) fail(OXIOS_E_IO, "cannot copy " + rel.string() + ": " + ec.message());
    }
}

// Fetches an index skill's files into `to`, all before `deadline`.
void fetch_checked(const Listing& l, const Settings& s, const fs::path& to, Deadline deadline) {
    Limits limits{l, s};
    for (const auto& f : l.files) {
        const fs::path rel(f.path);
        limits.check_path(rel);
        limits.count_file();
        std::error_code ec;
        if (fs::exists(to / rel, ec)) invalid(l.slug, "file " + f.path + " given twice");
        const auto body = fetch(f.url, deadline, static_cast<size_t>(s.max_skill_bytes - limits.bytes));
        limits.count_bytes(body ? static_cast<int64_t>(body->size()) : s.max_skill_bytes + 1);
        if (f.sha256 && audit::sha256_hex(*body) != *f.sha256) invalid(l.slug, "sha256 mismatch for " + f.path);
        fs::create_directories((to / rel).parent_path(), ec);
        services::files::write_atomic(to / rel, *body);
    }
}

}  // namespace

Installed install(const Listing& l, const Settings& s, const std::string& workspace, const std::string& registry_name,
                  int64_t now_us, Deadline deadline) {
    const fs::path skills = fs::path(workspace) / "skills";
    const fs::path target = skills / l.slug;
    std::error_code ec;
    if (fs::exists(target, ec)) fail(OXIOS_E_CONFLICT, "skill already installed");
    services::files::create_dirs(skills);
    Staging staging{skills / (".install-" + uuid_v4())};
    fs::create_directory(staging.path, ec);
    if (ec) fail(OXIOS_E_IO, "cannot stage the install: " + ec.message());

    if (!l.dir.empty())
        copy_checked(l, s, staging.path);
    else
        fetch_checked(l, s, staging.path, deadline);
    const auto text = services::files::read_file(staging.path / "SKILL.md");
    if (!text) invalid(l.slug, "no SKILL.md");
    if (!services::parse_front_matter(*text).text("name")) invalid(l.slug, "SKILL.md has no name");

    json::Builder origin;
    origin.begin_object()
        .field("registry", registry_name)
        .field("version", l.version)
        .field("installed_at", clock::format_rfc3339(now_us))
        .end_object();
    services::files::write_atomic(staging.path / ".origin.json", origin.str());

    // Never overwrites: the loser of two concurrent installs gets EEXIST.
    if (::renameat2(AT_FDCWD, staging.path.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) != 0) {
        if (errno == EEXIST || errno == ENOTEMPTY) fail(OXIOS_E_CONFLICT, "skill already installed");
        fail(OXIOS_E_IO, std::string("cannot install: ") + std::strerror(errno));
    }
    staging.keep = true;
    services::files::fsync_dir(skills);
    return Installed{l.slug, l.version};
}

}  // namespace oxios::kernel::marketplace
