// The vault's path rules (docs/api-knowledge.md, "Knowledge", rule 1): what a
// vault-relative path may be, checked before anything touches the disk.
#pragma once

#include "services/workspace_paths.hpp"

#include <filesystem>
#include <string_view>

namespace oxios::kernel::services::knowledge_paths {

constexpr size_t kMaxPathBytes = 1024;
constexpr size_t kMaxComponentBytes = 255;

// Resolves `relative` inside `vault` (absolute, canonical). ServiceError:
//  - DENIED "path traversal denied": NUL, `\`, absolute, `..` leaving the
//    vault, a symlink leading out (workspace_paths::resolve);
//  - INVALID "path is too long" (> 1,024 bytes), "path component is too long"
//    (> 255 bytes), "hidden path" (a component starting with `.`, except a
//    final `.keep`).
workspace_paths::Resolved resolve(const std::filesystem::path& vault, std::string_view relative);

// True for a name the vault hides (dot-names: tree listings, the index).
inline bool hidden(std::string_view name) { return !name.empty() && name.front() == '.'; }

}  // namespace oxios::kernel::services::knowledge_paths
