// Cron expressions (docs/api-operator.md, "Cron jobs"): parsing of 5- and 6-field
// schedules and macros, and the next fire time in UTC or the local zone with
// wall-clock DST rules (a time in a gap does not fire that day, a time in an
// overlap fires once). Pure: no state besides the C library's zone (TZ).
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace oxios::kernel::cron {

// A refused expression; what() is "invalid schedule: <why>" or
// "schedule never fires".
class ScheduleError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

struct Schedule {
    std::string text;  // trimmed, blanks collapsed
    std::bitset<60> seconds, minutes;
    std::bitset<24> hours;
    std::bitset<32> days;                           // 1..31
    std::bitset<13> months;                         // 1..12
    std::bitset<7> weekdays;                        // 0 = Sunday
    bool days_star = false, weekdays_star = false;  // field began with '*' (cron(8))
};

enum class Zone { local, utc };

// Throws ScheduleError for a malformed or refused expression (not for one
// that never fires: see check_fires).
Schedule parse(std::string_view text);

// The first fire time strictly after `after_secs` (Unix seconds), or nullopt
// when there is none within 5 years.
std::optional<int64_t> next_fire(const Schedule& s, int64_t after_secs, Zone zone);

// parse() + a fire time within 5 years of `now_secs`, else "schedule never fires".
Schedule parse_checked(std::string_view text, int64_t now_secs, Zone zone);

}  // namespace oxios::kernel::cron
