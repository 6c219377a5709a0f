// Percent-decoding, once, the same way on both sides of the ABI.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace oxios::rules {

// Decodes %XX escapes into `out` (cleared first). An escape that is not two
// hex digits stays literal ("%zz", a trailing "%4"). plus_as_space: '+' ->
// ' ' (query strings only; in a path '+' is a '+').
void percent_decode(std::string_view in, std::string& out, bool plus_as_space = false);
std::string percent_decode(std::string_view in, bool plus_as_space = false);

// The path of a request target, still encoded: "/a/b?x=1#f" -> "/a/b".
std::string_view raw_path_of(std::string_view target);

// Splits a path on '/' after the leading one: "/a/b" -> {"a","b"}, "/" -> {},
// "/a/" -> {"a",""}, "" -> {}.
void split_path(std::string_view path, std::vector<std::string_view>& out);

// Splits the RAW path first, then decodes each segment, so an encoded slash
// ("a%2Fb") stays inside its segment instead of changing the route.
void decode_segments(std::string_view raw_path, std::vector<std::string>& out);

// "/" + segments joined by '/': the decoded path a plugin sees.
std::string join_path(const std::vector<std::string>& segments);

}  // namespace oxios::rules
