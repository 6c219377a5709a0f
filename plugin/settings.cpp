#include "settings.hpp"

#include "json.hpp"

namespace web {

namespace {

bool read_section(const Host& host, std::string_view key, json::Document& doc) {
    std::string out;
    if (host.config_get(key, out) != OXIOS_OK) return false;
    return json::parse(out, doc) && doc.IsObject();
}

void bad_value(const Host& host, std::string_view key) {
    host.log(OXIOS_LOG_WARN, "web: config key " + std::string(key) + " has the wrong type or range; using its default");
}

}  // namespace

Settings read_settings(const Host& host) {
    Settings s;
    json::Document sec;
    if (read_section(host, "security", sec)) {
        if (const auto* v = json::find(sec, "auth_enabled"); v && !v->IsNull()) {
            if (v->IsBool())
                s.auth_enabled = v->GetBool();
            else
                bad_value(host, "security.auth_enabled");
        }
        if (const auto* v = json::find(sec, "rate_limit_per_minute"); v && !v->IsNull()) {
            if (v->IsUint64() && v->GetUint64() <= 100'000'000u) {
                s.rate_limit_per_minute = static_cast<uint32_t>(v->GetUint64());
            } else {
                bad_value(host, "security.rate_limit_per_minute");
            }
        }
        if (const auto* v = json::find(sec, "cors_origins"); v && !v->IsNull()) {
            bool ok = v->IsArray();
            std::vector<std::string> origins;
            if (ok) {
                for (const auto& o : v->GetArray()) {
                    if (!o.IsString()) {
                        ok = false;
                        break;
                    }
                    origins.emplace_back(o.GetString(), o.GetStringLength());
                }
            }
            if (ok)
                s.cors_origins = std::move(origins);
            else
                bad_value(host, "security.cors_origins");
        }
    }
    json::Document ses;
    if (read_section(host, "session", ses)) {
        if (const auto* v = json::find(ses, "auto_prune"); v && !v->IsNull()) {
            if (v->IsBool())
                s.session_auto_prune = v->GetBool();
            else
                bad_value(host, "session.auto_prune");
        }
    }
    json::Document aud;
    if (read_section(host, "audit", aud)) {
        if (const auto* v = json::find(aud, "auth_failure_window_secs"); v && !v->IsNull()) {
            if (v->IsUint() && v->GetUint() > 0)
                s.audit_auth_failure_window_secs = v->GetUint();
            else
                bad_value(host, "audit.auth_failure_window_secs");
        }
    }
    json::Document web;
    if (read_section(host, "web", web)) {
        if (const auto* v = json::find(web, "ws_user_id"); v && !v->IsNull()) {
            if (v->IsString() && v->GetStringLength() > 0)
                s.ws_user_id.assign(v->GetString(), v->GetStringLength());
            else
                bad_value(host, "web.ws_user_id");
        }
    }
    return s;
}

std::shared_ptr<const Settings> SettingsCache::get(const Host& host) {
    const uint64_t gen = host.config_generation();
    {
        std::lock_guard lock(mutex_);
        if (valid_ && generation_ == gen) return current_;
    }
    // Read outside the lock; a racing reader may read too, harmlessly.
    auto fresh = std::make_shared<const Settings>(read_settings(host));
    std::lock_guard lock(mutex_);
    if (!valid_ || generation_ != gen) {
        current_ = fresh;
        generation_ = gen;
        valid_ = true;
    }
    return current_;
}

}  // namespace web
