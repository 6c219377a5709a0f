// The address a request comes from, as a plugin sees it (oxios_request's
// remote_addr): the peer's, or, when the peer is a trusted proxy
// (security.trusted_proxies), the rightmost X-Forwarded-For hop that is not
// itself trusted. Rate limits and the audit log key on it.
#pragma once

#include "infra/address_range.hpp"
#include "kernel.hpp"

#include <atomic>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace oxios::plugins {

class ClientAddress {
public:
    explicit ClientAddress(const kernel::Kernel& kernel) : kernel_(kernel) {}
    // `forwarded_for`: every X-Forwarded-For value of the request, in order, joined by ",".
    std::string of(const std::string& peer, std::string_view forwarded_for) const;

private:
    bool trusted(std::string_view address) const;  // caller holds mutex_ shared
    void refresh() const;                          // reread the config when it changed

    const kernel::Kernel& kernel_;
    mutable std::shared_mutex mutex_;
    mutable std::atomic<uint64_t> generation_{UINT64_MAX};
    mutable std::vector<kernel::AddressRange> trusted_;
};

}  // namespace oxios::plugins
