#include "marketplace/index.hpp"

#include "infra/clock.hpp"
#include "infra/json_util.hpp"
#include "services/service_error.hpp"

#include <algorithm>
#include <set>

namespace oxios::kernel::marketplace {

namespace {

using services::fail;

[[noreturn]] void invalid(const std::string& why) { fail(OXIOS_E_UPSTREAM, "invalid registry index: " + why); }

std::optional<int64_t> updated_ms(const rapidjson::Value& entry) {
    const auto it = entry.FindMember("updatedAt");
    if (it == entry.MemberEnd() || it->value.IsNull()) return std::nullopt;
    if (it->value.IsInt64()) return it->value.GetInt64();
    if (it->value.IsString())
        if (const auto us = clock::parse_rfc3339(it->value.GetString())) return *us / 1000;
    fail(OXIOS_E_INVALID, "updatedAt must be epoch milliseconds or an RFC 3339 time");
}

std::optional<std::string> checked_sha256(const rapidjson::Value& file) {
    auto given = json::opt_string(file, "sha256");
    if (!given) return std::nullopt;
    auto sha = ascii_lower(*given);
    if (sha.size() != 64 || sha.find_first_not_of("0123456789abcdef") != std::string::npos)
        fail(OXIOS_E_INVALID, "sha256 must be 64 hex digits");
    return sha;
}

Listing entry_listing(const rapidjson::Value& entry, const std::string& slug, const std::string& index_url) {
    Listing l{slug,
              json::opt_string(entry, "name").value_or(slug),
              json::opt_string(entry, "summary").value_or(""),
              json::opt_string(entry, "version"),
              updated_ms(entry),
              {},
              {}};
    const auto files = entry.FindMember("files");
    if (files == entry.MemberEnd() || !files->value.IsArray()) fail(OXIOS_E_INVALID, "files must be an array");
    for (const auto& f : files->value.GetArray()) {
        if (!f.IsObject()) fail(OXIOS_E_INVALID, "files must hold objects {path,url,sha256?}");
        l.files.push_back(RemoteFile{json::req_string(f, "path"), resolve_url(index_url, json::req_string(f, "url")),
                                     checked_sha256(f)});
    }
    return l;
}

}  // namespace

std::vector<Listing> parse_index(std::string_view body, const std::string& index_url) {
    const auto doc = json::parse_object(body);
    if (!doc) invalid("not a JSON object");
    const auto skills = doc->FindMember("skills");
    if (skills == doc->MemberEnd() || !skills->value.IsArray()) invalid("\"skills\" must be an array");
    if (skills->value.Size() > kMaxIndexEntries) invalid("more than 10000 entries");
    std::vector<Listing> out;
    std::set<std::string> seen;
    size_t i = 0;
    for (const auto& entry : skills->value.GetArray()) {
        const std::string where = "skills[" + std::to_string(i++) + "]";
        if (!entry.IsObject()) invalid(where + " must be an object");
        const auto slug = json::member_string(entry, "slug");
        if (!slug || !valid_slug(*slug)) continue;  // as a directory skips bad names
        if (!seen.insert(*slug).second) invalid(where + ": slug " + *slug + " given twice");
        try {
            out.push_back(entry_listing(entry, *slug, index_url));
        } catch (const services::ServiceError& e) {
            invalid(where + ": " + e.what());
        }
    }
    std::sort(out.begin(), out.end(), [](const Listing& a, const Listing& b) { return a.slug < b.slug; });
    return out;
}

IndexCache::Listings IndexCache::get(const Settings& s, Deadline deadline) {
    const auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(mutex_);
        if (listings_ && url_ == s.registry && now - fetched_at_ < std::chrono::seconds(s.cache_secs)) return listings_;
    }
    const auto body = fetch(s.registry, deadline, kMaxIndexBytes);
    if (!body) invalid("larger than 4 MiB");
    auto fresh = std::make_shared<const std::vector<Listing>>(parse_index(*body, s.registry));
    std::lock_guard lock(mutex_);
    url_ = s.registry;
    fetched_at_ = now;
    listings_ = fresh;
    return fresh;
}

}  // namespace oxios::kernel::marketplace
