// Private helpers of the mock host harness (not part of its public interface).
#pragma once

#include "oxios_plugin.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oxios::harness::detail {

inline std::string_view view(oxios_str s) {
    return (s.ptr && s.len) ? std::string_view(s.ptr, s.len) : std::string_view();
}
inline oxios_str str(std::string_view s) { return oxios_str{s.data(), s.size()}; }

// A random UUID v4 in its canonical lowercase 8-4-4-4-12 form.
std::string uuid_v4();
// RFC 3339 UTC with microseconds: 2026-05-27T10:11:12.123456Z
std::string rfc3339_us(int64_t unix_us);
// Wall clock in microseconds since the epoch.
int64_t real_now_us();

// Percent-decodes `in` into `out`. plus_as_space: '+' -> ' ' (query strings).
// strict: a malformed escape fails (returns false); otherwise it is kept as is.
bool percent_decode(std::string_view in, std::string& out, bool plus_as_space, bool strict);

// ^[A-Za-z0-9_-]{1,128}$
bool valid_session_id(std::string_view id);
// Equality whose time depends only on the lengths, not on where the bytes differ.
bool constant_time_equal(std::string_view a, std::string_view b);
bool iequals(std::string_view a, std::string_view b);

// {"error": message}
std::string json_error(std::string_view message);
const char* status_name(oxios_status s);

// A parsed request target: "/a%20b/c?x=1&y=2".
struct Target {
    std::string raw;                  // as sent
    std::string path;                 // percent-decoded path
    std::vector<std::string> segments;  // decoded segments ("/" -> {""})
    std::string query;                // raw, without '?'
    std::vector<std::pair<std::string, std::string>> query_params;  // decoded
};
// Fails (returns false, sets error) for a target that is not origin-form or
// whose path has a malformed escape.
bool parse_target(std::string_view raw, Target& out, std::string& error);

}  // namespace oxios::harness::detail
