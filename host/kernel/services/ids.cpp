#include "services/ids.hpp"

#include <cstdint>
#include <random>

namespace oxios::kernel::services::ids {

bool valid(std::string_view id, size_t max_len) {
    if (id.empty() || id.size() > max_len) return false;
    for (char c : id) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

std::string new_uuid_v4() {
    thread_local std::mt19937_64 rng = [] {
        std::random_device rd;
        std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
        return std::mt19937_64(seq);
    }();
    uint64_t hi = rng(), lo = rng();
    hi = (hi & ~uint64_t{0xF000}) | uint64_t{0x4000};                    // version 4
    lo = (lo & ~(uint64_t{0xC} << 60)) | (uint64_t{0x8} << 60);          // variant 10
    static const char* hex = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (int i = 0; i < 16; ++i) {
        uint64_t word = i < 8 ? hi : lo;
        int shift = (7 - (i % 8)) * 8;
        auto byte = static_cast<unsigned>((word >> shift) & 0xFF);
        if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
        out.push_back(hex[byte >> 4]);
        out.push_back(hex[byte & 0xF]);
    }
    return out;
}

}  // namespace oxios::kernel::services::ids
