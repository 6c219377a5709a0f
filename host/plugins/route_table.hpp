// The host's route table: patterns registered by plugins, matched per request.
// Immutable once built; a reload builds a new table and swaps it in whole.
#pragma once

#include "oxios_plugin.h"

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oxios::plugins {

class PluginInstance;
struct RouteStats;

struct Route {
    std::string method;   // "GET", ..., "*" = any
    std::string pattern;  // "/api/sessions/{id}"
    oxios_route_kind kind = OXIOS_ROUTE_PLAIN;
    void* route_data = nullptr;
    std::shared_ptr<PluginInstance> owner;
    std::shared_ptr<RouteStats> stats;  // request counts and latencies

    struct Segment {
        enum Type { Literal = 0, Param = 1, Rest = 2 } type;
        std::string text;  // literal text or parameter name
    };
    std::vector<Segment> segments;
    std::vector<int> specificity;  // per segment: 0 literal, 1 param, 2 rest
};

using Params = std::vector<std::pair<std::string, std::string>>;

// Splits and validates a pattern; false when malformed (empty name, `{*x}`
// not last, not starting with '/').
bool parse_pattern(std::string_view pattern, std::vector<Route::Segment>& out);

// The path part of a request target ("/a/b?x=1" -> "/a/b"), still encoded.
inline std::string_view raw_path_of(std::string_view target) {
    auto q = target.find('?');
    return q == std::string_view::npos ? target : target.substr(0, q);
}

class RouteTable {
public:
    enum class Outcome { Found, NotFound, MethodNotAllowed };

    // Adds a route; false when the same method and pattern shape (literals,
    // parameter positions) is already present.
    bool add(Route route, std::string* why = nullptr);

    // Finds the most specific route for (method, raw path as sent, without
    // the query; segments are percent-decoded after splitting): literal
    // segments beat {param}, which beats {*rest}; an exact method beats "*".
    // MethodNotAllowed when only routes of other methods match the path with
    // no catch-all ({*rest} at the root) involved.
    Outcome match(std::string_view method, std::string_view raw_path, const Route*& route,
                  Params& params) const;

    const std::vector<Route>& routes() const { return routes_; }

private:
    std::vector<Route> routes_;
};

}  // namespace oxios::plugins
