// RFC 3339 UTC timestamps as API.md writes them: 2026-05-27T10:11:12.123456Z.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace oxios::kernel::services::timestamps {

// Formats microseconds since the Unix epoch.
std::string rfc3339_utc(int64_t unix_us);

// ctx.now_us when set, else the system clock.
int64_t now_us(const std::function<int64_t()>& clock);

}  // namespace oxios::kernel::services::timestamps
