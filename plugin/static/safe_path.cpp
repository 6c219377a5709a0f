#include "static/safe_path.hpp"

#include <limits.h>
#include <stdlib.h>

namespace web {

std::optional<std::string> real_path(const std::string& p) {
    char buf[PATH_MAX];
    if (::realpath(p.c_str(), buf) == nullptr) return std::nullopt;
    return std::string(buf);
}

std::optional<std::vector<std::string_view>> safe_segments(std::string_view path) {
    std::vector<std::string_view> out;
    if (path.empty() || path.front() != '/') return std::nullopt;
    path.remove_prefix(1);
    while (true) {
        const size_t slash = path.find('/');
        const std::string_view seg = path.substr(0, slash);
        if (seg == "." || seg == ".." || seg.find('\0') != std::string_view::npos ||
            seg.find('\\') != std::string_view::npos) {
            return std::nullopt;
        }
        if (seg.empty() && slash != std::string_view::npos) return std::nullopt;  // "//"
        if (!seg.empty()) out.push_back(seg);
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return out;
}

bool inside(const std::string& root, const std::string& path) {
    if (root == "/") return path.size() > 1 && path.front() == '/';
    return path.size() > root.size() + 1 && path.starts_with(root) && path[root.size()] == '/';
}

}  // namespace web
