#include "plugins/route_table.hpp"

#include <algorithm>

namespace oxios::plugins {
namespace {

// Splits "/a/b/c" into {"a","b","c"}; "/" into {}. A trailing slash yields a
// final empty segment ("/a/" -> {"a",""}).
void split_path(std::string_view path, std::vector<std::string_view>& out) {
    out.clear();
    if (path.empty() || path == "/") return;
    size_t start = path.front() == '/' ? 1 : 0;
    for (;;) {
        size_t slash = path.find('/', start);
        if (slash == std::string_view::npos) {
            out.push_back(path.substr(start));
            return;
        }
        out.push_back(path.substr(start, slash - start));
        start = slash + 1;
    }
}

// Specificity: one digit per segment (0 literal, 1 param, 2 rest), compared
// lexicographically; lower is more specific.
std::vector<int> specificity(const Route& r) {
    std::vector<int> s;
    for (auto& seg : r.segments) s.push_back(static_cast<int>(seg.type));
    return s;
}

bool same_shape(const Route& a, const Route& b) {
    if (a.method != b.method || a.segments.size() != b.segments.size()) return false;
    for (size_t i = 0; i < a.segments.size(); ++i) {
        auto& x = a.segments[i];
        auto& y = b.segments[i];
        if (x.type != y.type) return false;
        if (x.type == Route::Segment::Literal && x.text != y.text) return false;
    }
    return true;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Percent-decodes one path segment ("%2e%2e%2f" -> "../"); '+' stays '+'.
void decode_into(std::string_view raw, std::string& out) {
    out.clear();
    for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '%' && i + 2 < raw.size()) {
            int h = hex_value(raw[i + 1]), l = hex_value(raw[i + 2]);
            if (h >= 0 && l >= 0) {
                out += static_cast<char>(h * 16 + l);
                i += 2;
                continue;
            }
        }
        out += raw[i];
    }
}

bool matches(const Route& r, const std::vector<std::string_view>& parts, Params* params) {
    size_t i = 0;
    for (; i < r.segments.size(); ++i) {
        auto& seg = r.segments[i];
        if (seg.type == Route::Segment::Rest) {
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
        if (seg.type == Route::Segment::Literal) {
            if (seg.text != parts[i]) return false;
        } else {
            if (parts[i].empty()) return false;
            if (params) params->emplace_back(seg.text, std::string(parts[i]));
        }
    }
    return i == parts.size();
}

}  // namespace

bool parse_pattern(std::string_view pattern, std::vector<Route::Segment>& out) {
    out.clear();
    if (pattern.empty() || pattern.front() != '/') return false;
    std::vector<std::string_view> parts;
    split_path(pattern, parts);
    for (size_t i = 0; i < parts.size(); ++i) {
        auto p = parts[i];
        if (p.size() >= 2 && p.front() == '{' && p.back() == '}') {
            auto name = p.substr(1, p.size() - 2);
            if (!name.empty() && name.front() == '*') {
                name.remove_prefix(1);
                if (name.empty() || i + 1 != parts.size()) return false;
                out.push_back({Route::Segment::Rest, std::string(name)});
            } else {
                if (name.empty()) return false;
                out.push_back({Route::Segment::Param, std::string(name)});
            }
        } else {
            if (p.find_first_of("{}") != std::string_view::npos) return false;
            out.push_back({Route::Segment::Literal, std::string(p)});
        }
    }
    return true;
}

bool RouteTable::add(Route route, std::string* why) {
    if (route.segments.empty() && route.pattern != "/" &&
        !parse_pattern(route.pattern, route.segments)) {
        if (why) *why = "malformed route pattern: " + route.pattern;
        return false;
    }
    for (auto& existing : routes_) {
        if (same_shape(existing, route)) {
            if (why) *why = "route conflict: " + route.method + " " + route.pattern +
                            " is already registered as " + existing.pattern;
            return false;
        }
    }
    route.specificity = specificity(route);
    routes_.push_back(std::move(route));
    return true;
}

RouteTable::Outcome RouteTable::match(std::string_view method, std::string_view raw_path,
                                      const Route*& route, Params& params) const {
    // Split the RAW path on '/' first, then decode each segment: an encoded
    // slash ("..%2f..") stays inside its segment, so it reaches the route's
    // parameter (and its validation) instead of changing the route.
    thread_local std::vector<std::string_view> raw_parts, parts;
    thread_local std::vector<std::string> decoded;
    split_path(raw_path, raw_parts);
    if (decoded.size() < raw_parts.size()) decoded.resize(raw_parts.size());
    parts.clear();
    for (size_t i = 0; i < raw_parts.size(); ++i) {
        if (raw_parts[i].find('%') == std::string_view::npos) {
            parts.push_back(raw_parts[i]);
        } else {
            decode_into(raw_parts[i], decoded[i]);
            parts.push_back(decoded[i]);
        }
    }
    const Route* best = nullptr;
    bool other_method = false;
    for (auto& r : routes_) {
        bool method_ok = r.method == method || r.method == "*";
        if (!matches(r, parts, nullptr)) continue;
        if (!method_ok) {
            // A catch-all at the root does not make a path "known".
            bool root_catch_all = !r.segments.empty() && r.segments.front().type == Route::Segment::Rest;
            if (!root_catch_all) other_method = true;
            continue;
        }
        bool better = !best || r.specificity < best->specificity ||
                      (r.specificity == best->specificity && best->method == "*" && r.method != "*");
        if (better) best = &r;
    }
    if (best) {
        bool best_is_root_catch_all =
            !best->segments.empty() && best->segments.front().type == Route::Segment::Rest;
        if (best_is_root_catch_all && other_method) return Outcome::MethodNotAllowed;
        params.clear();
        matches(*best, parts, &params);
        route = best;
        return Outcome::Found;
    }
    return other_method ? Outcome::MethodNotAllowed : Outcome::NotFound;
}

}  // namespace oxios::plugins
