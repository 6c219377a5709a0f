// The host's route table: patterns registered by plugins, matched per request
// with the shared rules (oxios/rules/route_set.hpp). Immutable once built; a
// reload builds a new table and swaps it in whole.
#pragma once

#include "oxios_plugin.h"

#include <oxios/rules/percent.hpp>
#include <oxios/rules/route_set.hpp>

#include <memory>
#include <string>
#include <string_view>
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
};

using Params = rules::Params;
using rules::raw_path_of;

class RouteTable {
public:
    using Outcome = rules::RouteSet::Outcome;

    // Adds a route; OXIOS_E_INVALID for a bad method or pattern,
    // OXIOS_E_CONFLICT when the same method and pattern shape is present.
    oxios_status add(Route route, std::string* why = nullptr);

    // The most specific route for (method, raw path as sent, without the
    // query): see rules::RouteSet::match.
    Outcome match(std::string_view method, std::string_view raw_path, const Route*& route, Params& params) const;

    const std::vector<Route>& routes() const { return routes_; }

private:
    rules::RouteSet set_;
    std::vector<Route> routes_;  // parallel to set_'s entries
};

}  // namespace oxios::plugins
