// Private: the harness's route table (same rules as the host's, abi header).
#pragma once

#include "oxios_plugin.h"

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace oxios::harness::detail {

struct RouteEntry {
    uint32_t kind = OXIOS_ROUTE_PLAIN;
    std::string method;   // as registered; "*" = any
    std::string pattern;  // as registered
    void* route_data = nullptr;
    std::vector<std::string> param_names;  // {name} and {*name}, in order
};

struct RouteMatch {
    const RouteEntry* route = nullptr;
    std::vector<std::string> values;  // one per route->param_names
};

// Patterns: "/" followed by segments separated by '/': literal text, `{name}`
// (one non-empty segment) or a final `{*name}` (the rest, may be empty).
// Precedence, segment by segment from the left: literal, then {name}, then
// {*name}. At one pattern, an exact method wins over "*".
class Router {
public:
    enum class Result { found, not_found, method_not_allowed };

    // OXIOS_OK, OXIOS_E_INVALID (malformed pattern/method/kind) or
    // OXIOS_E_CONFLICT (same method and pattern shape already registered).
    oxios_status add(const RouteEntry& entry, std::string* why = nullptr);

    // `segments` are the decoded path segments. method_not_allowed when no
    // route of this method matches but a route of another method that is not
    // a catch-all does.
    Result match(std::string_view method, const std::vector<std::string>& segments, RouteMatch& out) const;

    const std::vector<std::unique_ptr<RouteEntry>>& entries() const { return entries_; }
    void clear();

private:
    struct Node {
        std::map<std::string, std::unique_ptr<Node>, std::less<>> literal;
        std::unique_ptr<Node> param;
        std::unique_ptr<Node> rest;
        std::vector<const RouteEntry*> routes;  // routes whose pattern ends here
    };
    static const RouteEntry* pick(const Node& n, std::string_view method);
    bool find(const Node& n, size_t i, std::string_view method, const std::vector<std::string>& segs,
              RouteMatch& out) const;
    bool any(const Node& n, size_t i, const std::vector<std::string>& segs) const;

    Node root_;
    std::vector<std::unique_ptr<RouteEntry>> entries_;
};

}  // namespace oxios::harness::detail
