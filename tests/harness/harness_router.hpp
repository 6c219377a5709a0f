// Private: the harness's route table, the host's rules (oxios/rules/route_set.hpp)
// plus what a route carries (kind, route_data).
#pragma once

#include "oxios_plugin.h"

#include <oxios/rules/route_set.hpp>

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
};

struct RouteMatch {
    const RouteEntry* route = nullptr;
    rules::Params params;  // {name, decoded value} per parameter
};

class Router {
public:
    using Result = rules::RouteSet::Outcome;

    // OXIOS_OK, OXIOS_E_INVALID (bad route struct, method or pattern) or
    // OXIOS_E_CONFLICT (same method and pattern shape already registered).
    oxios_status add(const oxios_route* route, std::string* why = nullptr);
    // `segments` are the decoded path segments.
    Result match(std::string_view method, const std::vector<std::string>& segments, RouteMatch& out) const;

    const std::vector<std::unique_ptr<RouteEntry>>& entries() const { return entries_; }
    void clear();

private:
    rules::RouteSet set_;
    std::vector<std::unique_ptr<RouteEntry>> entries_;  // parallel to set_'s; stable addresses
};

}  // namespace oxios::harness::detail
