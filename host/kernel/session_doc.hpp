// One session file (docs/api.md, "Session file") held in memory in a form that
// makes an append cheap: the two message arrays are kept as serialised item
// text, everything else as a small JSON document. Appending serialises only
// the new items; writing the file splices the pieces (no re-serialisation of
// old messages), so the cost of an append barely depends on the history.
//
// An appended exchange is first an ExchangeRecord: the unit the store writes
// to a session's journal (one JSON line) and applies to the document or to
// the index summary, on append and on replay alike.
#pragma once

#include "oxios_plugin.h"

#include <rapidjson/document.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oxios::kernel {

class SpareFiles;

struct SessionSummary {
    std::string id, user_id, space_id, active_seed_id;  // "" = null
    std::string created_at, updated_at;
    int64_t created_us = 0, updated_us = 0;
    uint64_t message_count = 0;  // user messages
};

// One exchange as it changes a session.
struct ExchangeRecord {
    uint64_t index = 0;      // user messages before it: its place in user_messages
    std::string user_item;   // {"content","timestamp"}, serialised
    std::string agent_item;  // {"content","session_id","seed_id","phase_reached","evaluation_passed","timestamp"}
    std::string updated_at;  // the session's updated_at afterwards
    std::string seed_id;     // "" = active_seed_id unchanged
    std::string space_id;    // "" = metadata.space_id unchanged

    // {"n":index,"user":{..},"agent":{..},"updated_at":"..",["seed_id":".."],["space_id":".."]} + '\n'
    std::string journal_line() const;
    // One line without its '\n'; nullopt when it is not such an object.
    static std::optional<ExchangeRecord> from_journal_line(std::string_view line);
};

// The records of a journal's text, in order: complete ('\n'-terminated),
// parsable lines from the start. A torn last line, or anything after the
// first bad line, is left out; valid_bytes is where the good part ends.
struct JournalScan {
    std::vector<ExchangeRecord> records;
    size_t valid_bytes = 0;
};
JournalScan scan_journal(std::string_view text);

// Applies, in order, the records that follow `count` user messages (those
// below it are in the document already) and stops at a gap, logged with
// `where`; returns how many it applied. Journal replay and the PostgreSQL
// backend's exchanges alike.
template <typename Apply>
uint64_t replay_records(const std::vector<ExchangeRecord>& records, uint64_t count, const char* where, Apply&& apply) {
    uint64_t applied = 0;
    for (const auto& r : records) {
        if (r.index < count + applied) continue;
        if (r.index > count + applied) {
            std::fprintf(stderr, "oxios: %s: exchanges skip from message %llu to %llu; ignoring the rest\n", where,
                         static_cast<unsigned long long>(count + applied), static_cast<unsigned long long>(r.index));
            break;
        }
        apply(r);
        ++applied;
    }
    return applied;
}

// The summary after `record` (message_count, updated_at, seed, space).
void apply_record(SessionSummary& summary, const ExchangeRecord& record);

// {"items":[{"id","user_id","space_id","message_count","active_seed_id",
// "created_at","updated_at"}...],"total":N}: a page of session_list.
std::string summaries_page_json(const std::vector<SessionSummary>& items, size_t total);
// {"count":N,"config":{"max_sessions","ttl_hours"}}: the result of a prune.
std::string prune_result_json(uint64_t count, int64_t max_sessions, int64_t ttl_hours);
// Sessions updated before this are past their TTL; INT64_MIN when none is
// (ttl_hours 0, or a span that does not fit in int64 microseconds).
int64_t prune_cutoff_us(int64_t now_us, int64_t ttl_hours);
// Whether a prune runs now: forced, or the last one (kept in `last_prune_us`)
// is more than an hour old; records now when it runs. At most one caller of
// a given hour wins.
bool prune_due(std::atomic<int64_t>& last_prune_us, int64_t now_us, bool force);

class SessionDoc {
public:
    static SessionDoc create(std::string_view id, std::string_view user_id, int64_t now_us);
    // Parses a session file; nullopt when it is not a JSON object.
    static std::optional<SessionDoc> parse(std::string_view text);
    // The summary of a file's text without keeping it (index build).
    static std::optional<SessionSummary> summarize(std::string_view id, std::string_view text);

    // The record of appending `exchange` now (index = user_count()); the
    // document is unchanged until apply().
    ExchangeRecord record(const oxios_exchange& exchange, int64_t now_us) const;
    void apply(const ExchangeRecord& record);
    void append(const oxios_exchange& exchange, int64_t now_us) { apply(record(exchange, now_us)); }

    // Atomic + durable; the temp file is one of `spares` when one is ready.
    void write(const std::filesystem::path& file, SpareFiles* spares = nullptr) const;
    std::string to_json() const;  // the file's text
    // The file's text plus a top-level "space_id" (metadata.space_id or null):
    // the GET /api/sessions/{id} body.
    std::string to_api_json() const;
    SessionSummary summary(std::string_view id) const;
    uint64_t user_count() const { return user_count_; }
    size_t bytes() const { return user_items_.size() + agent_items_.size() + 256; }

private:
    // Serialises the head/tail with placeholders; returns the text and the
    // offsets of the two "[]" placeholders.
    std::string frame(size_t& user_at, size_t& agent_at, bool api) const;
    std::string splice(bool api) const;

    rapidjson::Document meta_;              // every member except the two arrays
    std::string user_items_, agent_items_;  // "{...},{...}"
    uint64_t user_count_ = 0;
};

}  // namespace oxios::kernel
