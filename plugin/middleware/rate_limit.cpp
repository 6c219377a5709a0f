#include "middleware/rate_limit.hpp"

#include "context.hpp"
#include "json.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

namespace web {

namespace {

// Stable across builds (std::hash is not), so blobs survive a reload into
// another build of the plugin. Keeps raw tokens out of memory and blobs.
std::string token_fingerprint(std::string_view token) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : token) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "token:";
    for (int i = 60; i >= 0; i -= 4) out.push_back(kHex[(h >> i) & 0xFu]);
    return out;
}

constexpr int kBlobVersion = 1;

}  // namespace

RateLimiter::Shard& RateLimiter::shard_for(std::string_view key) {
    uint32_t h = 2166136261u;
    for (unsigned char c : key) {
        h ^= c;
        h *= 16777619u;
    }
    return shards_[h % kShards];
}

uint32_t RateLimiter::take(std::string_view key, uint32_t per_minute, int64_t now_us) {
    if (per_minute == 0) return 0;
    const double capacity = per_minute;
    const double per_us = capacity / 60e6;
    Shard& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    auto it = shard.buckets.find(std::string(key));
    if (it == shard.buckets.end()) {
        if (shard.buckets.size() >= kMaxPerShard) {
            // Forget idle clients: a bucket that has refilled is the same as none.
            std::erase_if(shard.buckets, [&](const auto& kv) {
                const auto& b = kv.second;
                return b.tokens + static_cast<double>(now_us - b.last_us) * per_us >= capacity;
            });
        }
        it = shard.buckets.emplace(std::string(key), Bucket{capacity, now_us}).first;
    }
    Bucket& b = it->second;
    if (now_us > b.last_us) {
        b.tokens = std::min(capacity, b.tokens + static_cast<double>(now_us - b.last_us) * per_us);
        b.last_us = now_us;
    }
    b.tokens = std::min(b.tokens, capacity);
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return 0;
    }
    const double wait_s = (1.0 - b.tokens) / (per_us * 1e6);
    return static_cast<uint32_t>(std::max(1.0, std::ceil(wait_s)));
}

size_t RateLimiter::size() const {
    size_t n = 0;
    for (const auto& s : shards_) {
        std::lock_guard lock(s.mutex);
        n += s.buckets.size();
    }
    return n;
}

std::string RateLimiter::export_blob() const {
    json::Builder b;
    b.obj().kv("format", "oxios-web-rate-limit").kv("version", kBlobVersion).key("buckets").arr();
    for (const auto& s : shards_) {
        std::lock_guard lock(s.mutex);
        for (const auto& [key, bucket] : s.buckets) {
            b.obj().kv("key", key).kv("tokens", bucket.tokens).kv("last_us", int64_t{bucket.last_us}).end_obj();
        }
    }
    b.end_arr().end_obj();
    return b.take();
}

void RateLimiter::import_blob(std::string_view blob) {
    json::Document doc;
    if (!json::parse(blob, doc) || !doc.IsObject()) return;
    const auto* format = json::find(doc, "format");
    const auto* version = json::find(doc, "version");
    const auto* buckets = json::find(doc, "buckets");
    if (!format || !format->IsString() || std::string_view(format->GetString()) != "oxios-web-rate-limit" || !version ||
        !version->IsInt() || version->GetInt() != kBlobVersion || !buckets || !buckets->IsArray()) {
        return;
    }
    for (const auto& item : buckets->GetArray()) {
        const auto* key = json::find(item, "key");
        const auto* tokens = json::find(item, "tokens");
        const auto* last = json::find(item, "last_us");
        if (!key || !key->IsString() || !tokens || !tokens->IsNumber() || !last || !last->IsInt64()) {
            continue;
        }
        const double t = tokens->GetDouble();
        if (!std::isfinite(t) || t < 0) continue;
        std::string k(key->GetString(), key->GetStringLength());
        Shard& shard = shard_for(k);
        std::lock_guard lock(shard.mutex);
        if (shard.buckets.size() >= kMaxPerShard) continue;
        shard.buckets.insert_or_assign(std::move(k), Bucket{t, last->GetInt64()});
    }
}

void rate_limit_check(Ctx& ctx) {
    const uint32_t per_minute = ctx.settings().rate_limit_per_minute;
    if (per_minute == 0) return;
    const std::string key =
        ctx.principal().empty() ? "addr:" + std::string(ctx.remote_addr()) : token_fingerprint(ctx.principal());
    const uint32_t retry = ctx.inst().limiter.take(key, per_minute, ctx.host().now_us());
    if (retry == 0) return;
    ctx.add_header("Retry-After", std::to_string(retry));
    throw HttpError(429, "rate limit exceeded: retry after " + std::to_string(retry) + " seconds");
}

}  // namespace web
