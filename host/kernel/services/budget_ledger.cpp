// The budget ledger (budget_ledger.hpp; docs/api-operator.md, "Budget").
#include "services/budget_ledger.hpp"

#include "engines/engine.hpp"
#include "infra/clock.hpp"
#include "infra/json_util.hpp"
#include "services/service_error.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace oxios::kernel {
namespace {

using services::fail;

constexpr const char* kCollection = ".oxios";
constexpr const char* kKey = "budget";
constexpr int64_t kUsPerSec = 1'000'000;

int64_t quarter_up(size_t bytes) { return static_cast<int64_t>((bytes + 3) / 4); }

std::string money(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "$%.4f", v);
    return buf;
}

std::optional<int64_t> opt_ts(const rapidjson::Value& v, const char* key) {
    auto t = clock::parse_rfc3339(json::get_string(v, key));
    return t && *t > 0 ? t : std::nullopt;
}

// An RFC 3339 time, or nothing (JSON null) for 0 = never.
std::optional<std::string> ts_or_null(int64_t us) {
    return us > 0 ? std::optional<std::string>(clock::format_rfc3339(us)) : std::nullopt;
}

}  // namespace

bool BudgetLedger::valid_agent_id(std::string_view id) {
    if (id.empty() || id.size() > 128) return false;
    for (unsigned char c : id)
        if (c < 0x20 || c == 0x7f || c == '/') return false;
    // Well-formed UTF-8 (no overlong forms or surrogates).
    for (size_t i = 0; i < id.size();) {
        const auto c = static_cast<unsigned char>(id[i]);
        size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        if (n == 0 || i + n > id.size()) return false;
        uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
        for (size_t k = 1; k < n; ++k) {
            const auto cc = static_cast<unsigned char>(id[i + k]);
            if ((cc >> 6) != 0x2) return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        const uint32_t min = n == 1 ? 0 : n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += n;
    }
    return true;
}

BudgetLedger::BudgetLedger(Options options) : options_(std::move(options)) {
    if (!options_.settings) options_.settings = [] { return BudgetSettings{}; };
    if (!options_.now_us) options_.now_us = clock::now_us;
    load();
    if (options_.flush_interval_ms > 0) flusher_ = std::thread([this] { flush_loop(); });
}

BudgetLedger::~BudgetLedger() { stop(); }

void BudgetLedger::load() {
    if (options_.records == nullptr) return;
    try {
        if (const auto text = options_.records->get_or_set_aside(kCollection, kKey)) entries_ = parse_entries(*text);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "[warn] budget: cannot load .oxios/budget.json: %s\n", e.what());
    }
}

BudgetLedger::Entries BudgetLedger::parse_entries(const std::string& text) {
    Entries out;
    auto doc = json::parse_object(text);
    const auto* agents = doc ? json::member(*doc, "agents") : nullptr;
    if (agents == nullptr || !agents->IsArray()) return out;
    for (const auto& v : agents->GetArray()) {
        if (!v.IsObject()) continue;
        const std::string id = json::get_string(v, "agent_id");
        if (!valid_agent_id(id)) continue;
        Entry e;
        e.prompt = std::max<int64_t>(json::get_int(v, "prompt_tokens", 0), 0);
        e.completion = std::max<int64_t>(json::get_int(v, "completion_tokens", 0), 0);
        e.estimated = std::max<int64_t>(json::get_int(v, "estimated_tokens", 0), 0);
        e.calls = std::max<int64_t>(json::get_int(v, "calls", 0), 0);
        if (const auto* c = json::member(v, "cost_used"); c != nullptr && c->IsNumber()) e.cost = c->GetDouble();
        if (const auto* t = json::member(v, "tokens_limit"); t != nullptr && t->IsInt64())
            e.tokens_limit = t->GetInt64();
        if (const auto* c = json::member(v, "cost_limit"); c != nullptr && c->IsNumber()) e.cost_limit = c->GetDouble();
        if (const auto* w = json::member(v, "window_secs"); w != nullptr && w->IsInt64()) e.window_secs = w->GetInt64();
        e.window_started_us = opt_ts(v, "window_started_at").value_or(0);
        e.last_used_us = opt_ts(v, "last_used_at").value_or(0);
        e.exhausted_reported = json::get_bool(v, "exhausted", false);
        out[id] = e;
    }
    return out;
}

