// An IP address or a CIDR range ("10.0.0.0/8", "127.0.0.1", "fd00::/8"),
// IPv4 or IPv6; an IPv4-mapped IPv6 address ("::ffff:10.1.2.3") counts as
// its IPv4 one. Used for security.trusted_proxies.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace oxios::kernel {

class AddressRange {
public:
    // nullopt when `text` is neither an address nor address/prefix.
    static std::optional<AddressRange> parse(std::string_view text);
    bool contains(std::string_view address) const;

private:
    std::array<uint8_t, 16> bytes_{};  // IPv4 as ::ffff:a.b.c.d
    int prefix_bits_ = 128;            // of the 128
};

}  // namespace oxios::kernel
