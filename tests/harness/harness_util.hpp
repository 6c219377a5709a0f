// Private helpers of the mock host harness (not part of its public interface).
#pragma once

#include "oxios_plugin.h"

#include <oxios/rules/descriptor.hpp>
#include <oxios/rules/json_error.hpp>
#include <oxios/rules/oxios_str.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oxios::harness::detail {

using rules::str;
using rules::view;

// A random UUID v4 in its canonical lowercase 8-4-4-4-12 form.
std::string uuid_v4();
// RFC 3339 UTC with microseconds: 2026-05-27T10:11:12.123456Z
std::string rfc3339_us(int64_t unix_us);
// Wall clock in microseconds since the epoch.
int64_t real_now_us();

// ^[A-Za-z0-9_-]{1,128}$
bool valid_session_id(std::string_view id);
// Equality whose time depends only on the lengths, not on where the bytes differ.
bool constant_time_equal(std::string_view a, std::string_view b);
bool iequals(std::string_view a, std::string_view b);

using rules::json_error;
using rules::status_name;

// A parsed request target: "/a%20b/c?x=1&y=2".
struct Target {
    std::string raw;                    // as sent
    std::string path;                   // percent-decoded path
    std::vector<std::string> segments;  // decoded segments (rules::decode_segments: "/" -> {})
    std::string query;                  // raw, without '?'
    std::vector<std::pair<std::string, std::string>> query_params;  // decoded
};
// Fails (returns false, sets error) for a target that is not origin-form. A
// malformed escape stays literal, as in the host (oxios/rules/percent.hpp).
bool parse_target(std::string_view raw, Target& out, std::string& error);

}  // namespace oxios::harness::detail
