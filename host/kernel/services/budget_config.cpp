// budget.* config keys -> BudgetSettings, parsed again only when the config
// changed (its generation), since the gateway reads them for every message.
#include "config/config.hpp"
#include "infra/json_util.hpp"
#include "services/budget_ledger.hpp"

#include <memory>

namespace oxios::kernel {
namespace {

BudgetSettings parse_settings(const Config& c) {
    BudgetSettings s;
    s.enabled = c.get_bool("budget.enabled", true);
    s.default_window_secs = c.get_int("budget.default_window_secs", 0);
    s.estimate_unreported = c.get_bool("budget.estimate_unreported", true);
    if (auto doc = json::parse(c.get("budget.default_tokens_limit").value_or("null")); doc && doc->IsInt64())
        s.default_tokens_limit = doc->GetInt64();
    if (auto doc = json::parse(c.get("budget.default_cost_limit").value_or("null")); doc && doc->IsNumber())
        s.default_cost_limit = doc->GetDouble();
    if (auto doc = json::parse(c.get("budget.prices").value_or("{}")); doc && doc->IsObject()) {
        for (const auto& m : doc->GetObject()) {
            if (!m.value.IsObject()) continue;
            const auto* in = json::member(m.value, "input");
            const auto* out = json::member(m.value, "output");
            BudgetSettings::Price p;
            if (in != nullptr && in->IsNumber()) p.input = in->GetDouble();
            if (out != nullptr && out->IsNumber()) p.output = out->GetDouble();
            s.prices[m.name.GetString()] = p;
        }
    }
    return s;
}

}  // namespace

std::function<BudgetSettings()> budget_settings_reader(const Config& config) {
    struct Cache {
        std::mutex mutex;
        uint64_t generation = 0;
        BudgetSettings settings;
    };
    auto cache = std::make_shared<Cache>();
    return [&config, cache] {
        std::lock_guard lock(cache->mutex);
        if (const uint64_t g = config.generation(); g != cache->generation) {
            cache->settings = parse_settings(config);
            cache->generation = g;
        }
        return cache->settings;
    };
}

}  // namespace oxios::kernel