BudgetLedger::Limits BudgetLedger::limits_of(const Entry& e, const BudgetSettings& s) const {
    Limits l;
    l.tokens = e.tokens_limit ? e.tokens_limit : s.default_tokens_limit;
    l.cost = e.cost_limit ? e.cost_limit : s.default_cost_limit;
    l.window_secs = e.window_secs.value_or(s.default_window_secs);
    return l;
}

int64_t BudgetLedger::resets_at_us(const Entry& e, const Limits& l) {
    return l.window_secs > 0 && e.window_started_us > 0 ? e.window_started_us + l.window_secs * kUsPerSec : 0;
}

bool BudgetLedger::exhausted(const Entry& e, const Limits& l) const {
    return (l.tokens && e.prompt + e.completion >= *l.tokens) || (l.cost && e.cost >= *l.cost);
}

void BudgetLedger::roll_window(Entry& e, const Limits& l, int64_t now) const {
    if (l.window_secs <= 0 || e.window_started_us <= 0) return;
    const int64_t span = l.window_secs * kUsPerSec;
    if (now < e.window_started_us + span) return;
    e.prompt = e.completion = e.estimated = e.calls = 0;
    e.cost = 0;
    e.window_started_us += (now - e.window_started_us) / span * span;  // the current window's start
}

void BudgetLedger::note_state(const std::string& id, Entry& e, const Limits& l) {
    const bool now_exhausted = exhausted(e, l);
    if (now_exhausted && !e.exhausted_reported && options_.publish) {
        json::Builder b;
        b.begin_object()
            .field("agent_id", id)
            .field("tokens_used", e.prompt + e.completion)
            .field("tokens_limit", l.tokens)
            .field("cost_used", e.cost)
            .field("cost_limit", l.cost)
            .field("resets_at", ts_or_null(resets_at_us(e, l)))
            .end_object();
        options_.publish("budget_exhausted", b.str());
    }
    e.exhausted_reported = now_exhausted;
}

std::string BudgetLedger::item_json(const std::string& id, const Entry& e, const Limits& l) const {
    const int64_t resets = resets_at_us(e, l);
    json::Builder b;
    b.begin_object()
        .field("agent_id", id)
        .field("tokens_used", e.prompt + e.completion)
        .field("prompt_tokens", e.prompt)
        .field("completion_tokens", e.completion)
        .field("estimated_tokens", e.estimated)
        .field("cost_used", e.cost)
        .field("calls", e.calls)
        .field("tokens_limit", l.tokens)
        .field("cost_limit", l.cost)
        .field("window_secs", l.window_secs);
    b.field("window_started_at", ts_or_null(resets > 0 ? e.window_started_us : 0))
        .field("resets_at", ts_or_null(resets))
        .field("exhausted", exhausted(e, l))
        .field("last_used_at", ts_or_null(e.last_used_us))
        .end_object();
    return b.str();
}

std::string BudgetLedger::admit(const std::string& agent_id) {
    const BudgetSettings s = options_.settings();
    if (!s.enabled || !valid_agent_id(agent_id)) return {};
    std::lock_guard lock(mutex_);
    auto it = entries_.find(agent_id);
    if (it == entries_.end()) return {};  // nothing used yet: limits are >= 1
    Entry& e = it->second;
    const Limits l = limits_of(e, s);
    roll_window(e, l, options_.now_us());
    note_state(agent_id, e, l);
    if (!exhausted(e, l)) return {};
    std::string text = "budget exhausted for agent '" + agent_id + "': " + std::to_string(e.prompt + e.completion) +
                       "/" + (l.tokens ? std::to_string(*l.tokens) : std::string("unlimited")) + " tokens";
    if (l.cost) text += ", " + money(e.cost) + "/" + money(*l.cost);
    if (const int64_t resets = resets_at_us(e, l)) text += "; resets at " + clock::format_rfc3339(resets);
    return text;
}

