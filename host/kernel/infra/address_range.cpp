#include "infra/address_range.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <string>

namespace oxios::kernel {
namespace {

// The 16 bytes of an address, IPv4 mapped into ::ffff:0:0/96; `v4` says which.
std::optional<std::array<uint8_t, 16>> bytes_of(std::string_view text, bool& v4) {
    const std::string s(text);
    std::array<uint8_t, 16> out{};
    in_addr a4{};
    if (::inet_pton(AF_INET, s.c_str(), &a4) == 1) {
        out[10] = out[11] = 0xff;
        std::memcpy(out.data() + 12, &a4, 4);
        v4 = true;
        return out;
    }
    in6_addr a6{};
    if (::inet_pton(AF_INET6, s.c_str(), &a6) != 1) return std::nullopt;
    std::memcpy(out.data(), &a6, 16);
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    v4 = std::memcmp(out.data(), kMapped, 12) == 0;
    return out;
}

}  // namespace

std::optional<AddressRange> AddressRange::parse(std::string_view text) {
    const size_t slash = text.find('/');
    bool v4 = false;
    const auto bytes = bytes_of(text.substr(0, slash), v4);
    if (!bytes) return std::nullopt;
    AddressRange r;
    r.bytes_ = *bytes;
    if (slash != std::string_view::npos) {
        const std::string_view p = text.substr(slash + 1);
        int bits = -1;
        const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), bits);
        if (ec != std::errc() || end != p.data() + p.size() || p.empty() || bits < 0 || bits > (v4 ? 32 : 128))
            return std::nullopt;
        r.prefix_bits_ = v4 ? 96 + bits : bits;
    }
    return r;
}

bool AddressRange::contains(std::string_view address) const {
    bool v4 = false;
    const auto bytes = bytes_of(address, v4);
    if (!bytes) return false;
    int left = prefix_bits_;
    for (size_t i = 0; i < 16 && left > 0; ++i, left -= 8) {
        const uint8_t mask = left >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - left));
        if (((*bytes)[i] & mask) != (bytes_[i] & mask)) return false;
    }
    return true;
}

}  // namespace oxios::kernel
