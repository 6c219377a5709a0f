#include "services/knowledge_paths.hpp"

#include "services/service_error.hpp"

#include <string>
#include <vector>

namespace oxios::kernel::services::knowledge_paths {
namespace {

[[noreturn]] void denied() { fail(OXIOS_E_DENIED, "path traversal denied"); }

std::vector<std::string_view> components(std::string_view path) {
    std::vector<std::string_view> out;
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        if (end > start) out.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

}  // namespace

workspace_paths::Resolved resolve(const std::filesystem::path& vault, std::string_view relative) {
    // Traversal (403) is judged before the shape (400), lexically first.
    if (relative.find('\0') != std::string_view::npos || relative.find('\\') != std::string_view::npos) denied();
    if (!relative.empty() && relative.front() == '/') denied();
    const auto parts = components(relative);
    size_t depth = 0;
    for (auto part : parts) {
        if (part == "..") {
            if (depth == 0) denied();
            --depth;
        } else if (part != ".") {
            ++depth;
        }
    }
    if (relative.size() > kMaxPathBytes) fail(OXIOS_E_INVALID, "path is too long");
    for (size_t i = 0; i < parts.size(); ++i) {
        const auto part = parts[i];
        if (part.size() > kMaxComponentBytes) fail(OXIOS_E_INVALID, "path component is too long");
        if (part == "." || part == "..") continue;
        if (hidden(part) && !(i + 1 == parts.size() && part == ".keep")) fail(OXIOS_E_INVALID, "hidden path");
    }
    return workspace_paths::resolve(vault, relative);  // symlinks leading out
}

}  // namespace oxios::kernel::services::knowledge_paths
