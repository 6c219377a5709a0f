// A registry's JSON index (docs/api-operator.md, "Marketplace"):
// {"skills":[{"slug","name"?,"summary"?,"version"?,"updatedAt"?,"files":[{"path","url","sha256"?}]}]},
// at most 4 MiB and 10,000 entries, cached marketplace.cache_secs.
#pragma once

#include "marketplace/registry.hpp"
#include "marketplace/remote.hpp"

#include <chrono>
#include <memory>
#include <mutex>

namespace oxios::kernel::marketplace {

constexpr size_t kMaxIndexBytes = 4 << 20;
constexpr size_t kMaxIndexEntries = 10'000;

// The index's skills by slug (bad slugs skipped, as in a directory), file URLs
// resolved against `index_url`. Throws UPSTREAM "invalid registry index: <why>".
std::vector<Listing> parse_index(std::string_view body, const std::string& index_url);

// The last index fetched, shared by search and install; a fetch runs without
// the lock held (two concurrent misses may both fetch).
class IndexCache {
public:
    using Listings = std::shared_ptr<const std::vector<Listing>>;
    // The listings of `s.registry`, fetched before `deadline` unless the
    // cached copy is younger than s.cache_secs.
    Listings get(const Settings& s, Deadline deadline);

private:
    std::mutex mutex_;
    std::string url_;
    std::chrono::steady_clock::time_point fetched_at_;
    Listings listings_;
};

}  // namespace oxios::kernel::marketplace
