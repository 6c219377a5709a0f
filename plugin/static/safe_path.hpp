// Path safety for the UI directory: no request path leads out of it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace web {

// realpath(3): every symlink resolved; nullopt when it does not exist.
std::optional<std::string> real_path(const std::string& p);

// The request path's segments when every one is harmless, else nullopt:
// no "." or "..", no NUL, no backslash (a separator elsewhere), no empty
// segment except a trailing one ("/dir/").
std::optional<std::vector<std::string_view>> safe_segments(std::string_view path);

// `path` (resolved) is strictly below `root` (resolved).
bool inside(const std::string& root, const std::string& path);

}  // namespace web
