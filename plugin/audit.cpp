#include "audit.hpp"

#include "context.hpp"
#include "json.hpp"

#include <openssl/evp.h>

namespace web {

namespace {
constexpr size_t kMaxAddresses = 10'000;  // bounds the throttle's memory under a flood
}

std::string request_actor(const Ctx& ctx) {
    const std::string& token = ctx.principal();
    if (token.empty()) return "ip:" + std::string(ctx.remote_addr());
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(token.data(), token.size(), digest, &len, EVP_sha256(), nullptr) != 1 || len < 4)
        return "token:unknown";
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "token:";
    for (int i = 0; i < 4; ++i) {
        out += kHex[digest[i] >> 4];
        out += kHex[digest[i] & 0xf];
    }
    return out;
}

std::string with_actor(std::string_view args, std::string_view actor) {
    json::Builder member;
    member.obj().kv("_actor", actor).end_obj();
    std::string out(member.view());  // {"_actor":"..."}
    const size_t open = args.find('{');
    if (open == std::string_view::npos) return out;
    const std::string_view rest = args.substr(open + 1);
    const size_t next = rest.find_first_not_of(" \t\r\n");
    if (next == std::string_view::npos || rest[next] == '}') return out;
    out.pop_back();
    out += ',';
    out += rest;
    return out;
}

void audit_record(Ctx& ctx, std::string_view action, std::string_view resource, bool allowed,
                  std::optional<std::string_view> reason, std::string_view metadata_json) {
    const json::Document metadata = json::parse_host(metadata_json, "audit metadata");
    json::Builder args;
    args.obj()
        .kv("actor", request_actor(ctx))
        .kv("action", action)
        .kv("resource", resource)
        .key("allowed")
        .boolean(allowed);
    args.key("reason");
    if (reason)
        args.str(*reason);
    else
        args.null();
    args.key("metadata").value(metadata).end_obj();
    std::string out;
    if (ctx.host().call("audit.record", args.view(), out) != OXIOS_OK)
        ctx.host().log(OXIOS_LOG_WARN, "audit.record failed: " + out);
}

uint64_t AuthFailureThrottle::note(std::string_view address, int64_t now_us, int64_t window_us) {
    std::lock_guard lock(mutex_);
    if (by_address_.size() >= kMaxAddresses) {
        for (auto it = by_address_.begin(); it != by_address_.end();)
            it = now_us - it->second.recorded_at_us >= window_us ? by_address_.erase(it) : std::next(it);
        // Still full: a flood from more addresses than we track; not one entry each.
        if (by_address_.size() >= kMaxAddresses && by_address_.count(std::string(address)) == 0) return 0;
    }
    auto [it, fresh] = by_address_.try_emplace(std::string(address), State{now_us, 0});
    State& s = it->second;
    if (!fresh && now_us - s.recorded_at_us < window_us) {
        ++s.pending;
        return 0;
    }
    const uint64_t count = s.pending + 1;
    s = State{now_us, 0};
    return count;
}

}  // namespace web
