#include "plugins/client_address.hpp"

#include <rapidjson/document.h>
#include <oxios/rules/http_text.hpp>

#include <mutex>

namespace oxios::plugins {

void ClientAddress::refresh() const {
    const uint64_t gen = kernel_.config_generation();
    if (generation_.load(std::memory_order_acquire) == gen) return;
    std::vector<kernel::AddressRange> ranges;
    if (const auto json = kernel_.config_get("security.trusted_proxies")) {
        rapidjson::Document doc;
        doc.Parse(json->c_str());
        if (doc.IsArray())
            for (const auto& item : doc.GetArray())
                if (item.IsString())
                    if (auto r = kernel::AddressRange::parse(item.GetString())) ranges.push_back(*r);
    }
    std::unique_lock lock(mutex_);
    trusted_ = std::move(ranges);
    generation_.store(gen, std::memory_order_release);
}

bool ClientAddress::trusted(std::string_view address) const {
    for (const auto& r : trusted_)
        if (r.contains(address)) return true;
    return false;
}

std::string ClientAddress::of(const std::string& peer, std::string_view forwarded_for) const {
    refresh();
    std::shared_lock lock(mutex_);
    if (trusted_.empty() || forwarded_for.empty() || !trusted(peer)) return peer;
    // From the right: each hop a trusted proxy added, until one that is not trusted.
    std::string_view rest = forwarded_for;
    std::string_view hop;
    while (!rest.empty()) {
        const size_t comma = rest.rfind(',');
        hop = rules::trim_ows(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
        if (!kernel::AddressRange::parse(hop)) return peer;  // not an address: trust nothing of it
        if (!trusted(hop)) return std::string(hop);
    }
    return hop.empty() ? peer : std::string(hop);  // every hop trusted: the leftmost
}

}  // namespace oxios::plugins
