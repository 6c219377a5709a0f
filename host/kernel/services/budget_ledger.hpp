// Token and cost budgets per chat identity (docs/api-operator.md, "Budget"): meters
// every final delivery of a message that reached the engine, refuses a
// message at admission once its agent's limit is used up, restarts usage per
// window. State: record (".oxios", "budget") of ctx.records; limits written
// at once, usage at most once per flush interval and at stop(). Every write
// is one atomic update of the stored document that adds this host's usage
// since its last write: hosts sharing the store lose nothing of each other's.
#pragma once

#include "kernel.hpp"
#include "store/record_store.hpp"

#include <rapidjson/document.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace oxios::kernel {

struct EngineReply;  // engines/engine.hpp

struct BudgetSettings {
    bool enabled = true;
    std::optional<int64_t> default_tokens_limit;
    std::optional<double> default_cost_limit;
    int64_t default_window_secs = 0;
    bool estimate_unreported = true;
    struct Price {
        double input = 0, output = 0;  // USD per million tokens
    };
    std::map<std::string, Price> prices;  // by "provider/model"
};

class BudgetLedger {
public:
    struct Options {
        RecordStore* records = nullptr;
        std::function<BudgetSettings()> settings;  // read live
        std::function<uint64_t(std::string_view type, std::string_view fields_json)> publish;
        std::function<int64_t()> now_us;
        size_t max_records = 10'000;
        int64_t flush_interval_ms = 1000;
    };
    explicit BudgetLedger(Options options);
    ~BudgetLedger();  // stop()
    BudgetLedger(const BudgetLedger&) = delete;
    BudgetLedger& operator=(const BudgetLedger&) = delete;

    // Gateway admission: "" admits; else the refusal text (ERROR DENIED).
    std::string admit(const std::string& agent_id);
    // One final delivery of a message that reached the engine: the reply's
    // reported usage, or estimates from the texts; `replied` = a REPLY.
    void record(const std::string& agent_id, std::string_view message, std::string_view reply_text,
                const EngineReply& reply, bool replied);

    // budget.* methods (abi/METHODS.md); failures throw ServiceError.
    Result list(uint64_t offset, uint64_t limit);
    Result get(const std::string& agent_id);
    Result set(const std::string& agent_id, const rapidjson::Value& in);
    Result reset(const std::string& agent_id);
    Result remove(const std::string& agent_id);

    void flush();  // writes pending usage now
    void stop();   // ends the flush thread after a last flush; idempotent

    // 1-128 bytes of UTF-8, no control character, no '/'.
    static bool valid_agent_id(std::string_view id);

private:
    struct Entry {
        int64_t prompt = 0, completion = 0, estimated = 0, calls = 0;
        double cost = 0;
        std::optional<int64_t> tokens_limit, window_secs;  // the agent's own
        std::optional<double> cost_limit;
        int64_t window_started_us = 0, last_used_us = 0;  // 0 = never
        bool exhausted_reported = false;
        bool has_limit() const { return tokens_limit || cost_limit || window_secs; }
        bool used() const { return calls > 0 || prompt + completion > 0 || cost > 0; }
    };
    struct Limits {
        std::optional<int64_t> tokens;
        std::optional<double> cost;
        int64_t window_secs = 0;
    };
    Limits limits_of(const Entry& e, const BudgetSettings& s) const;
    bool exhausted(const Entry& e, const Limits& l) const;
    static int64_t resets_at_us(const Entry& e, const Limits& l);       // end of the window, 0 = none
    void roll_window(Entry& e, const Limits& l, int64_t now) const;     // window passed -> usage 0
    void note_state(const std::string& id, Entry& e, const Limits& l);  // budget_exhausted once per transition
    std::string item_json(const std::string& id, const Entry& e, const Limits& l) const;
    using Entries = std::map<std::string, Entry>;
    // Usage metered here and not yet written (added to the stored document).
    struct Usage {
        int64_t prompt = 0, completion = 0, estimated = 0, calls = 0, last_used_us = 0;
        double cost = 0;
    };
    Entry& find_or_fail(Entries& all, const std::string& id);
    Entry& touch(Entries& all, const std::string& id);  // creates (dropping LRU ones past the cap)
    void add_usage(Entry& e, const Usage& u, const Limits& l, int64_t now) const;
    static Entries parse_entries(const std::string& text);
    static std::string document_of(const Entries& all);
    // With write_mutex_ held: one atomic update of the stored document (this
    // host's pending usage added, then change(), which may run twice), then
    // adopted as entries_. Throws what the store or change throws.
    void commit(const std::function<void(Entries&)>& change);
    void commit_or_fail(const std::function<void(Entries&)>& change);  // store failures as ServiceError
    void load();
    void flush_loop();
    void updated(const std::string& id, const Entry* e, const char* action);

    Options options_;
    std::mutex write_mutex_;  // one write of the record at a time, taken before mutex_
    std::mutex mutex_;
    Entries entries_;
    std::map<std::string, Usage> pending_;
    bool dirty_ = false, stopping_ = false;
    std::condition_variable cv_;
    std::thread flusher_;
};

class Config;
// The budget.* config keys as BudgetSettings, read live (budget_config.cpp).
std::function<BudgetSettings()> budget_settings_reader(const Config& config);

class ServiceRegistry;
// Registers budget.* on `registry`; `ledger` must outlive it.
void register_budget_service(ServiceRegistry& registry, BudgetLedger& ledger);

}  // namespace oxios::kernel
