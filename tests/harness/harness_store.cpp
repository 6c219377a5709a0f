// Mock host harness: the fake config and session store (docs/api.md, "Session file").
#include "harness_impl.hpp"

#include <stdexcept>

namespace oxios::harness {

oxios_status MockHost::Impl::config_get(std::string_view key, std::string& out) {
    std::vector<std::string_view> parts;
    if (!key.empty()) {
        std::string_view rest = key;
        for (;;) {
            const auto dot = rest.find('.');
            parts.push_back(rest.substr(0, dot));
            if (dot == std::string_view::npos) break;
            rest = rest.substr(dot + 1);
        }
    }
    // engine.api_key never leaves the host.
    if (parts.size() >= 2 && parts[0] == "engine" && parts[1] == "api_key") return OXIOS_E_NOT_FOUND;
    std::lock_guard<std::mutex> lock(cfg_mu_);
    const rapidjson::Value* v = &config_;
    for (auto part : parts) {
        if (!v->IsObject()) return OXIOS_E_NOT_FOUND;
        // A Value, not a StringRef: FindMember(StringRef) would decay to
        // const char* and take strlen, reading past this part of the key.
        const rapidjson::Value name(rapidjson::StringRef(part.empty() ? "" : part.data(), part.size()));
        auto it = v->FindMember(name);
        if (it == v->MemberEnd()) return OXIOS_E_NOT_FOUND;
        v = &it->value;
    }
    rapidjson::Document copy;
    copy.CopyFrom(*v, copy.GetAllocator());
    rapidjson::Value* engine = nullptr;
    if (parts.empty() && copy.IsObject() && copy.HasMember("engine")) engine = &copy["engine"];
    if (parts.size() == 1 && parts[0] == "engine") engine = &copy;
    if (engine && engine->IsObject()) engine->RemoveMember("api_key");
    out = to_json(copy);
    return OXIOS_OK;
}

// ---------------------------------------------------------------------------
// Host functions: session store (docs/api.md, "Session file")
// ---------------------------------------------------------------------------
namespace {
std::string member_string(const rapidjson::Value& o, const char* name) {
    if (!o.IsObject()) return {};
    auto it = o.FindMember(name);
    if (it == o.MemberEnd() || !it->value.IsString()) return {};
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

// metadata.space_id as a JSON value (null when absent).
rapidjson::Value space_of(const rapidjson::Value& session, rapidjson::Document::AllocatorType& a) {
    if (session.IsObject()) {
        auto md = session.FindMember("metadata");
        if (md != session.MemberEnd() && md->value.IsObject()) {
            auto sp = md->value.FindMember("space_id");
            if (sp != md->value.MemberEnd()) return rapidjson::Value(sp->value, a);
        }
    }
    return rapidjson::Value(rapidjson::kNullType);
}
}  // namespace

oxios_status MockHost::Impl::session_get(std::string_view id, std::string& out) {
    if (!detail::valid_session_id(id)) return OXIOS_E_INVALID;
    std::lock_guard<std::mutex> lock(sess_mu_);
    auto it = sessions_.find(std::string(id));
    if (it == sessions_.end()) return OXIOS_E_NOT_FOUND;
    rapidjson::Document d;
    d.CopyFrom(it->second, d.GetAllocator());
    if (d.IsObject()) {
        rapidjson::Value sp = space_of(d, d.GetAllocator());
        d.RemoveMember("space_id");
        d.AddMember("space_id", sp, d.GetAllocator());
    }
    out = to_json(d);
    return OXIOS_OK;
}

oxios_status MockHost::Impl::session_append(const oxios_exchange* ex) {
    if (!ex || ex->size < offsetof(oxios_exchange, reply_time_us) + sizeof(int64_t)) return OXIOS_E_INVALID;
    const std::string id(view(ex->session_id));
    if (!detail::valid_session_id(id)) return OXIOS_E_INVALID;
    const int64_t now = now_us();
    const std::string user_ts = detail::rfc3339_us(ex->user_time_us ? ex->user_time_us : now);
    const std::string reply_ts = detail::rfc3339_us(ex->reply_time_us ? ex->reply_time_us : now);

    std::lock_guard<std::mutex> lock(sess_mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
        rapidjson::Document d;
        auto& a = d.GetAllocator();
        d.SetObject();
        d.AddMember("id", jstr(id, a), a);
        const std::string_view user = view(ex->user_id);
        d.AddMember("user_id", jstr(user.empty() ? std::string_view("default") : user, a), a);
        d.AddMember("user_messages", rapidjson::Value(rapidjson::kArrayType), a);
        d.AddMember("agent_responses", rapidjson::Value(rapidjson::kArrayType), a);
        d.AddMember("created_at", jstr(user_ts, a), a);
        d.AddMember("updated_at", jstr(user_ts, a), a);
        d.AddMember("active_seed_id", rapidjson::Value(rapidjson::kNullType), a);
        d.AddMember("metadata", rapidjson::Value(rapidjson::kObjectType), a);
        it = sessions_.emplace(id, std::move(d)).first;
    }
    rapidjson::Document& d = it->second;
    auto& a = d.GetAllocator();
    if (!d.IsObject()) d.SetObject();
    auto ensure_array = [&](const char* name) -> rapidjson::Value& {
        auto m = d.FindMember(name);
        if (m == d.MemberEnd()) {
            d.AddMember(rapidjson::StringRef(name), rapidjson::Value(rapidjson::kArrayType), a);
            m = d.FindMember(name);
        }
        if (!m->value.IsArray()) m->value.SetArray();
        return m->value;
    };
    rapidjson::Value um(rapidjson::kObjectType);
    um.AddMember("content", jstr(view(ex->user_content), a), a);
    um.AddMember("timestamp", jstr(user_ts, a), a);
    ensure_array("user_messages").PushBack(um, a);

    rapidjson::Value ar(rapidjson::kObjectType);
    ar.AddMember("content", jstr(view(ex->reply_content), a), a);
    ar.AddMember("session_id", jstr(id, a), a);
    ar.AddMember("seed_id", jstr_or_null(view(ex->seed_id), a), a);
    ar.AddMember("phase_reached", jstr_or_null(view(ex->phase), a), a);
    rapidjson::Value passed;
    if (ex->evaluation_passed == 1)
        passed.SetBool(true);
    else if (ex->evaluation_passed == 0)
        passed.SetBool(false);
    ar.AddMember("evaluation_passed", passed, a);
    ar.AddMember("timestamp", jstr(reply_ts, a), a);
    ensure_array("agent_responses").PushBack(ar, a);

    if (auto m = d.FindMember("updated_at"); m != d.MemberEnd())
        m->value = jstr(reply_ts, a);
    else
        d.AddMember("updated_at", jstr(reply_ts, a), a);
    if (!view(ex->seed_id).empty()) {
        if (auto m = d.FindMember("active_seed_id"); m != d.MemberEnd())
            m->value = jstr(view(ex->seed_id), a);
        else
            d.AddMember("active_seed_id", jstr(view(ex->seed_id), a), a);
    }
    if (!view(ex->space_id).empty()) {
        auto md = d.FindMember("metadata");
        if (md == d.MemberEnd()) {
            d.AddMember("metadata", rapidjson::Value(rapidjson::kObjectType), a);
            md = d.FindMember("metadata");
        }
        if (!md->value.IsObject()) md->value.SetObject();
        md->value.RemoveMember("space_id");
        md->value.AddMember("space_id", jstr(view(ex->space_id), a), a);
    }
    return OXIOS_OK;
}

oxios_status MockHost::Impl::session_list(uint32_t page, uint32_t limit, std::string& out) {
    if (page == 0) page = 1;
    rapidjson::Document d;
    auto& a = d.GetAllocator();
    d.SetObject();
    rapidjson::Value items(rapidjson::kArrayType);
    std::lock_guard<std::mutex> lock(sess_mu_);
    std::vector<std::pair<std::string, const std::string*>> order;  // (updated_at, id)
    order.reserve(sessions_.size());
    for (const auto& [id, s] : sessions_) order.emplace_back(member_string(s, "updated_at"), &id);
    std::sort(order.begin(), order.end(), [](const auto& x, const auto& y) {
        if (x.first != y.first) return x.first > y.first;
        return *x.second < *y.second;
    });
    const uint64_t start = static_cast<uint64_t>(page - 1) * limit;
    for (uint64_t i = start; i < order.size() && i < start + limit; ++i) {
        const rapidjson::Value& s = sessions_.at(*order[i].second);
        rapidjson::Value item(rapidjson::kObjectType);
        item.AddMember("id", jstr(*order[i].second, a), a);
        const std::string user = member_string(s, "user_id");
        item.AddMember("user_id", jstr(user.empty() ? std::string("default") : user, a), a);
        item.AddMember("space_id", space_of(s, a), a);
        uint64_t count = 0;
        if (s.IsObject())
            if (auto m = s.FindMember("user_messages"); m != s.MemberEnd() && m->value.IsArray())
                count = m->value.Size();
        item.AddMember("message_count", count, a);
        rapidjson::Value seed(rapidjson::kNullType);
        if (s.IsObject())
            if (auto m = s.FindMember("active_seed_id"); m != s.MemberEnd()) seed.CopyFrom(m->value, a);
        item.AddMember("active_seed_id", seed, a);
        item.AddMember("created_at", jstr(member_string(s, "created_at"), a), a);
        item.AddMember("updated_at", jstr(order[i].first, a), a);
        items.PushBack(item, a);
    }
    d.AddMember("items", items, a);
    d.AddMember("total", static_cast<uint64_t>(sessions_.size()), a);
    out = to_json(d);
    return OXIOS_OK;
}

oxios_status MockHost::Impl::session_delete(std::string_view id) {
    if (!detail::valid_session_id(id)) return OXIOS_E_INVALID;
    std::lock_guard<std::mutex> lock(sess_mu_);
    return sessions_.erase(std::string(id)) ? OXIOS_OK : OXIOS_E_NOT_FOUND;
}

oxios_status MockHost::Impl::session_prune(bool force, std::string& out) {
    auto config_int = [&](const char* key, int64_t def) {
        std::string v;
        if (config_get(key, v) != OXIOS_OK) return def;
        rapidjson::Document d;
        d.Parse(v.c_str());
        return (!d.HasParseError() && d.IsInt64() && d.GetInt64() >= 0) ? d.GetInt64() : def;
    };
    const int64_t max_sessions = config_int("session.max_sessions", 100);
    const int64_t ttl_hours = config_int("session.ttl_hours", 168);
    const int64_t now = now_us();
    uint64_t count = 0;
    {
        std::lock_guard<std::mutex> lock(sess_mu_);
        const bool due = force || !last_prune_us_ || now - *last_prune_us_ >= int64_t{3600} * 1000000;
        if (due) {
            last_prune_us_ = now;
            // In memory the harness prunes by count only: keep the newest
            // max_sessions (0 disables).
            if (max_sessions > 0 && sessions_.size() > static_cast<size_t>(max_sessions)) {
                std::vector<std::pair<std::string, std::string>> order;  // (updated_at, id)
                for (const auto& [id, s] : sessions_) order.emplace_back(member_string(s, "updated_at"), id);
                std::sort(order.begin(), order.end(), [](const auto& x, const auto& y) {
                    if (x.first != y.first) return x.first > y.first;
                    return x.second < y.second;
                });
                for (size_t i = static_cast<size_t>(max_sessions); i < order.size(); ++i) {
                    sessions_.erase(order[i].second);
                    ++count;
                }
            }
        }
    }
    rapidjson::Document d;
    auto& a = d.GetAllocator();
    d.SetObject();
    d.AddMember("count", count, a);
    rapidjson::Value cfg(rapidjson::kObjectType);
    cfg.AddMember("max_sessions", max_sessions, a);
    cfg.AddMember("ttl_hours", ttl_hours, a);
    d.AddMember("config", cfg, a);
    out = to_json(d);
    return OXIOS_OK;
}

// ---------------------------------------------------------------------------
// Public interface: config and sessions
// ---------------------------------------------------------------------------
void MockHost::set_config(const std::string& json) {
    rapidjson::Document d;
    d.Parse(json.c_str(), json.size());
    if (d.HasParseError() || !d.IsObject()) throw std::invalid_argument("set_config: not a JSON object");
    {
        std::lock_guard<std::mutex> lock(impl_->cfg_mu_);
        impl_->config_.Swap(d);
    }
    impl_->config_gen_.fetch_add(1);
}

std::string MockHost::config() const {
    std::lock_guard<std::mutex> lock(impl_->cfg_mu_);
    return to_json(impl_->config_);
}

std::map<std::string, std::string> MockHost::sessions() const {
    std::lock_guard<std::mutex> lock(impl_->sess_mu_);
    std::map<std::string, std::string> out;
    for (const auto& [id, d] : impl_->sessions_) out.emplace(id, to_json(d));
    return out;
}

void MockHost::put_session(const std::string& id, const std::string& json) {
    if (!detail::valid_session_id(id)) throw std::invalid_argument("put_session: invalid session id");
    rapidjson::Document d;
    d.Parse(json.c_str(), json.size());
    if (d.HasParseError() || !d.IsObject()) throw std::invalid_argument("put_session: not a JSON object");
    std::lock_guard<std::mutex> lock(impl_->sess_mu_);
    impl_->sessions_[id] = std::move(d);
}

}  // namespace oxios::harness
