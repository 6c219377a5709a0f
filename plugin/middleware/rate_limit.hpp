// Per-client token buckets (security.rate_limit_per_minute; 0 = unlimited).
// Key: the token's fingerprint when authenticated, else the remote address.
// Buckets cross a reload as a small JSON blob (export_state/import_state).
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace web {

class Ctx;

class RateLimiter {
public:
    // Takes one token from `key`'s bucket (capacity per_minute, refilled at
    // per_minute per 60 s). Returns 0 when allowed, else the seconds after
    // which a token will be available (>= 1).
    uint32_t take(std::string_view key, uint32_t per_minute, int64_t now_us);

    std::string export_blob() const;
    // Ignores anything it cannot read.
    void import_blob(std::string_view blob);

    size_t size() const;

private:
    struct Bucket {
        double tokens;
        int64_t last_us;
    };
    struct Shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, Bucket> buckets;
    };
    static constexpr size_t kShards = 16;
    static constexpr size_t kMaxPerShard = 4096;
    Shard& shard_for(std::string_view key);
    std::array<Shard, kShards> shards_;
};

// Middleware step for protected routes: throws HttpError 429 (with a
// Retry-After header already set) when the client's bucket is empty.
void rate_limit_check(Ctx& ctx);

}  // namespace web
