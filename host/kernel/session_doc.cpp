#include "session_doc.hpp"

#include "infra/atomic_file.hpp"
#include "infra/clock.hpp"
#include "infra/json_util.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstring>
#include <limits>
#include <vector>

namespace oxios::kernel {

namespace {

constexpr const char* kUser = "user_messages";
constexpr const char* kAgent = "agent_responses";

void append_item(std::string& items, const rapidjson::Value& item) {
    if (!items.empty()) items.push_back(',');
    items += json::to_string(item);
}

void append_raw(std::string& items, std::string_view item) {
    if (!items.empty()) items.push_back(',');
    items += item;
}

void set_member(rapidjson::Document& doc, const char* name, rapidjson::Value value) {
    auto it = doc.FindMember(name);
    if (it != doc.MemberEnd())
        it->value = std::move(value);
    else
        doc.AddMember(rapidjson::StringRef(name), std::move(value), doc.GetAllocator());
}

rapidjson::Value nullable(std::string_view s, rapidjson::Document::AllocatorType& a) {
    if (s.empty()) return rapidjson::Value(rapidjson::kNullType);
    return json::str(s, a);
}

std::string_view view(oxios_str s) { return s.ptr == nullptr ? std::string_view{} : std::string_view(s.ptr, s.len); }

SessionSummary summary_of(std::string_view id, const rapidjson::Value& meta, uint64_t user_count) {
    SessionSummary s;
    s.id = std::string(id);
    s.user_id = json::get_string(meta, "user_id");
    s.active_seed_id = json::get_string(meta, "active_seed_id");
    s.created_at = json::get_string(meta, "created_at");
    s.updated_at = json::get_string(meta, "updated_at", s.created_at);
    s.created_us = clock::parse_rfc3339(s.created_at).value_or(0);
    s.updated_us = clock::parse_rfc3339(s.updated_at).value_or(s.created_us);
    if (const auto* md = json::member(meta, "metadata")) s.space_id = json::get_string(*md, "space_id");
    s.message_count = user_count;
    return s;
}

}  // namespace

std::string ExchangeRecord::journal_line() const {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartObject();
    w.Key("n");
    w.Uint64(index);
    w.Key("user");
    w.RawValue(user_item.data(), user_item.size(), rapidjson::kObjectType);
    w.Key("agent");
    w.RawValue(agent_item.data(), agent_item.size(), rapidjson::kObjectType);
    w.Key("updated_at");
    w.String(updated_at.data(), static_cast<rapidjson::SizeType>(updated_at.size()));
    if (!seed_id.empty()) {
        w.Key("seed_id");
        w.String(seed_id.data(), static_cast<rapidjson::SizeType>(seed_id.size()));
    }
    if (!space_id.empty()) {
        w.Key("space_id");
        w.String(space_id.data(), static_cast<rapidjson::SizeType>(space_id.size()));
    }
    w.EndObject();
    std::string line(buffer.GetString(), buffer.GetSize());
    line.push_back('\n');  // the compact writer never emits a raw newline
    return line;
}

std::optional<ExchangeRecord> ExchangeRecord::from_journal_line(std::string_view line) {
    const auto parsed = json::parse(line);
    if (!parsed || !parsed->IsObject()) return std::nullopt;
    const rapidjson::Value& d = *parsed;
    const auto* n = json::member(d, "n");
    const auto* user = json::member(d, "user");
    const auto* agent = json::member(d, "agent");
    const auto* updated = json::member(d, "updated_at");
    if (n == nullptr || !n->IsUint64() || user == nullptr || !user->IsObject() || agent == nullptr ||
        !agent->IsObject() || updated == nullptr || !updated->IsString())
        return std::nullopt;
    ExchangeRecord r;
    r.index = n->GetUint64();
    r.user_item = json::to_string(*user);
    r.agent_item = json::to_string(*agent);
    r.updated_at.assign(updated->GetString(), updated->GetStringLength());
    r.seed_id = json::get_string(d, "seed_id");
    r.space_id = json::get_string(d, "space_id");
    return r;
}

JournalScan scan_journal(std::string_view text) {
    JournalScan scan;
    size_t at = 0;
    while (at < text.size()) {
        const size_t end = text.find('\n', at);
        if (end == std::string_view::npos) break;  // torn last line
        auto record = ExchangeRecord::from_journal_line(text.substr(at, end - at));
        if (!record) break;
        scan.records.push_back(std::move(*record));
        at = end + 1;
        scan.valid_bytes = at;
    }
    return scan;
}

void apply_record(SessionSummary& s, const ExchangeRecord& r) {
    ++s.message_count;
    s.updated_at = r.updated_at;
    s.updated_us = clock::parse_rfc3339(r.updated_at).value_or(s.updated_us);
    if (!r.seed_id.empty()) s.active_seed_id = r.seed_id;
    if (!r.space_id.empty()) s.space_id = r.space_id;
}

SessionDoc SessionDoc::create(std::string_view id, std::string_view user_id, int64_t now_us) {
    SessionDoc d;
    auto& a = d.meta_.GetAllocator();
    d.meta_.SetObject();
    const std::string now = clock::format_rfc3339(now_us);
    d.meta_.AddMember("id", json::str(id, a), a);
    d.meta_.AddMember("user_id", json::str(user_id.empty() ? "default" : user_id, a), a);
    d.meta_.AddMember("created_at", json::str(now, a), a);
    d.meta_.AddMember("updated_at", json::str(now, a), a);
    d.meta_.AddMember("active_seed_id", rapidjson::Value(rapidjson::kNullType), a);
    d.meta_.AddMember("metadata", rapidjson::Value(rapidjson::kObjectType), a);
    return d;
}

std::optional<SessionDoc> SessionDoc::parse(std::string_view text) {
    // json::parse also refuses a number out of double range, which would make
    // the rewritten file broken JSON.
    auto doc = json::parse(text);
    if (!doc || !doc->IsObject()) return std::nullopt;
    SessionDoc d;
    d.meta_.SetObject();
    auto& a = d.meta_.GetAllocator();
    for (auto& m : doc->GetObject()) {
        const std::string_view name(m.name.GetString(), m.name.GetStringLength());
        const bool user = name == kUser;
        if (user || name == kAgent) {
            // frame() writes these two arrays itself: a value of another type
            // under their names is dropped and repeated arrays are joined, so
            // a rewritten file never carries either name twice (found by
            // tests/fuzz/fuzz_session).
            if (!m.value.IsArray()) continue;
            for (const auto& item : m.value.GetArray()) append_item(user ? d.user_items_ : d.agent_items_, item);
            if (user) d.user_count_ += m.value.Size();
        } else {
            d.meta_.AddMember(rapidjson::Value(m.name, a), rapidjson::Value(m.value, a), a);
        }
    }
    return d;
}

std::optional<SessionSummary> SessionDoc::summarize(std::string_view id, std::string_view text) {
    const auto doc = json::parse(text);
    if (!doc || !doc->IsObject()) return std::nullopt;
    uint64_t users = 0;  // counted as parse() keeps them
    for (const auto& m : doc->GetObject())
        if (std::string_view(m.name.GetString(), m.name.GetStringLength()) == kUser && m.value.IsArray())
            users += m.value.Size();
    return summary_of(id, *doc, users);
}

ExchangeRecord SessionDoc::record(const oxios_exchange& ex, int64_t now_us) const {
    rapidjson::Document item_doc;
    auto& a = item_doc.GetAllocator();
    const int64_t user_us = ex.user_time_us > 0 ? ex.user_time_us : now_us;
    const int64_t reply_us = ex.reply_time_us > 0 ? ex.reply_time_us : now_us;
    ExchangeRecord r;
    r.index = user_count_;

    rapidjson::Value user(rapidjson::kObjectType);
    user.AddMember("content", json::str(view(ex.user_content), a), a);
    user.AddMember("timestamp", json::str(clock::format_rfc3339(user_us), a), a);
    r.user_item = json::to_string(user);

    rapidjson::Value reply(rapidjson::kObjectType);
    reply.AddMember("content", json::str(view(ex.reply_content), a), a);
    reply.AddMember("session_id", json::str(view(ex.session_id), a), a);
    reply.AddMember("seed_id", nullable(view(ex.seed_id), a), a);
    reply.AddMember("phase_reached", nullable(view(ex.phase), a), a);
    rapidjson::Value passed(rapidjson::kNullType);
    if (ex.evaluation_passed >= 0) passed.SetBool(ex.evaluation_passed != 0);
    reply.AddMember("evaluation_passed", passed, a);
    reply.AddMember("timestamp", json::str(clock::format_rfc3339(reply_us), a), a);
    r.agent_item = json::to_string(reply);

    r.updated_at = clock::format_rfc3339(reply_us);
    r.seed_id = std::string(view(ex.seed_id));
    r.space_id = std::string(view(ex.space_id));
    return r;
}

void SessionDoc::apply(const ExchangeRecord& r) {
    append_raw(user_items_, r.user_item);
    ++user_count_;
    append_raw(agent_items_, r.agent_item);

    auto& ma = meta_.GetAllocator();
    set_member(meta_, "updated_at", json::str(r.updated_at, ma));
    if (!r.seed_id.empty()) set_member(meta_, "active_seed_id", json::str(r.seed_id, ma));
    if (!r.space_id.empty()) {
        auto md = meta_.FindMember("metadata");
        if (md == meta_.MemberEnd() || !md->value.IsObject()) {
            set_member(meta_, "metadata", rapidjson::Value(rapidjson::kObjectType));
            md = meta_.FindMember("metadata");
        }
        auto sp = md->value.FindMember("space_id");
        if (sp != md->value.MemberEnd())
            sp->value = json::str(r.space_id, ma);
        else
            md->value.AddMember("space_id", json::str(r.space_id, ma), ma);
    }
}

std::string SessionDoc::frame(size_t& user_at, size_t& agent_at, bool api) const {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartObject();
    for (const char* first : {"id", "user_id"}) {
        auto it = meta_.FindMember(first);
        if (it == meta_.MemberEnd()) continue;
        w.Key(first);
        it->value.Accept(w);
    }
    // The writer emits the ':' with the value: find the "[]" after it.
    w.Key(kUser);
    w.RawValue("[]", 2, rapidjson::kArrayType);
    user_at = buffer.GetSize() - 2;
    w.Key(kAgent);
    w.RawValue("[]", 2, rapidjson::kArrayType);
    agent_at = buffer.GetSize() - 2;
    for (const auto& m : meta_.GetObject()) {
        const char* name = m.name.GetString();
        if (std::strcmp(name, "id") == 0 || std::strcmp(name, "user_id") == 0) continue;
        if (api && std::strcmp(name, "space_id") == 0) continue;  // replaced below
        w.Key(name, m.name.GetStringLength());
        m.value.Accept(w);
    }
    if (api) {
        w.Key("space_id");
        const auto* md = json::member(meta_, "metadata");
        const auto* sp = md != nullptr ? json::member(*md, "space_id") : nullptr;
        if (sp != nullptr)
            sp->Accept(w);
        else
            w.Null();
    }
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

void SessionDoc::write(const std::filesystem::path& file, SpareFiles* spares) const {
    size_t user_at = 0, agent_at = 0;
    const std::string f = frame(user_at, agent_at, false);
    const std::string_view fv(f);
    // frame = A "[]" B "[]" C  ->  A "[" users "]" B "[" agents "]" C
    write_file_atomic(file,
                      std::vector<std::string_view>{fv.substr(0, user_at + 1), user_items_,
                                                    fv.substr(user_at + 1, agent_at + 1 - (user_at + 1)), agent_items_,
                                                    fv.substr(agent_at + 1)},
                      spares);
}

std::string SessionDoc::splice(bool api) const {
    size_t user_at = 0, agent_at = 0;
    const std::string f = frame(user_at, agent_at, api);
    std::string out;
    out.reserve(f.size() + user_items_.size() + agent_items_.size());
    out.append(f, 0, user_at + 1);
    out += user_items_;
    out.append(f, user_at + 1, agent_at - user_at);
    out += agent_items_;
    out.append(f, agent_at + 1, std::string::npos);
    return out;
}

std::string SessionDoc::to_json() const { return splice(false); }
std::string SessionDoc::to_api_json() const { return splice(true); }

SessionSummary SessionDoc::summary(std::string_view id) const { return summary_of(id, meta_, user_count_); }

std::string summaries_page_json(const std::vector<SessionSummary>& items, size_t total) {
    rapidjson::Document out(rapidjson::kObjectType);
    auto& a = out.GetAllocator();
    auto nullable = [&a](const std::string& s) {
        return s.empty() ? rapidjson::Value(rapidjson::kNullType) : json::str(s, a);
    };
    rapidjson::Value list(rapidjson::kArrayType);
    for (const auto& s : items) {
        rapidjson::Value item(rapidjson::kObjectType);
        item.AddMember("id", json::str(s.id, a), a);
        item.AddMember("user_id", json::str(s.user_id, a), a);
        item.AddMember("space_id", nullable(s.space_id), a);
        item.AddMember("message_count", s.message_count, a);
        item.AddMember("active_seed_id", nullable(s.active_seed_id), a);
        item.AddMember("created_at", json::str(s.created_at, a), a);
        item.AddMember("updated_at", json::str(s.updated_at, a), a);
        list.PushBack(item, a);
    }
    out.AddMember("items", list, a);
    out.AddMember("total", static_cast<uint64_t>(total), a);
    return json::to_string(out);
}

std::string prune_result_json(uint64_t count, int64_t max_sessions, int64_t ttl_hours) {
    rapidjson::Document out(rapidjson::kObjectType);
    auto& a = out.GetAllocator();
    out.AddMember("count", count, a);
    rapidjson::Value config(rapidjson::kObjectType);
    config.AddMember("max_sessions", max_sessions, a);
    config.AddMember("ttl_hours", ttl_hours, a);
    out.AddMember("config", config, a);
    return json::to_string(out);
}

bool prune_due(std::atomic<int64_t>& last_prune_us, int64_t now_us, bool force) {
    constexpr int64_t kHourUs = 3600LL * 1'000'000;
    bool run = force;
    int64_t last = last_prune_us.load();
    while (!run && (last == 0 || now_us - last > kHourUs)) run = last_prune_us.compare_exchange_weak(last, now_us);
    if (run) last_prune_us = now_us;
    return run;
}

int64_t prune_cutoff_us(int64_t now_us, int64_t ttl_hours) {
    // The config allows ttl_hours up to 9e15: a span that does not fit in
    // int64 microseconds prunes nothing by age (it used to overflow).
    constexpr int64_t kHourUs = 3600LL * 1'000'000;
    int64_t span = 0, at = 0;
    if (ttl_hours > 0 && !__builtin_mul_overflow(ttl_hours, kHourUs, &span) &&
        !__builtin_sub_overflow(now_us, span, &at))
        return at;
    return std::numeric_limits<int64_t>::min();
}

}  // namespace oxios::kernel
