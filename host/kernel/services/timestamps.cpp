#include "services/timestamps.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace oxios::kernel::services::timestamps {

std::string rfc3339_utc(int64_t unix_us) {
    int64_t secs = unix_us / 1000000;
    int64_t micros = unix_us % 1000000;
    if (micros < 0) {
        micros += 1000000;
        secs -= 1;
    }
    std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<long long>(micros));
    return buf;
}

int64_t now_us(const std::function<int64_t()>& clock) {
    if (clock) return clock();
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace oxios::kernel::services::timestamps
