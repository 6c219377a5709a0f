#include "harness_util.hpp"

#include <oxios/rules/percent.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <random>

namespace oxios::harness::detail {

std::string uuid_v4() {
    static std::mutex mu;
    static std::mt19937_64 rng{[] {
        std::random_device rd;
        std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd()};
        return std::mt19937_64(seq);
    }()};
    uint64_t hi, lo;
    {
        std::lock_guard<std::mutex> lock(mu);
        hi = rng();
        lo = rng();
    }
    hi = (hi & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;  // version 4
    lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // variant 10
    char buf[37];
    std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                  static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                  static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
    return buf;
}

std::string rfc3339_us(int64_t unix_us) {
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
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(micros));
    return buf;
}

int64_t real_now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

bool valid_session_id(std::string_view id) {
    if (id.empty() || id.size() > 128) return false;
    for (char c : id) {
        const bool ok =
            (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    // Walk the longer length so the time does not depend on the content;
    // volatile keeps the compiler from turning it into an early-exit memcmp.
    const size_t n = a.size() > b.size() ? a.size() : b.size();
    volatile unsigned char diff = static_cast<unsigned char>(a.size() != b.size());
    for (size_t i = 0; i < n; ++i) {
        const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
        const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
        diff = static_cast<unsigned char>(diff | (x ^ y));
    }
    return diff == 0;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

bool parse_target(std::string_view raw, Target& out, std::string& error) {
    out = Target{};
    out.raw.assign(raw);
    if (raw.empty() || raw.front() != '/') {
        error = "request target must start with '/'";
        return false;
    }
    std::string_view path = raw;
    if (const auto frag = path.find('#'); frag != std::string_view::npos) path = path.substr(0, frag);
    if (const auto q = path.find('?'); q != std::string_view::npos) {
        out.query.assign(path.substr(q + 1));
        path = path.substr(0, q);
    }
    rules::decode_segments(path, out.segments);
    out.path = rules::percent_decode(path);
    std::string_view q = out.query;
    while (!q.empty()) {
        const auto amp = q.find('&');
        const std::string_view piece = q.substr(0, amp);
        if (!piece.empty()) {
            const auto eq = piece.find('=');
            std::string name, value;
            rules::percent_decode(piece.substr(0, eq), name, true);
            if (eq != std::string_view::npos) rules::percent_decode(piece.substr(eq + 1), value, true);
            out.query_params.emplace_back(std::move(name), std::move(value));
        }
        if (amp == std::string_view::npos) break;
        q = q.substr(amp + 1);
    }
    return true;
}

}  // namespace oxios::harness::detail
