#include "ids.hpp"

#include <cstdint>
#include <random>

namespace web {

bool valid_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > 128) return false;
    for (char c : id) {
        const bool ok =
            (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

std::string uuid_v4() {
    thread_local std::mt19937_64 rng{[] {
        std::random_device rd;
        std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
        return std::mt19937_64(seq);
    }()};
    uint64_t hi = rng(), lo = rng();
    hi = (hi & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;  // version 4
    lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // variant 10
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    auto put = [&](uint64_t v, int from_nibble, int count) {
        for (int i = from_nibble; i > from_nibble - count; --i) out.push_back(kHex[(v >> (i * 4)) & 0xFu]);
    };
    put(hi, 15, 8);
    out.push_back('-');
    put(hi, 7, 4);
    out.push_back('-');
    put(hi, 3, 4);
    out.push_back('-');
    put(lo, 15, 4);
    out.push_back('-');
    put(lo, 11, 12);
    return out;
}

}  // namespace web
