#include "harness_router.hpp"

namespace oxios::harness::detail {

namespace {

bool valid_method(std::string_view m) {
    if (m == "*") return true;
    if (m.empty() || m.size() > 32) return false;
    for (char c : m)
        if (!(c >= 'A' && c <= 'Z')) return false;
    return true;
}

bool valid_name(std::string_view n) {
    if (n.empty()) return false;
    for (char c : n)
        if (c == '{' || c == '}' || c == '/' || c == '*') return false;
    return true;
}

}  // namespace

oxios_status Router::add(const RouteEntry& entry, std::string* why) {
    auto fail = [&](oxios_status st, std::string text) {
        if (why) *why = std::move(text);
        return st;
    };
    if (entry.kind > OXIOS_ROUTE_WEBSOCKET) return fail(OXIOS_E_INVALID, "unknown route kind");
    if (!valid_method(entry.method)) return fail(OXIOS_E_INVALID, "invalid method '" + entry.method + "'");
    const std::string& p = entry.pattern;
    if (p.empty() || p.front() != '/') return fail(OXIOS_E_INVALID, "pattern must start with '/'");

    auto e = std::make_unique<RouteEntry>(entry);
    e->param_names.clear();
    Node* node = &root_;
    std::string_view rest = std::string_view(p).substr(1);
    for (;;) {
        const auto slash = rest.find('/');
        const std::string_view seg = rest.substr(0, slash);
        const bool last = slash == std::string_view::npos;
        if (!seg.empty() && seg.front() == '{') {
            if (seg.back() != '}' || seg.size() < 3) return fail(OXIOS_E_INVALID, "malformed parameter in '" + p + "'");
            std::string_view name = seg.substr(1, seg.size() - 2);
            if (name.front() == '*') {
                name.remove_prefix(1);
                if (!last) return fail(OXIOS_E_INVALID, "{*" + std::string(name) + "} must be the last segment");
                if (!valid_name(name)) return fail(OXIOS_E_INVALID, "bad parameter name in '" + p + "'");
                e->param_names.emplace_back(name);
                if (!node->rest) node->rest = std::make_unique<Node>();
                node = node->rest.get();
            } else {
                if (!valid_name(name)) return fail(OXIOS_E_INVALID, "bad parameter name in '" + p + "'");
                e->param_names.emplace_back(name);
                if (!node->param) node->param = std::make_unique<Node>();
                node = node->param.get();
            }
        } else {
            if (seg.find('{') != std::string_view::npos || seg.find('}') != std::string_view::npos)
                return fail(OXIOS_E_INVALID, "malformed segment in '" + p + "'");
            auto it = node->literal.find(seg);
            if (it == node->literal.end())
                it = node->literal.emplace(std::string(seg), std::make_unique<Node>()).first;
            node = it->second.get();
        }
        if (last) break;
        rest = rest.substr(slash + 1);
    }
    for (const RouteEntry* r : node->routes)
        if (r->method == e->method)
            return fail(OXIOS_E_CONFLICT, e->method + " " + p + " conflicts with " + r->method + " " + r->pattern);
    node->routes.push_back(e.get());
    entries_.push_back(std::move(e));
    return OXIOS_OK;
}

const RouteEntry* Router::pick(const Node& n, std::string_view method) {
    const RouteEntry* any = nullptr;
    for (const RouteEntry* r : n.routes) {
        if (r->method == method) return r;
        if (r->method == "*") any = r;
    }
    return any;
}

bool Router::find(const Node& n, size_t i, std::string_view method, const std::vector<std::string>& segs,
                  RouteMatch& out) const {
    if (i == segs.size()) {
        if (const RouteEntry* r = pick(n, method)) {
            out.route = r;
            return true;
        }
    } else {
        if (auto it = n.literal.find(segs[i]); it != n.literal.end())
            if (find(*it->second, i + 1, method, segs, out)) return true;
        if (n.param && !segs[i].empty()) {
            out.values.push_back(segs[i]);
            if (find(*n.param, i + 1, method, segs, out)) return true;
            out.values.pop_back();
        }
    }
    if (n.rest) {
        if (const RouteEntry* r = pick(*n.rest, method)) {
            std::string joined;
            for (size_t k = i; k < segs.size(); ++k) {
                if (k > i) joined.push_back('/');
                joined += segs[k];
            }
            out.values.push_back(std::move(joined));
            out.route = r;
            return true;
        }
    }
    return false;
}

bool Router::any(const Node& n, size_t i, const std::vector<std::string>& segs) const {
    if (i == segs.size()) return !n.routes.empty();
    if (auto it = n.literal.find(segs[i]); it != n.literal.end())
        if (any(*it->second, i + 1, segs)) return true;
    if (n.param && !segs[i].empty() && any(*n.param, i + 1, segs)) return true;
    return false;
}

Router::Result Router::match(std::string_view method, const std::vector<std::string>& segments,
                             RouteMatch& out) const {
    out.route = nullptr;
    out.values.clear();
    if (find(root_, 0, method, segments, out)) return Result::found;
    out.values.clear();
    return any(root_, 0, segments) ? Result::method_not_allowed : Result::not_found;
}

void Router::clear() {
    root_ = Node{};
    entries_.clear();
}

}  // namespace oxios::harness::detail
