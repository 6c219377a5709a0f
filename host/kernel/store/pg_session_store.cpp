#include "store/pg_session_store.hpp"

#include "infra/clock.hpp"
#include "infra/ids.hpp"
#include "services/service_registry.hpp"
#include "session_doc.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace oxios::kernel {

namespace {

std::string_view view(oxios_str s) { return s.ptr == nullptr ? std::string_view{} : std::string_view(s.ptr, s.len); }

// Unavailable (the pool logs the outage once) or a failed statement (logged).
Result unavailable(const pg::Error& e, const char* what) {
    if (!e.lost()) std::fprintf(stderr, "oxios: state store: %s: %s\n", what, e.what());
    return e.lost() ? error_result(OXIOS_E_BUSY, kStoreUnavailable) : error_result(OXIOS_E_IO, "state store failure");
}

Status status_of(const pg::Error& e, const char* what) { return unavailable(e, what).status; }

// The document of session `id` from its head and the exchanges after it, in
// one statement (one snapshot). nullopt when there is no such session.
std::optional<SessionDoc> load(pg::Connection& c, std::string_view id) {
    auto r = c.exec(
        "SELECT -1, head, NULL, NULL, NULL, NULL FROM sessions WHERE id = $1 "
        "UNION ALL SELECT seq, user_item, agent_item, updated_at, seed_id, space_id "
        "FROM exchanges WHERE session_id = $1 ORDER BY 1",
        {id});
    const int rows = PQntuples(r.get());
    if (rows == 0 || pg::to_int64(r.get(), 0, 0) != -1) return std::nullopt;
    auto doc = SessionDoc::parse(pg::text(r.get(), 0, 1));
    if (!doc) throw pg::Error("session " + std::string(id) + ": its head is not a JSON object", false);
    std::vector<ExchangeRecord> records;
    records.reserve(static_cast<size_t>(rows - 1));
    for (int row = 1; row < rows; ++row) {
        ExchangeRecord rec;
        rec.index = static_cast<uint64_t>(pg::to_int64(r.get(), row, 0));
        rec.user_item = pg::text(r.get(), row, 1);
        rec.agent_item = pg::text(r.get(), row, 2);
        rec.updated_at = pg::text(r.get(), row, 3);
        if (!pg::is_null(r.get(), row, 4)) rec.seed_id = pg::text(r.get(), row, 4);
        if (!pg::is_null(r.get(), row, 5)) rec.space_id = pg::text(r.get(), row, 5);
        records.push_back(std::move(rec));
    }
    const std::string where = "session " + std::string(id);
    replay_records(records, doc->user_count(), where.c_str(), [&](const ExchangeRecord& rec) { doc->apply(rec); });
    return doc;
}

}  // namespace

PgSessionStore::PgSessionStore(std::shared_ptr<pg::Pool> pool, std::function<int64_t()> now_us)
    : pool_(std::move(pool)), now_us_(std::move(now_us)) {}

Result PgSessionStore::get(std::string_view id) { return read(id, true); }

Result PgSessionStore::export_file(std::string_view id) { return read(id, false); }

Result PgSessionStore::read(std::string_view id, bool api) {
    if (!valid_id(id)) return error_result(OXIOS_E_INVALID, "invalid session id");
    try {
        auto doc = pool_->run([&](pg::Connection& c) { return load(c, id); }, true);
        if (!doc) return error_result(OXIOS_E_NOT_FOUND, "session not found");
        return Result{OXIOS_OK, api ? doc->to_api_json() : doc->to_json()};
    } catch (const pg::Error& e) {
        return unavailable(e, "session read failed");
    }
}

Status PgSessionStore::append(const oxios_exchange& ex) {
    const std::string_view id = view(ex.session_id);
    if (!valid_id(id)) return OXIOS_E_INVALID;
    const int64_t now = now_us_();
    // The head of the session if this exchange creates it; the record's items
    // do not depend on the document (its index is the row's count).
    const int64_t created_us = ex.user_time_us > 0 ? ex.user_time_us : now;
    const SessionDoc head = SessionDoc::create(id, view(ex.user_id), created_us);
    const ExchangeRecord rec = head.record(ex, now);
    const SessionSummary first = head.summary(id);
    const int64_t updated_us = clock::parse_rfc3339(rec.updated_at).value_or(now);
    try {
        // Not retried: a lost connection may have committed it (then it is
        // in the store, though the client was told it failed).
        pool_->run([&](pg::Connection& c) {
            c.exec(
                "SELECT oxios_append_exchange($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
                {id, first.user_id, head.to_json(), first.created_at, std::to_string(first.created_us), rec.user_item,
                 rec.agent_item, rec.updated_at, std::to_string(updated_us), rec.seed_id, rec.space_id});
        });
        return OXIOS_OK;
    } catch (const pg::Error& e) {
        return status_of(e, "session append failed");
    }
}

