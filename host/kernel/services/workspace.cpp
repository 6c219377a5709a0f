// workspace.tree / workspace.read / workspace.write (abi/METHODS.md).
//
// Every path is relative to the workspace root and resolved by
// workspace_paths::resolve before anything is created or read, so no request
// reaches outside the root (`..`, absolute paths, NUL bytes, symlinks).
#include "infra/json_util.hpp"
#include "services/fs_util.hpp"
#include "services/git_service.hpp"
#include "services/service_error.hpp"
#include "services/service_registry.hpp"
#include "services/workspace_paths.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <mutex>
#include <shared_mutex>
#include <system_error>
#include <vector>

namespace oxios::kernel::services {
namespace {
namespace fs = std::filesystem;

constexpr size_t kMaxFileBytes = 1048576;

struct WorkspaceService {
    ServiceContext ctx;

    // The canonical root; created when missing (a fresh workspace).
    fs::path root() const {
        std::error_code ec;
        fs::create_directories(ctx.workspace, ec);
        fs::path canonical = fs::canonical(ctx.workspace, ec);
        if (ec) fail(OXIOS_E_IO, "workspace unavailable: " + ec.message());
        return canonical;
    }

    Result tree(const rapidjson::Value& in) const {
        std::string dir = json::opt_string(in, "dir").value_or("");
        fs::path base = root();
        const auto entries = workspace_paths::list_dir(base, workspace_paths::resolve(base, dir));
        return Result{OXIOS_OK, workspace_paths::entries_json(entries)};
    }

    Result read(const rapidjson::Value& in) const {
        std::string path = json::req_string(in, "path");
        auto resolved = workspace_paths::resolve(root(), path);
        struct stat st {};
        // Regular files only: a directory, FIFO or device is "not found".
        if (!resolved.exists || ::stat(resolved.real.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
            fail(OXIOS_E_NOT_FOUND, "file not found");
        std::optional<std::string> content;
        try {
            content = files::read_file(resolved.real);
        } catch (const std::system_error& e) {
            fail(OXIOS_E_IO, std::string("cannot read file: ") + e.code().message());
        }
        if (!content) fail(OXIOS_E_NOT_FOUND, "file not found");
        return Result{OXIOS_OK, std::move(*content)};  // raw bytes, not JSON
    }

    Result write(const rapidjson::Value& in) const {
        std::string path = json::req_string(in, "path");
        std::string content = json::req_string(in, "content");
        // Containment first: nothing is created for a refused path.
        const fs::path base = root();
        auto resolved = workspace_paths::resolve(base, path);
        if (resolved.relative.empty()) fail(OXIOS_E_INVALID, "path must name a file");
        // The repository and the host's state are the host's (docs/api.md, "Workspace").
        for (const char* reserved : {".git", ".oxios"})
            if (workspace_paths::is_within(base / reserved, resolved.real)) fail(OXIOS_E_DENIED, "path is reserved");
        if (content.size() > kMaxFileBytes)
            fail(OXIOS_E_TOO_LARGE, std::to_string(content.size()) + " bytes exceeds limit of " +
                                        std::to_string(kMaxFileBytes) + " bytes");
        struct stat st {};
        if (resolved.exists && ::stat(resolved.real.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
            fail(OXIOS_E_INVALID, "path is a directory");

        std::shared_lock<std::shared_mutex> restore_guard;  // a restore waits for this write
        if (ctx.git != nullptr) restore_guard = std::shared_lock(ctx.git->write_lock());
        try {
            files::create_dirs(resolved.real.parent_path());
        } catch (const std::system_error& e) {
            if (e.code() == std::errc::not_a_directory)
                fail(OXIOS_E_INVALID, "a parent of the path is not a directory");
            fail(OXIOS_E_IO, std::string("cannot create directory: ") + e.code().message());
        }
        try {
            files::write_atomic(resolved.real, content);
        } catch (const std::system_error& e) {
            fail(OXIOS_E_IO, std::string("cannot write file: ") + e.code().message());
        }
        const std::string written = resolved.real.lexically_relative(base).string();
        if (ctx.git != nullptr) ctx.git->changed("workspace", "write", written);
        if (ctx.workspace_written) ctx.workspace_written(written, !resolved.exists);
        json::Builder out;
        out.begin_object()
            .field("status", "saved")
            .field("path", resolved.relative)
            .field("bytes", content.size())
            .end_object();
        return out.result();
    }
};

}  // namespace
}  // namespace oxios::kernel::services

namespace oxios::kernel {

void register_workspace_service(ServiceRegistry& registry, const ServiceContext& ctx) {
    auto svc = std::make_shared<services::WorkspaceService>(services::WorkspaceService{ctx});
    registry.add("workspace.tree", [svc](const rapidjson::Value& in) { return svc->tree(in); });
    registry.add("workspace.read", [svc](const rapidjson::Value& in) { return svc->read(in); });
    registry.add("workspace.write", [svc](const rapidjson::Value& in) { return svc->write(in); });
}

}  // namespace oxios::kernel
