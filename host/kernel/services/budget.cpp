// budget.list / get / set / reset / delete (abi/METHODS.md; docs/api-operator.md,
// "Budget"): the ledger's items in and out.
#include "infra/json_util.hpp"
#include "services/budget_ledger.hpp"
#include "services/service_error.hpp"
#include "services/service_registry.hpp"

#include <cmath>

namespace oxios::kernel {
namespace {

using services::fail;

// A member that is present: nullptr when absent.
const rapidjson::Value* present(const rapidjson::Value& in, const char* key) {
    return in.IsObject() ? json::member(in, key) : nullptr;
}

}  // namespace

Result BudgetLedger::list(uint64_t offset, uint64_t limit) {
    const BudgetSettings s = options_.settings();
    std::string items = "[";
    uint64_t total = 0;
    if (s.enabled) {
        std::lock_guard lock(mutex_);
        const int64_t now = options_.now_us();
        for (auto& [id, e] : entries_) {
            const Limits l = limits_of(e, s);
            roll_window(e, l, now);
            if (!e.used() && !e.has_limit() && !l.tokens && !l.cost) continue;
            if (total >= offset && total < offset + limit) items += (items.size() > 1 ? "," : "") + item_json(id, e, l);
            ++total;
        }
    }
    return Result{OXIOS_OK, R"({"items":)" + items + R"(],"total":)" + std::to_string(total) + "}"};
}

Result BudgetLedger::get(const std::string& agent_id) {
    std::lock_guard lock(mutex_);
    Entry& e = find_or_fail(entries_, agent_id);
    const Limits l = limits_of(e, options_.settings());
    roll_window(e, l, options_.now_us());
    return Result{OXIOS_OK, item_json(agent_id, e, l)};
}

Result BudgetLedger::set(const std::string& agent_id, const rapidjson::Value& in) {
    if (!valid_agent_id(agent_id)) fail(OXIOS_E_INVALID, "invalid agent id");
    const rapidjson::Value* tokens = present(in, "tokens_limit");
    if (tokens == nullptr) tokens = present(in, "token_budget");  // the original's name
    const rapidjson::Value* cost = present(in, "cost_limit");
    const rapidjson::Value* window = present(in, "window_secs");
    if (tokens != nullptr && !tokens->IsNull() && !(tokens->IsInt64() && tokens->GetInt64() >= 1))
        fail(OXIOS_E_INVALID, "tokens_limit must be an integer >= 1 or null");
    if (cost != nullptr && !cost->IsNull() &&
        !(cost->IsNumber() && std::isfinite(cost->GetDouble()) && cost->GetDouble() > 0))
        fail(OXIOS_E_INVALID, "cost_limit must be a number > 0 or null");
    if (window != nullptr && !window->IsNull() && !(window->IsInt64() && window->GetInt64() >= 0))
        fail(OXIOS_E_INVALID, "window_secs must be an integer >= 0");
    const BudgetSettings s = options_.settings();
    if (!s.enabled) fail(OXIOS_E_CONFLICT, "budgets are disabled (budget.enabled)");
    std::lock_guard write(write_mutex_);  // one write of the record at a time (flush())
    const int64_t now = options_.now_us();
    commit_or_fail([&](Entries& all) {
        Entry& e = touch(all, agent_id);
        if (tokens != nullptr)
            e.tokens_limit = tokens->IsNull() ? std::nullopt : std::optional<int64_t>(tokens->GetInt64());
        if (cost != nullptr) e.cost_limit = cost->IsNull() ? std::nullopt : std::optional<double>(cost->GetDouble());
        if (window != nullptr)
            e.window_secs = window->IsNull() ? std::nullopt : std::optional<int64_t>(window->GetInt64());
        const Limits l = limits_of(e, s);
        roll_window(e, l, now);
        if (l.window_secs > 0 && e.window_started_us <= 0) e.window_started_us = now;  // a window starts with a limit
    });
    std::lock_guard lock(mutex_);
    Entry& e = entries_[agent_id];
    const Limits l = limits_of(e, s);
    note_state(agent_id, e, l);
    updated(agent_id, &e, "set");
    return Result{OXIOS_OK, item_json(agent_id, e, l)};
}

Result BudgetLedger::reset(const std::string& agent_id) {
    std::lock_guard write(write_mutex_);  // one write of the record at a time (flush())
    const BudgetSettings s = options_.settings();
    const int64_t now = options_.now_us();
    commit_or_fail([&](Entries& all) {
        Entry& e = find_or_fail(all, agent_id);
        const Limits l = limits_of(e, s);
        e.prompt = e.completion = e.estimated = e.calls = 0;
        e.cost = 0;
        e.window_started_us = l.window_secs > 0 ? now : 0;
    });
    std::lock_guard lock(mutex_);
    Entry& e = entries_[agent_id];
    const Limits l = limits_of(e, s);
    note_state(agent_id, e, l);
    updated(agent_id, &e, "reset");
    return Result{OXIOS_OK, item_json(agent_id, e, l)};
}

Result BudgetLedger::remove(const std::string& agent_id) {
    std::lock_guard write(write_mutex_);  // one write of the record at a time (flush())
    commit_or_fail([&](Entries& all) {
        find_or_fail(all, agent_id);
        all.erase(agent_id);
    });
    {
        std::lock_guard lock(mutex_);
        updated(agent_id, nullptr, "deleted");
    }
    json::Builder b;
    b.begin_object().field("status", "deleted").field("agent_id", agent_id).end_object();
    return b.result();
}

void register_budget_service(ServiceRegistry& registry, BudgetLedger& ledger) {
    registry.add("budget.list", [&ledger](const rapidjson::Value& in) {
        const json::Page p = json::read_page(in);
        return ledger.list(p.offset(), p.limit);
    });
    registry.add("budget.get",
                 [&ledger](const rapidjson::Value& in) { return ledger.get(json::req_string(in, "agent_id")); });
    registry.add("budget.set",
                 [&ledger](const rapidjson::Value& in) { return ledger.set(json::req_string(in, "agent_id"), in); });
    registry.add("budget.reset",
                 [&ledger](const rapidjson::Value& in) { return ledger.reset(json::req_string(in, "agent_id")); });
    registry.add("budget.delete",
                 [&ledger](const rapidjson::Value& in) { return ledger.remove(json::req_string(in, "agent_id")); });
}

}  // namespace oxios::kernel