Result PgSessionStore::list(uint32_t page, uint32_t limit) const {
    page = std::max<uint32_t>(page, 1);
    limit = std::clamp<uint32_t>(limit, 1, 500);
    const uint64_t offset = static_cast<uint64_t>(page - 1) * limit;
    try {
        return pool_->run(
            [&](pg::Connection& c) {
                auto r = c.exec(
                    "SELECT (SELECT count(*) FROM sessions), id, user_id, space_id, message_count, "
                    "active_seed_id, created_at, updated_at, created_us, updated_us FROM sessions "
                    "ORDER BY updated_us DESC, id LIMIT $1 OFFSET $2",
                    {std::to_string(limit), std::to_string(offset)});
                size_t total = 0;
                std::vector<SessionSummary> items;
                const int rows = PQntuples(r.get());
                for (int row = 0; row < rows; ++row) {
                    total = static_cast<size_t>(pg::to_int64(r.get(), row, 0));
                    SessionSummary s;
                    s.id = pg::text(r.get(), row, 1);
                    s.user_id = pg::text(r.get(), row, 2);
                    s.space_id = pg::text(r.get(), row, 3);
                    s.message_count = static_cast<uint64_t>(pg::to_int64(r.get(), row, 4));
                    s.active_seed_id = pg::text(r.get(), row, 5);
                    s.created_at = pg::text(r.get(), row, 6);
                    s.updated_at = pg::text(r.get(), row, 7);
                    items.push_back(std::move(s));
                }
                if (rows == 0) {  // a page past the end still says how many there are
                    auto n = c.exec("SELECT count(*) FROM sessions");
                    total = static_cast<size_t>(pg::to_int64(n.get(), 0, 0));
                }
                last_count_ = total;
                return Result{OXIOS_OK, summaries_page_json(items, total)};
            },
            true);
    } catch (const pg::Error& e) {
        return unavailable(e, "session list failed");
    }
}

Status PgSessionStore::remove(std::string_view id) {
    if (!valid_id(id)) return OXIOS_E_INVALID;
    try {
        const bool gone = pool_->run(
            [&](pg::Connection& c) {
                auto r = c.exec("DELETE FROM sessions WHERE id = $1", {id});
                return std::string_view(PQcmdTuples(r.get())) != "0";
            },
            true);
        return gone ? OXIOS_OK : OXIOS_E_NOT_FOUND;
    } catch (const pg::Error& e) {
        return status_of(e, "session delete failed");
    }
}

Result PgSessionStore::prune(bool force, int64_t max_sessions, int64_t ttl_hours) {
    const int64_t now = now_us_();
    uint64_t count = 0;
    if (prune_due(last_prune_us_, now, force)) {
        const int64_t keep = max_sessions > 0 ? max_sessions : std::numeric_limits<int64_t>::max();
        try {
            count = pool_->run(
                [&](pg::Connection& c) {
                    auto r = c.exec(
                        "DELETE FROM sessions WHERE id IN ("
                        " SELECT id FROM sessions WHERE updated_us < $1"
                        " UNION SELECT id FROM (SELECT id FROM sessions"
                        "  ORDER BY updated_us DESC, id OFFSET $2) AS beyond)",
                        {std::to_string(prune_cutoff_us(now, ttl_hours)), std::to_string(keep)});
                    return static_cast<uint64_t>(std::strtoull(PQcmdTuples(r.get()), nullptr, 10));
                },
                true);
        } catch (const pg::Error& e) {
            return unavailable(e, "session prune failed");
        }
    }
    return Result{OXIOS_OK, prune_result_json(count, max_sessions, ttl_hours)};
}

size_t PgSessionStore::count() const {
    try {
        last_count_ = pool_->run(
            [](pg::Connection& c) {
                auto r = c.exec("SELECT count(*) FROM sessions");
                return static_cast<size_t>(pg::to_int64(r.get(), 0, 0));
            },
            true);
    } catch (const pg::Error&) {
        // unavailable: the last count known
    }
    return last_count_;
}

bool PgSessionStore::healthy(std::string& detail) const {
    if (!pool_->healthy(detail)) return false;
    detail = std::to_string(count()) + " sessions (" + detail + ")";
    return true;
}

Status PgSessionStore::import_file(std::string_view id, std::string_view text) {
    if (!valid_id(id)) return OXIOS_E_INVALID;
    auto doc = SessionDoc::parse(text);
    if (!doc) return OXIOS_E_INVALID;
    const SessionSummary s = doc->summary(id);
    try {
        // Replaces only a session with fewer user messages (one statement).
        const bool stored = pool_->run([&](pg::Connection& c) {
            auto r = c.exec(
                "INSERT INTO sessions (id, user_id, space_id, active_seed_id, created_at, updated_at,"
                " created_us, updated_us, message_count, head)"
                " VALUES ($1, $2, NULLIF($3, ''), NULLIF($4, ''), $5, $6, $7, $8, $9, $10)"
                " ON CONFLICT (id) DO UPDATE SET user_id = EXCLUDED.user_id, space_id = EXCLUDED.space_id,"
                " active_seed_id = EXCLUDED.active_seed_id, created_at = EXCLUDED.created_at,"
                " updated_at = EXCLUDED.updated_at, created_us = EXCLUDED.created_us,"
                " updated_us = EXCLUDED.updated_us, message_count = EXCLUDED.message_count, head = EXCLUDED.head"
                " WHERE sessions.message_count < EXCLUDED.message_count",
                {id, s.user_id, s.space_id, s.active_seed_id, s.created_at, s.updated_at, std::to_string(s.created_us),
                 std::to_string(s.updated_us), std::to_string(s.message_count), doc->to_json()});
            return std::string_view(PQcmdTuples(r.get())) != "0";
        });
        return stored ? OXIOS_OK : OXIOS_E_CONFLICT;
    } catch (const pg::Error& e) {
        return status_of(e, "session import failed");
    }
}

}  // namespace oxios::kernel