void BudgetLedger::record(const std::string& agent_id, std::string_view message, std::string_view reply_text,
                          const EngineReply& reply, bool replied) {
    const BudgetSettings s = options_.settings();
    if (!s.enabled || !valid_agent_id(agent_id)) return;
    int64_t prompt = 0, completion = 0, estimated = 0;
    if (reply.prompt_tokens >= 0 || reply.completion_tokens >= 0) {
        prompt = std::max<int64_t>(reply.prompt_tokens, 0);
        completion = std::max<int64_t>(reply.completion_tokens, 0);
    } else if (s.estimate_unreported && replied) {
        prompt = quarter_up(message.size());
        completion = quarter_up(reply_text.size());
        estimated = prompt + completion;
    }
    double in = 0, out = 0;
    if (auto p = s.prices.find(reply.model); p != s.prices.end()) {
        in = p->second.input;
        out = p->second.output;
    } else if (reply.cost_input >= 0 && reply.cost_output >= 0) {
        in = reply.cost_input;
        out = reply.cost_output;
    }
    const int64_t now = options_.now_us();
    const Usage u{prompt, completion, estimated,
                  1,      now,        (static_cast<double>(prompt) * in + static_cast<double>(completion) * out) / 1e6};
    bool wake = false;
    {
        std::lock_guard lock(mutex_);
        Entry& e = touch(entries_, agent_id);
        const Limits l = limits_of(e, s);
        add_usage(e, u, l, now);
        note_state(agent_id, e, l);
        Usage& p = pending_[agent_id];
        p.prompt += u.prompt;
        p.completion += u.completion;
        p.estimated += u.estimated;
        p.calls += u.calls;
        p.cost += u.cost;
        p.last_used_us = u.last_used_us;
        wake = !dirty_;  // the flusher waits for clean -> dirty, then for its interval
        dirty_ = true;
    }
    if (wake) cv_.notify_one();
}

void BudgetLedger::add_usage(Entry& e, const Usage& u, const Limits& l, int64_t now) const {
    roll_window(e, l, now);
    if (l.window_secs > 0 && e.window_started_us <= 0) e.window_started_us = now;
    e.prompt += u.prompt;
    e.completion += u.completion;
    e.estimated += u.estimated;
    e.cost += u.cost;
    e.calls += u.calls;
    e.last_used_us = std::max(e.last_used_us, u.last_used_us);
}

BudgetLedger::Entry& BudgetLedger::touch(Entries& all, const std::string& id) {
    auto it = all.find(id);
    if (it != all.end()) return it->second;
    // Past the cap: the least recently used agents without own limits go first.
    while (all.size() >= std::max<size_t>(options_.max_records, 1)) {
        auto victim = all.end();
        for (int pass = 0; pass < 2 && victim == all.end(); ++pass)
            for (auto c = all.begin(); c != all.end(); ++c)
                if ((pass == 1 || !c->second.has_limit()) &&
                    (victim == all.end() || c->second.last_used_us < victim->second.last_used_us))
                    victim = c;
        all.erase(victim);
    }
    return all.emplace(id, Entry{}).first->second;
}

BudgetLedger::Entry& BudgetLedger::find_or_fail(Entries& all, const std::string& id) {
    if (!valid_agent_id(id)) fail(OXIOS_E_INVALID, "invalid agent id");
    auto it = all.find(id);
    if (it == all.end() || !options_.settings().enabled) fail(OXIOS_E_NOT_FOUND, "no budget for agent");
    return it->second;
}

std::string BudgetLedger::document_of(const Entries& all) {
    json::Builder b;
    b.begin_object().field("version", 1).key("agents").begin_array();
    for (const auto& [id, e] : all) {
        b.begin_object()
            .field("agent_id", id)
            .field("prompt_tokens", e.prompt)
            .field("completion_tokens", e.completion)
            .field("estimated_tokens", e.estimated)
            .field("cost_used", e.cost)
            .field("calls", e.calls)
            .field("tokens_limit", e.tokens_limit)
            .field("cost_limit", e.cost_limit)
            .field("window_secs", e.window_secs);
        b.field("window_started_at", ts_or_null(e.window_started_us))
            .field("last_used_at", ts_or_null(e.last_used_us))
            .field("exhausted", e.exhausted_reported)
            .end_object();
    }
    b.end_array().end_object();
    return b.str();
}

