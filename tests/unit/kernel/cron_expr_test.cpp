// Cron expressions (docs/api-operator.md, "Cron jobs"): the accepted syntax and the
// refused forms, the cron(8) day rule, and next fire times in UTC and in real
// zones across DST gaps and overlaps (TZ set per test).
#include "services/cron_expr.hpp"
#include "infra/clock.hpp"

#include <doctest/doctest.h>

#include <stdlib.h>
#include <time.h>

#include <string>

using namespace oxios::kernel;
using cron::Zone;

namespace {

int64_t at(const char* rfc3339) { return *clock::parse_rfc3339(rfc3339) / 1'000'000; }
std::string text(int64_t secs) { return clock::format_rfc3339(secs * 1'000'000); }

std::string next(const char* expr, const char* after, Zone zone = Zone::utc) {
    const auto t = cron::next_fire(cron::parse(expr), at(after), zone);
    return t ? text(*t) : "never";
}

std::string error_of(const char* expr) {
    try {
        cron::parse_checked(expr, at("2026-01-01T00:00:00Z"), Zone::utc);
    } catch (const cron::ScheduleError& e) {
        return e.what();
    }
    return "accepted";
}

// Sets TZ for one test and restores it after.
struct ZoneGuard {
    explicit ZoneGuard(const char* tz) {
        if (const char* old = getenv("TZ")) saved = old, had = true;
        setenv("TZ", tz, 1);
        tzset();
    }
    ~ZoneGuard() {
        if (had)
            setenv("TZ", saved.c_str(), 1);
        else
            unsetenv("TZ");
        tzset();
    }
    std::string saved;
    bool had = false;
};

}  // namespace

TEST_CASE("cron: next fire times in UTC (table)") {
    struct Row {
        const char* expr;
        const char* after;
        const char* want;
    };
    const Row rows[] = {
        {"* * * * *", "2026-03-10T10:11:12Z", "2026-03-10T10:12:00.000000Z"},
        {"*/15 * * * *", "2026-03-10T10:11:12Z", "2026-03-10T10:15:00.000000Z"},
        {"0 9 * * MON-FRI", "2026-03-13T09:00:00Z", "2026-03-16T09:00:00.000000Z"},  // Fri -> Mon
        {"0 0 1 JAN *", "2026-03-10T00:00:00Z", "2027-01-01T00:00:00.000000Z"},
        {"30 4 1,15 * *", "2026-03-02T00:00:00Z", "2026-03-15T04:30:00.000000Z"},
        {"5/20 * * * *", "2026-03-10T10:26:00Z", "2026-03-10T10:45:00.000000Z"},  // N/S = N-59/S
        {"10-30/10 * * * *", "2026-03-10T10:30:00Z", "2026-03-10T11:10:00.000000Z"},
        {"0 0 * * 7", "2026-03-10T00:00:00Z", "2026-03-15T00:00:00.000000Z"},    // 7 = Sunday
        {"0 0 * * sun", "2026-03-10T00:00:00Z", "2026-03-15T00:00:00.000000Z"},  // names any case
        {"0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00.000000Z"},
        {"*/2 * * * * *", "2026-03-10T10:11:12Z", "2026-03-10T10:11:14.000000Z"},  // 6 fields: seconds
        {"30 0 0 * * *", "2026-03-10T00:00:30Z", "2026-03-11T00:00:30.000000Z"},
        {"@hourly", "2026-03-10T10:11:12Z", "2026-03-10T11:00:00.000000Z"},
        {"@daily", "2026-03-10T10:11:12Z", "2026-03-11T00:00:00.000000Z"},
        {"@midnight", "2026-03-10T10:11:12Z", "2026-03-11T00:00:00.000000Z"},
        {"@weekly", "2026-03-10T10:11:12Z", "2026-03-15T00:00:00.000000Z"},
        {"@monthly", "2026-03-10T10:11:12Z", "2026-04-01T00:00:00.000000Z"},
        {"@yearly", "2026-03-10T10:11:12Z", "2027-01-01T00:00:00.000000Z"},
        {"@ANNUALLY", "2026-03-10T10:11:12Z", "2027-01-01T00:00:00.000000Z"},
        {"0 0 31 * *", "2026-04-01T00:00:00Z", "2026-05-31T00:00:00.000000Z"},  // April has 30
        {"59 23 31 12 *", "2026-12-31T23:59:00Z", "2027-12-31T23:59:00.000000Z"},
        // cron(8): both day fields restricted -> either matches (the 13th or a Friday)
        {"0 0 13 * FRI", "2026-03-01T00:00:00Z", "2026-03-06T00:00:00.000000Z"},
        // one of them '*' -> both must: every day of the month that is a Friday
        {"0 0 * * FRI", "2026-03-01T00:00:00Z", "2026-03-06T00:00:00.000000Z"},
        {"0 0 13 * *", "2026-03-01T00:00:00Z", "2026-03-13T00:00:00.000000Z"},
        {"0 0 13 2 5", "2026-03-01T00:00:00Z", "2027-02-05T00:00:00.000000Z"},  // Feb: 13th or Fridays
    };
    for (const auto& r : rows) {
        CAPTURE(r.expr);
        CHECK(next(r.expr, r.after) == r.want);
    }
}

TEST_CASE("cron: stored text is trimmed with blanks collapsed") {
    CHECK(cron::parse("  */5\t *  * *   * ").text == "*/5 * * * *");
}

