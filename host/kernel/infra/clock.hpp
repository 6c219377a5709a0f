// Wall-clock time and RFC 3339 timestamps (UTC, microseconds).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace oxios::kernel::clock {

int64_t now_us();  // µs since the Unix epoch

// "2026-05-27T10:11:12.123456Z"
std::string format_rfc3339(int64_t unix_us);

// Parses RFC 3339 ("Z" or "+hh:mm"/"-hh:mm", any number of fraction digits).
std::optional<int64_t> parse_rfc3339(std::string_view s);

}  // namespace oxios::kernel::clock