void BudgetLedger::commit(const std::function<void(Entries&)>& change) {
    std::map<std::string, Usage> taken;
    std::map<std::string, bool> reported;  // this host's note of each budget_exhausted transition wins
    {
        std::lock_guard lock(mutex_);
        taken.swap(pending_);
        dirty_ = false;
        if (options_.records == nullptr) return change(entries_);
        for (const auto& [id, e] : entries_) reported[id] = e.exhausted_reported;
    }
    const BudgetSettings s = options_.settings();
    const int64_t now = options_.now_us();
    // Adds `usage` (metered here, not in `all` yet) to the entries.
    const auto add_all = [&](Entries& all, const std::map<std::string, Usage>& usage) {
        for (const auto& [id, u] : usage) {
            Entry& e = touch(all, id);
            add_usage(e, u, limits_of(e, s), now);
        }
    };
    Entries next;
    try {
        options_.records->update(kCollection, kKey, [&](const std::optional<std::string>& stored) {
            next = stored ? parse_entries(*stored) : Entries{};
            add_all(next, taken);
            for (auto& [id, e] : next)
                if (auto r = reported.find(id); r != reported.end()) e.exhausted_reported = r->second;
            change(next);
            return std::optional<std::string>(document_of(next));
        });
    } catch (...) {
        std::lock_guard lock(mutex_);
        for (const auto& [id, u] : pending_) {  // metered meanwhile: after the taken ones
            Usage& t = taken[id];
            t.prompt += u.prompt, t.completion += u.completion, t.estimated += u.estimated, t.calls += u.calls;
            t.cost += u.cost, t.last_used_us = u.last_used_us;
        }
        pending_.swap(taken);
        dirty_ = true;
        throw;
    }
    std::lock_guard lock(mutex_);
    add_all(next, pending_);    // metered during the write: still to be written
    for (auto& [id, e] : next)  // noted during the write
        if (auto mine = entries_.find(id); mine != entries_.end() && mine->second.exhausted_reported != reported[id])
            e.exhausted_reported = mine->second.exhausted_reported;
    entries_ = std::move(next);
    dirty_ = !pending_.empty();
}

void BudgetLedger::commit_or_fail(const std::function<void(Entries&)>& change) {
    try {
        commit(change);
    } catch (const services::ServiceError&) {
        throw;
    } catch (const StoreUnavailable&) {
        fail(OXIOS_E_BUSY, "state store unavailable");
    } catch (const std::exception& e) {
        fail(OXIOS_E_IO, std::string("cannot store budgets: ") + e.what());
    }
}

void BudgetLedger::flush() {
    // The write happens outside mutex_: chats are admitted and metered meanwhile.
    std::lock_guard write(write_mutex_);
    {
        std::lock_guard lock(mutex_);
        if (!dirty_ && pending_.empty()) return;
    }
    try {
        commit([](Entries&) {});
    } catch (const std::exception& e) {
        std::fprintf(stderr, "[warn] budget: usage not stored yet: %s\n", e.what());
    }
}

void BudgetLedger::flush_loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
        cv_.wait(lock, [this] { return dirty_ || stopping_; });
        if (stopping_) return;
        // At most one write per interval: usage of the next second waits.
        cv_.wait_for(lock, std::chrono::milliseconds(options_.flush_interval_ms), [this] { return stopping_; });
        if (stopping_) return;
        lock.unlock();
        flush();
        lock.lock();
    }
}

void BudgetLedger::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (flusher_.joinable()) flusher_.join();
    flush();
}

void BudgetLedger::updated(const std::string& id, const Entry* e, const char* action) {
    if (!options_.publish) return;
    json::Builder b;
    b.begin_object().field("agent_id", id);
    if (e != nullptr) {
        const Limits l = limits_of(*e, options_.settings());
        b.field("tokens_limit", l.tokens).field("cost_limit", l.cost).field("window_secs", l.window_secs);
    } else {
        b.field("tokens_limit", nullptr).field("cost_limit", nullptr).field("window_secs", nullptr);
    }
    b.field("action", action).end_object();
    options_.publish("budget_updated", b.str());
}

}  // namespace oxios::kernel
