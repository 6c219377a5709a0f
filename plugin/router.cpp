#include "router.hpp"

namespace web {

std::vector<const RouteDef*> all_routes() {
    std::vector<const RouteDef*> out;
    for (auto table : {health_routes(), system_routes(), chat_routes(), sessions_routes(),
                       spaces_routes(), agents_routes(), config_routes(), workspace_routes(),
                       seeds_routes(), skills_routes(), memory_routes(), approvals_routes(),
                       engine_routes(), openapi_routes(),
                       channel_routes(), fallback_routes()}) {
        for (const auto& def : table) out.push_back(&def);
    }
    return out;
}

namespace {
// "/a/b" -> {"a","b"}; "/" -> {""}; "/a/" -> {"a",""}.
std::vector<std::string_view> segments(std::string_view s) {
    std::vector<std::string_view> out;
    s.remove_prefix(1);
    while (true) {
        const size_t slash = s.find('/');
        out.push_back(s.substr(0, slash));
        if (slash == std::string_view::npos) break;
        s.remove_prefix(slash + 1);
    }
    return out;
}
bool is_param(std::string_view seg) { return seg.size() >= 2 && seg.front() == '{' && seg.back() == '}'; }
bool is_rest(std::string_view seg) { return is_param(seg) && seg.size() >= 3 && seg[1] == '*'; }
}  // namespace

bool pattern_matches(std::string_view pattern, std::string_view path) {
    if (pattern.empty() || path.empty() || pattern[0] != '/' || path[0] != '/') return false;
    const auto psegs = segments(pattern);
    const auto segs = segments(path);
    for (size_t i = 0; i < psegs.size(); ++i) {
        if (is_rest(psegs[i])) return i <= segs.size();
        if (i >= segs.size()) return false;
        if (is_param(psegs[i])) {
            if (segs[i].empty()) return false;
        } else if (psegs[i] != segs[i]) {
            return false;
        }
    }
    return psegs.size() == segs.size();
}

}  // namespace web
