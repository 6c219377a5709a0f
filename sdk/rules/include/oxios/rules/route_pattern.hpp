// Route patterns, as route_add takes them: "/" then segments separated by
// '/': literal text, `{name}` (one non-empty segment) or a final `{*name}`
// (the rest of the path, may be empty). Matching never folds a trailing slash.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oxios::rules {

struct Segment {
    // The order is the precedence: lower is more specific.
    enum Type { Literal = 0, Param = 1, Rest = 2 } type;
    std::string text;  // literal text or parameter name
};

using Params = std::vector<std::pair<std::string, std::string>>;

// Splits and validates a pattern into `out`; "" when valid, else why
// (not starting with '/', empty or bad parameter name, `{*x}` not last,
// a stray brace).
std::string parse_pattern(std::string_view pattern, std::vector<Segment>& out);

// "*" or 1..32 upper-case letters ("GET", "OPTIONS").
bool valid_method(std::string_view method);

// Whether decoded path segments match; params (when given) receive
// {name, value} per parameter, the rest joined with '/'.
bool match_segments(const std::vector<Segment>& pattern, const std::vector<std::string_view>& parts,
                    Params* params = nullptr);

// Convenience for one pattern against one decoded path ("/a/b"); false for a
// malformed pattern.
bool pattern_matches(std::string_view pattern, std::string_view path);

}  // namespace oxios::rules
