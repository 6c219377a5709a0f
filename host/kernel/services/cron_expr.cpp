#include "services/cron_expr.hpp"

#include <array>
#include <cctype>
#include <ctime>
#include <vector>

namespace oxios::kernel::cron {
namespace {

constexpr std::string_view kInvalid = "invalid schedule: ";
constexpr int64_t kFiveYearsSecs = 5 * 36525 * 864;  // 5 * 365.25 days

[[noreturn]] void refuse(const std::string& why) { throw ScheduleError(std::string(kInvalid) + why); }

struct FieldSpec {
    const char* name;
    int min, max;
    std::array<const char*, 12> names;  // names[i] = value first_name + i
    int first_name;
};

constexpr FieldSpec kSeconds{"second", 0, 59, {}, 0};
constexpr FieldSpec kMinutes{"minute", 0, 59, {}, 0};
constexpr FieldSpec kHours{"hour", 0, 23, {}, 0};
constexpr FieldSpec kDays{"day-of-month", 1, 31, {}, 0};
constexpr FieldSpec kMonths{
    "month", 1, 12, {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}, 1};
constexpr FieldSpec kWeekdays{"day-of-week", 0, 7, {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}, 0};

// Quartz/Jenkins extensions that cron(8) does not have.
bool is_extension(std::string_view token) {
    if (token == "L" || token == "W" || token == "LW" || token == "H") return true;
    if (token.size() < 2 || (token.back() != 'L' && token.back() != 'W')) return false;
    for (size_t i = 0; i + 1 < token.size(); ++i)
        if (!std::isdigit(static_cast<unsigned char>(token[i]))) return false;
    return true;
}

class FieldParser {
public:
    FieldParser(std::string_view text, const FieldSpec& spec) : text_(text), spec_(spec) {}

    uint64_t parse() {
        for (char c : text_)
            if (c == '?' || c == '#') refuse(std::string("'") + c + "' is not supported (" + spec_.name + ")");
        uint64_t bits = 0;
        size_t start = 0;
        while (true) {
            const size_t comma = text_.find(',', start);
            const std::string_view item = text_.substr(start, comma == std::string_view::npos ? comma : comma - start);
            if (item.empty()) refuse(std::string("empty list item in ") + spec_.name);
            bits |= parse_item(item);
            if (comma == std::string_view::npos) break;
            start = comma + 1;
        }
        return bits;
    }

private:
    uint64_t parse_item(std::string_view item) {
        const size_t slash = item.find('/');
        const std::string_view range = item.substr(0, slash);
        int step = 1;
        if (slash != std::string_view::npos) step = parse_step(item.substr(slash + 1));
        int lo = spec_.min, hi = spec_.max;
        if (range == "*") {
            if (spec_.max == 7) hi = 6;  // 7 is Sunday again
        } else {
            const size_t dash = range.find('-');
            lo = parse_value(range.substr(0, dash));
            if (dash != std::string_view::npos) {
                hi = parse_value(range.substr(dash + 1));
                if (lo > hi)
                    refuse("range " + std::to_string(lo) + "-" + std::to_string(hi) + " is backwards (" + spec_.name +
                           ")");
            } else if (slash == std::string_view::npos) {
                hi = lo;  // N alone; N/S means N-max/S
            }
        }
        uint64_t bits = 0;
        for (int v = lo; v <= hi; v += step) bits |= uint64_t{1} << (spec_.max == 7 && v == 7 ? 0 : v);
        return bits;
    }

    int parse_step(std::string_view s) {
        if (s.empty() || s.size() > 9) refuse(std::string("bad step in ") + spec_.name);
        for (char c : s)
            if (!std::isdigit(static_cast<unsigned char>(c))) refuse(std::string("bad step in ") + spec_.name);
        const int step = std::stoi(std::string(s));
        if (step < 1) refuse(std::string("step must be at least 1 (") + spec_.name + ")");
        return step;
    }

