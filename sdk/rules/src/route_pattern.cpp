#include "oxios/rules/route_pattern.hpp"

#include "oxios/rules/percent.hpp"

namespace oxios::rules {

std::string parse_pattern(std::string_view pattern, std::vector<Segment>& out) {
    out.clear();
    if (pattern.empty() || pattern.front() != '/') return "pattern must start with '/'";
    std::vector<std::string_view> parts;
    split_path(pattern, parts);
    const std::string quoted = "'" + std::string(pattern) + "'";
    for (size_t i = 0; i < parts.size(); ++i) {
        std::string_view p = parts[i];
        if (p.size() >= 2 && p.front() == '{' && p.back() == '}') {
            std::string_view name = p.substr(1, p.size() - 2);
            const bool rest = !name.empty() && name.front() == '*';
            if (rest) name.remove_prefix(1);
            if (name.empty() || name.find_first_of("{}*") != std::string_view::npos)
                return "bad parameter name in " + quoted;
            if (rest && i + 1 != parts.size()) return "{*" + std::string(name) + "} must be the last segment";
            out.push_back({rest ? Segment::Rest : Segment::Param, std::string(name)});
        } else {
            if (p.find_first_of("{}") != std::string_view::npos) return "malformed segment in " + quoted;
            out.push_back({Segment::Literal, std::string(p)});
        }
    }
    return {};
}

bool valid_method(std::string_view m) {
    if (m == "*") return true;
    if (m.empty() || m.size() > 32) return false;
    for (char c : m)
        if (c < 'A' || c > 'Z') return false;
    return true;
}

bool match_segments(const std::vector<Segment>& pattern, const std::vector<std::string_view>& parts, Params* params) {
    size_t i = 0;
    for (; i < pattern.size(); ++i) {
        const Segment& seg = pattern[i];
        if (seg.type == Segment::Rest) {
            if (params) {
                std::string rest;
                for (size_t j = i; j < parts.size(); ++j) {
                    if (j > i) rest += '/';
                    rest += parts[j];
                }
                params->emplace_back(seg.text, std::move(rest));
            }
            return true;
        }
        if (i >= parts.size()) return false;
        if (seg.type == Segment::Literal) {
            if (seg.text != parts[i]) return false;
        } else {
            if (parts[i].empty()) return false;
            if (params) params->emplace_back(seg.text, std::string(parts[i]));
        }
    }
    return i == parts.size();
}

bool pattern_matches(std::string_view pattern, std::string_view path) {
    std::vector<Segment> segs;
    if (!parse_pattern(pattern, segs).empty() || path.empty() || path.front() != '/') return false;
    std::vector<std::string_view> parts;
    split_path(path, parts);
    return match_segments(segs, parts);
}

}  // namespace oxios::rules
