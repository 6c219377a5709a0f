#include "services/knowledge_vault.hpp"

#include "services/fs_util.hpp"
#include "services/git_service.hpp"
#include "services/service_error.hpp"

#include <rapidjson/encodings.h>
#include <rapidjson/stringbuffer.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <shared_mutex>
#include <system_error>

namespace oxios::kernel::services {
namespace fs = std::filesystem;

bool valid_utf8(std::string_view bytes) {
    rapidjson::MemoryStream in(bytes.data(), bytes.size());
    rapidjson::GenericStringBuffer<rapidjson::UTF8<>> sink;
    while (in.Tell() < bytes.size())
        if (!rapidjson::UTF8<>::Validate(in, sink)) return false;
    return true;
}

namespace {

bool is_dir(const fs::path& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_file(const workspace_paths::Resolved& r) {
    struct stat st {};
    return r.exists && ::stat(r.real.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

[[noreturn]] void io_failure(const char* what, const std::system_error& e) {
    fail(OXIOS_E_IO, std::string(what) + e.code().message());
}

}  // namespace

Vault::Vault(const fs::path& workspace, GitService* git, Listener listener)
    : workspace_(fs::canonical(workspace)), git_(git), listener_(std::move(listener)) {
    files::create_dirs(workspace_ / "knowledge");
    root_ = workspace_paths::resolve(workspace_, "knowledge").real;  // never a link out of the workspace
}

std::string Vault::workspace_relative(const fs::path& real) const {
    return real.lexically_relative(workspace_).string();
}

std::string Vault::tree_json(std::string_view dir) const {
    return workspace_paths::entries_json(workspace_paths::list_dir(root_, resolve(dir), true));
}

std::string Vault::read(std::string_view path) const {
    auto content = read_if_exists(path);
    if (!content) fail(OXIOS_E_NOT_FOUND, "file not found");
    return std::move(*content);
}

std::optional<std::string> Vault::read_if_exists(std::string_view path) const {
    const auto at = resolve(path);
    if (!is_file(at)) return std::nullopt;  // a directory, FIFO or device is "not found" too
    try {
        return files::read_file(at.real);
    } catch (const std::system_error& e) {
        io_failure("cannot read file: ", e);
    }
}

void Vault::write(std::string_view path, std::string_view content, std::string_view source, int64_t max_bytes) {
    const auto at = resolve(path);  // containment first: nothing is created for a refused path
    std::lock_guard lock(writes_);
    write_locked(at, content, source, max_bytes);
}

void Vault::edit(std::string_view path, std::string_view source, int64_t max_bytes,
                 const std::function<std::optional<std::string>(const std::optional<std::string>&)>& edit) {
    const auto at = resolve(path);
    std::lock_guard lock(writes_);
    auto next = edit(read_if_exists(path));
    if (next) write_locked(at, *next, source, max_bytes);
}

void Vault::write_locked(const workspace_paths::Resolved& at, std::string_view content, std::string_view source,
                         int64_t max_bytes) {
    if (at.relative.empty()) fail(OXIOS_E_INVALID, "path is required");
    if (static_cast<int64_t>(content.size()) > max_bytes)
        fail(OXIOS_E_TOO_LARGE,
             std::to_string(content.size()) + " bytes exceeds limit of " + std::to_string(max_bytes) + " bytes");
    if (!valid_utf8(content)) fail(OXIOS_E_INVALID, "body is not UTF-8");
    if (at.exists && is_dir(at.real)) fail(OXIOS_E_INVALID, "path is a directory");
    const bool existed = is_file(at);
    if (existed) {
        std::optional<std::string> old;
        try {
            old = files::read_file(at.real);
        } catch (const std::system_error& e) {
            io_failure("cannot read file: ", e);
        }
        if (old && !valid_utf8(*old)) fail(OXIOS_E_CONFLICT, "refusing to overwrite a binary file");
    }
    std::shared_lock<std::shared_mutex> restore_guard;  // a git restore waits for this write
    if (git_ != nullptr) restore_guard = std::shared_lock(git_->write_lock());
    try {
        files::create_dirs(at.real.parent_path());
    } catch (const std::system_error& e) {
        if (e.code() == std::errc::not_a_directory) fail(OXIOS_E_INVALID, "a parent of the path is not a directory");
        io_failure("cannot create directory: ", e);
    }
    try {
        files::write_atomic(at.real, content);
    } catch (const std::system_error& e) {
        io_failure("cannot write file: ", e);
    }
    if (git_ != nullptr) git_->changed("knowledge", "write", workspace_relative(at.real));
    if (listener_) listener_(at.relative, existed ? Change::updated : Change::created, source, std::string(content));
}

void Vault::remove(std::string_view path) {
    const auto at = resolve(path);
    if (at.relative.empty()) fail(OXIOS_E_DENIED, "the vault itself cannot be deleted");
    std::lock_guard lock(writes_);
    std::shared_lock<std::shared_mutex> restore_guard;
    if (git_ != nullptr) restore_guard = std::shared_lock(git_->write_lock());
    if (!at.exists) fail(OXIOS_E_NOT_FOUND, "file not found");
    std::error_code ec;
    if (is_dir(at.real)) {
        for (fs::directory_iterator it(at.real, ec), end; !ec && it != end; it.increment(ec))
            if (it->path().filename() != ".keep") fail(OXIOS_E_CONFLICT, "directory not empty");
        if (::unlink((at.real / ".keep").c_str()) != 0 && errno != ENOENT)
            fail(OXIOS_E_IO, "cannot delete: " + std::generic_category().message(errno));
        if (::rmdir(at.real.c_str()) != 0) fail(OXIOS_E_IO, "cannot delete: " + std::generic_category().message(errno));
    } else if (::unlink(at.real.c_str()) != 0) {
        if (errno == ENOENT) fail(OXIOS_E_NOT_FOUND, "file not found");
        fail(OXIOS_E_IO, "cannot delete: " + std::generic_category().message(errno));
    }
    try {
        files::fsync_dir(at.real.parent_path());
    } catch (const std::system_error&) {
        // The entry is gone; durability of its removal is best effort.
    }
    if (git_ != nullptr) git_->changed("knowledge", "delete", workspace_relative(at.real));
    if (listener_) listener_(at.relative, Change::deleted, "file", std::nullopt);
}

}  // namespace oxios::kernel::services