    int parse_value(std::string_view token) {
        if (token.empty()) refuse(std::string("missing value in ") + spec_.name);
        std::string upper;
        bool digits = true;
        for (char c : token) {
            upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            if (!std::isdigit(static_cast<unsigned char>(c))) digits = false;
        }
        if (digits) {
            const int v = upper.size() > 4 ? spec_.max + 1 : std::stoi(upper);
            if (v < spec_.min || v > spec_.max)
                refuse(upper + " is out of range for " + spec_.name + " (" + std::to_string(spec_.min) + "-" +
                       std::to_string(spec_.max) + ")");
            return v;
        }
        for (size_t i = 0; i < spec_.names.size(); ++i)
            if (spec_.names[i] != nullptr && upper == spec_.names[i]) return spec_.first_name + static_cast<int>(i);
        if (is_extension(upper)) refuse("'" + upper + "' is not supported (" + spec_.name + ")");
        refuse("unknown value '" + std::string(token) + "' in " + spec_.name);
    }

    std::string_view text_;
    const FieldSpec& spec_;
};

std::vector<std::string_view> split_blanks(std::string_view s) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
        size_t j = i;
        while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
        if (j > i) out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

std::string_view expand_macro(const std::string& lower) {
    if (lower == "@yearly" || lower == "@annually") return "0 0 1 1 *";
    if (lower == "@monthly") return "0 0 1 * *";
    if (lower == "@weekly") return "0 0 * * 0";
    if (lower == "@daily" || lower == "@midnight") return "0 0 * * *";
    if (lower == "@hourly") return "0 * * * *";
    if (lower == "@reboot") refuse("@reboot is not supported");
    refuse("unknown macro '" + lower + "'");
}

// ------------------------------------------------------------ fire times ---
struct Wall {
    int y, mo, d, h, mi, s;
    bool operator==(const Wall&) const = default;
};

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int days_in_month(int y, int mo) {
    static constexpr int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return mo == 2 && leap(y) ? 29 : kMonthDays[mo - 1];
}
int weekday(int y, int mo, int d) {  // 0 = Sunday (Sakamoto)
    static constexpr int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
    if (mo < 3) y -= 1;
    return (y + y / 4 - y / 100 + y / 400 + t[mo - 1] + d) % 7;
}

void carry(Wall& w) {
    if (w.s > 59) w.s = 0, ++w.mi;
    if (w.mi > 59) w.mi = 0, ++w.h;
    if (w.h > 23) w.h = 0, ++w.d;
    if (w.d > days_in_month(w.y, w.mo)) w.d = 1, ++w.mo;
    if (w.mo > 12) w.mo = 1, ++w.y;
}

bool day_matches(const Schedule& s, const Wall& w) {
    const bool dom = s.days[static_cast<size_t>(w.d)];
    const bool dow = s.weekdays[static_cast<size_t>(weekday(w.y, w.mo, w.d))];
    // cron(8): when both fields are restricted either may match.
    return s.days_star || s.weekdays_star ? dom && dow : dom || dow;
}

// The first wall time >= w that the schedule matches (no later than year `last_year`).
std::optional<Wall> next_match(const Schedule& s, Wall w, int last_year) {
    while (w.y <= last_year) {
        if (!s.months[static_cast<size_t>(w.mo)]) {
            w.d = days_in_month(w.y, w.mo), w.h = 23, w.mi = 59, w.s = 60;
        } else if (!day_matches(s, w)) {
            w.h = 23, w.mi = 59, w.s = 60;
        } else if (!s.hours[static_cast<size_t>(w.h)]) {
            w.mi = 59, w.s = 60;
        } else if (!s.minutes[static_cast<size_t>(w.mi)]) {
            w.s = 60;
        } else if (!s.seconds[static_cast<size_t>(w.s)]) {
            ++w.s;
        } else {
            return w;
        }
        carry(w);  // s == 60 rolls over into the next minute, hour, day or month
    }
    return std::nullopt;
}

Wall to_wall(const std::tm& t) {
    return Wall{t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec};
}

std::tm to_tm(const Wall& w, int isdst) {
    std::tm t{};
    t.tm_year = w.y - 1900, t.tm_mon = w.mo - 1, t.tm_mday = w.d;
    t.tm_hour = w.h, t.tm_min = w.mi, t.tm_sec = w.s, t.tm_isdst = isdst;
    return t;
}

// The earliest instant showing wall time w in the zone; nullopt in a DST gap.
std::optional<int64_t> earliest_instant(const Wall& w, Zone zone) {
    if (zone == Zone::utc) {
        std::tm t = to_tm(w, 0);
        return static_cast<int64_t>(timegm(&t));
    }
    std::optional<int64_t> best;
    for (int isdst : {0, 1}) {
        std::tm t = to_tm(w, isdst);
        const time_t r = mktime(&t);
        std::tm back{};
        if (localtime_r(&r, &back) == nullptr || !(to_wall(back) == w)) continue;
        if (!best || r < *best) best = static_cast<int64_t>(r);
    }
    return best;
}

}  // namespace

Schedule parse(std::string_view text) {
    std::vector<std::string_view> fields = split_blanks(text);
    Schedule s;
    for (auto f : fields) s.text += (s.text.empty() ? "" : " ") + std::string(f);
    if (fields.empty()) refuse("empty");
    std::string expanded;
    if (fields.size() == 1 && fields[0].front() == '@') {
        std::string lower;
        for (char c : fields[0]) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        expanded = std::string(expand_macro(lower));
        fields = split_blanks(expanded);
    }
    if (fields.size() == 7) refuse("7 fields (a year field) are not supported");
    if (fields.size() != 5 && fields.size() != 6)
        refuse("expected 5 or 6 fields, got " + std::to_string(fields.size()));
    const size_t o = fields.size() == 6 ? 1 : 0;
    s.seconds = o == 1 ? FieldParser(fields[0], kSeconds).parse() : 1;
    s.minutes = FieldParser(fields[o], kMinutes).parse();
    s.hours = FieldParser(fields[o + 1], kHours).parse();
    s.days = FieldParser(fields[o + 2], kDays).parse();
    s.months = FieldParser(fields[o + 3], kMonths).parse();
    s.weekdays = FieldParser(fields[o + 4], kWeekdays).parse();
    s.days_star = fields[o + 2].front() == '*';
    s.weekdays_star = fields[o + 4].front() == '*';
    return s;
}

std::optional<int64_t> next_fire(const Schedule& s, int64_t after_secs, Zone zone) {
    const int64_t limit = after_secs + kFiveYearsSecs;
    const time_t start = static_cast<time_t>(after_secs + 1);
    std::tm t{};
    if ((zone == Zone::utc ? gmtime_r(&start, &t) : localtime_r(&start, &t)) == nullptr) return std::nullopt;
    Wall w = to_wall(t);
    if (w.s > 59) w.s = 59;  // a leap second
    const int last_year = w.y + 6;
    // Wall times whose first instant is past (an overlap's second pass) are
    // skipped; bounded so a broken zone cannot loop for ever.
    for (int guard = 0; guard < 1'000'000; ++guard) {
        const auto m = next_match(s, w, last_year);
        if (!m) return std::nullopt;
        const auto at = earliest_instant(*m, zone);
        if (at && *at > after_secs) return *at > limit ? std::nullopt : at;
        w = *m;
        ++w.s;
        carry(w);
    }
    return std::nullopt;
}

Schedule parse_checked(std::string_view text, int64_t now_secs, Zone zone) {
    Schedule s = parse(text);
    if (!next_fire(s, now_secs, zone)) throw ScheduleError("schedule never fires");
    return s;
}

}  // namespace oxios::kernel::cron
