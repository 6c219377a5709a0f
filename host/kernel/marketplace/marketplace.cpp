// marketplace.search / marketplace.install (abi/METHODS.md; docs/api-operator.md,
// "Marketplace"): skills from the configured registry directory or HTTP(S) index.
#include "marketplace/marketplace.hpp"
#include "audit/audit_recorder.hpp"
#include "infra/json_util.hpp"
#include "marketplace/index.hpp"
#include "marketplace/install.hpp"
#include "marketplace/remote.hpp"
#include "services/git_service.hpp"
#include "services/service_error.hpp"

#include <algorithm>
#include <mutex>

namespace oxios::kernel {

namespace {

using namespace marketplace;
namespace fs = std::filesystem;
using services::fail;

constexpr size_t kMaxQuery = 256;

std::string checked_slug(const rapidjson::Value& in) {
    std::string slug = json::req_string(in, "slug");
    if (!valid_slug(slug)) fail(OXIOS_E_INVALID, "invalid slug");
    return slug;
}

// The deadline of one call's fetches (the index, an install's files).
Deadline deadline_of(const Settings& s) {
    return std::chrono::steady_clock::now() + std::chrono::milliseconds(s.timeout_ms);
}

// The registry's skills: a directory read at each call, or the (cached) index.
std::vector<Listing> listings(const ServiceContext& ctx, IndexCache& cache, const Settings& s, Deadline deadline) {
    if (is_remote(s.registry)) return *cache.get(s, deadline);
    return directory_listings(registry_dir(s.registry, ctx.workspace));
}

Result search(const ServiceContext& ctx, IndexCache& cache, const Settings& s, const rapidjson::Value& in) {
    const std::string q = json::opt_string(in, "q").value_or("");
    if (q.size() > kMaxQuery) fail(OXIOS_E_INVALID, "q must be at most 256 bytes");
    const auto terms = search_terms(q);
    if (terms.empty()) fail(OXIOS_E_INVALID, "q is required");
    const int64_t limit = std::clamp<int64_t>(json::opt_int(in, "limit").value_or(20), 1, 100);
    struct Hit {
        double score;
        Listing listing;
    };
    std::vector<Hit> hits;
    for (auto& l : listings(ctx, cache, s, deadline_of(s)))
        if (const auto sc = score(l, terms)) hits.push_back(Hit{*sc, std::move(l)});
    std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
        return a.score != b.score ? a.score > b.score : a.listing.slug < b.listing.slug;
    });
    if (hits.size() > static_cast<size_t>(limit)) hits.resize(static_cast<size_t>(limit));
    json::Builder out;
    out.begin_array();
    for (const auto& h : hits) {
        std::error_code ec;
        out.begin_object()
            .field("score", h.score)
            .field("slug", h.listing.slug)
            .field("displayName", h.listing.name)
            .field("summary", h.listing.summary)
            .field("version", h.listing.version)
            .field("updatedAt", h.listing.updated_ms)
            .field("installed", fs::exists(fs::path(ctx.workspace) / "skills" / h.listing.slug, ec))
            .end_object();
    }
    out.end_array();
    return out.result();
}

Result install_method(const ServiceContext& ctx, IndexCache& cache, const Settings& s, const rapidjson::Value& in) {
    const std::string slug = checked_slug(in);  // before any I/O
    const auto version = json::opt_string(in, "version");
    const Deadline deadline = deadline_of(s);  // the index (unless cached) and the files
    const auto all = listings(ctx, cache, s, deadline);
    const auto it = std::find_if(all.begin(), all.end(), [&](const Listing& l) { return l.slug == slug; });
    if (it == all.end()) fail(OXIOS_E_NOT_FOUND, "skill not in registry");
    if (version && !version->empty() && version != it->version)
        fail(OXIOS_E_NOT_FOUND, "version " + *version + " not available");
    const std::string registry_name = s.registry.empty() ? "marketplace" : s.registry;
    const Installed done = install(*it, s, ctx.workspace, registry_name, ctx.now_us(), deadline);
    if (ctx.git != nullptr) ctx.git->changed("skills", "write", "skills/" + slug);
    ctx.audit->record(audit::actor_of(in), "skill.install", slug);
    json::Builder ev;
    ev.begin_object().field("name", slug).field("version", done.version).field("source", "marketplace").end_object();
    if (ctx.publish) ctx.publish("skill_installed", ev.str());
    json::Builder out;
    out.begin_object()
        .field("ok", true)
        .field("status", "installed")
        .field("slug", slug)
        .field("version", done.version)
        .field("targetDir", "skills/" + slug)
        .key("changelog")
        .null()
        .end_object();
    return out.result();
}

}  // namespace

void register_marketplace_service(ServiceRegistry& registry, const ServiceContext& ctx,
                                  const std::function<marketplace::Settings()>& settings) {
    auto cache = std::make_shared<IndexCache>();
    registry.add("marketplace.search",
                 [ctx, cache, settings](const rapidjson::Value& in) { return search(ctx, *cache, settings(), in); });
    registry.add("marketplace.install", [ctx, cache, settings](const rapidjson::Value& in) {
        try {
            return install_method(ctx, *cache, settings(), in);
        } catch (const services::ServiceError& e) {
            if (e.status() != OXIOS_E_INVALID)  // a refused install is audited, a bad slug is not
                ctx.audit->record(audit::actor_of(in), "skill.install", json::get_string(in, "slug"), false, e.what());
            throw;
        }
    });
}

}  // namespace oxios::kernel
