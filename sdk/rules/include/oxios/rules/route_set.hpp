// A set of routes and the one matching rule host and harness share: the
// most specific pattern wins (segment by segment: literal, then {name}, then
// {*name}); at one pattern an exact method beats "*". Immutable once built.
#pragma once

#include "oxios/rules/route_pattern.hpp"
#include "oxios_plugin.h"

#include <string>
#include <string_view>
#include <vector>

namespace oxios::rules {

class RouteSet {
public:
    enum class Outcome { Found, NotFound, MethodNotAllowed };

    struct Entry {
        std::string method;  // "GET", ..., "*" = any
        std::string pattern;
        std::vector<Segment> segments;
        std::vector<int> specificity;  // one Segment::Type per segment
    };

    // OXIOS_OK (the entry's index is size()-1), OXIOS_E_INVALID (bad method
    // or pattern) or OXIOS_E_CONFLICT (same method and pattern shape: same
    // literals, parameters at the same places). `why` says which.
    oxios_status add(std::string_view method, std::string_view pattern, std::string* why = nullptr);

    // Matches a RAW path (no query; segments are percent-decoded after the
    // split). MethodNotAllowed when only routes of other methods match, a
    // catch-all at the root ("/{*x}") not counting; `index` is the entry's.
    Outcome match(std::string_view method, std::string_view raw_path, size_t& index, Params& params) const;
    // The same on already decoded segments.
    Outcome match_decoded(std::string_view method, const std::vector<std::string_view>& parts, size_t& index,
                          Params& params) const;

    const std::vector<Entry>& entries() const { return entries_; }
    size_t size() const { return entries_.size(); }

private:
    std::vector<Entry> entries_;
    // The entries a path of N segments can match: by_count_[N] (patterns of
    // exactly N segments, no {*rest}) and with_rest_ (any length), in index
    // order. Matching visits these instead of every entry.
    std::vector<std::vector<size_t>> by_count_;
    std::vector<size_t> with_rest_;
};

}  // namespace oxios::rules