TEST_CASE("cron: refused expressions name why") {
    struct Row {
        const char* expr;
        const char* want;
    };
    const Row rows[] = {
        {"", "invalid schedule: empty"},
        {"   ", "invalid schedule: empty"},
        {"* * * *", "invalid schedule: expected 5 or 6 fields, got 4"},
        {"0 0 0 1 1 * 2027", "invalid schedule: 7 fields (a year field) are not supported"},
        {"@reboot", "invalid schedule: @reboot is not supported"},
        {"@often", "invalid schedule: unknown macro '@often'"},
        {"0 0 ? * *", "invalid schedule: '?' is not supported (day-of-month)"},
        {"0 0 L * *", "invalid schedule: 'L' is not supported (day-of-month)"},
        {"0 0 15W * *", "invalid schedule: '15W' is not supported (day-of-month)"},
        {"0 0 * * 5#3", "invalid schedule: '#' is not supported (day-of-week)"},
        {"H * * * *", "invalid schedule: 'H' is not supported (minute)"},
        {"60 * * * *", "invalid schedule: 60 is out of range for minute (0-59)"},
        {"* 24 * * *", "invalid schedule: 24 is out of range for hour (0-23)"},
        {"* * 0 * *", "invalid schedule: 0 is out of range for day-of-month (1-31)"},
        {"* * * 13 *", "invalid schedule: 13 is out of range for month (1-12)"},
        {"* * * * 8", "invalid schedule: 8 is out of range for day-of-week (0-7)"},
        {"* * * * 99999999999", "invalid schedule: 99999999999 is out of range for day-of-week (0-7)"},
        {"30-10 * * * *", "invalid schedule: range 30-10 is backwards (minute)"},
        {"*/0 * * * *", "invalid schedule: step must be at least 1 (minute)"},
        {"*/x * * * *", "invalid schedule: bad step in minute"},
        {"1,,2 * * * *", "invalid schedule: empty list item in minute"},
        {"* * * FOO *", "invalid schedule: unknown value 'FOO' in month"},
        {"* * * * MON-", "invalid schedule: missing value in day-of-week"},
        {"0 0 30 2 *", "schedule never fires"},
        {"0 0 31 4,6,9,11 *", "schedule never fires"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.expr);
        CHECK(error_of(r.expr) == r.want);
    }
    CHECK(error_of("0 0 29 2 *") == "accepted");  // fires in the next leap year
}

TEST_CASE("cron: Europe/Berlin DST gap is skipped that day, overlap fires once") {
    ZoneGuard tz("Europe/Berlin");
    // 2026-03-29: 02:00 CET -> 03:00 CEST; 02:30 does not exist that day.
    CHECK(next("30 2 * * *", "2026-03-28T12:00:00Z", Zone::local) == "2026-03-30T00:30:00.000000Z");
    CHECK(next("30 1 * * *", "2026-03-28T12:00:00Z", Zone::local) == "2026-03-29T00:30:00.000000Z");
    CHECK(next("30 3 * * *", "2026-03-28T12:00:00Z", Zone::local) == "2026-03-29T01:30:00.000000Z");
    // 2026-10-25: 03:00 CEST -> 02:00 CET; 02:30 happens twice, fires at the first.
    const auto first = cron::next_fire(cron::parse("30 2 * * *"), at("2026-10-24T12:00:00Z"), Zone::local);
    REQUIRE(first);
    CHECK(text(*first) == "2026-10-25T00:30:00.000000Z");  // 02:30 CEST
    CHECK(text(*cron::next_fire(cron::parse("30 2 * * *"), *first, Zone::local)) == "2026-10-26T01:30:00.000000Z");
    // Every 20 minutes across the overlap: the repeated wall hour is not fired again.
    const auto s = cron::parse("*/20 * * * *");
    int64_t t = at("2026-10-24T23:50:00Z");  // 01:50 CEST
    std::string seen;
    for (int i = 0; i < 6; ++i) {
        t = *cron::next_fire(s, t, Zone::local);
        seen += text(t).substr(11, 5) + " ";
    }
    CHECK(seen == "00:00 00:20 00:40 02:00 02:20 02:40 ");  // 02:00-02:40 CEST, then 03:00-03:40 CET
}

TEST_CASE("cron: America/New_York DST gap and overlap") {
    ZoneGuard tz("America/New_York");
    // 2026-03-08: 02:00 EST -> 03:00 EDT.
    CHECK(next("0 2 * * *", "2026-03-07T12:00:00Z", Zone::local) == "2026-03-09T06:00:00.000000Z");
    CHECK(next("0 9 * * *", "2026-03-07T15:00:00Z", Zone::local) == "2026-03-08T13:00:00.000000Z");  // EDT
    // 2026-11-01: 02:00 EDT -> 01:00 EST; 01:30 fires once (EDT).
    const auto first = cron::next_fire(cron::parse("30 1 * * *"), at("2026-10-31T12:00:00Z"), Zone::local);
    CHECK(text(*first) == "2026-11-01T05:30:00.000000Z");
    CHECK(text(*cron::next_fire(cron::parse("30 1 * * *"), *first, Zone::local)) == "2026-11-02T06:30:00.000000Z");
}

TEST_CASE("cron: UTC ignores the local zone") {
    ZoneGuard tz("Europe/Berlin");
    CHECK(next("30 2 * * *", "2026-03-28T12:00:00Z", Zone::utc) == "2026-03-29T02:30:00.000000Z");
}
