#include "store/pg_schema.hpp"

#include <cstdio>
#include <string>

namespace oxios::kernel::pg {

namespace {

// Never edit a migration that has shipped: add the next one.
constexpr const char* kMigrations[] = {
    // 1: sessions (a head snapshot + append-only exchanges), records.
    R"sql(
CREATE TABLE sessions (
    id             text PRIMARY KEY,
    user_id        text NOT NULL,
    space_id       text,
    active_seed_id text,
    created_at     text NOT NULL,
    updated_at     text NOT NULL,
    created_us     bigint NOT NULL,
    updated_us     bigint NOT NULL,
    message_count  bigint NOT NULL,
    head           text NOT NULL  -- the session document holding exchanges 0 .. its own count - 1
);
CREATE INDEX sessions_newest ON sessions (updated_us DESC, id);
CREATE TABLE exchanges (
    session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    seq        bigint NOT NULL,
    user_item  text NOT NULL,
    agent_item text NOT NULL,
    updated_at text NOT NULL,
    seed_id    text,
    space_id   text,
    PRIMARY KEY (session_id, seq)
);
-- One exchange in one transaction and one round trip: lock the session row
-- (created first when new), insert with the next seq, update the counters.
CREATE FUNCTION oxios_append_exchange(p_id text, p_user_id text, p_head text, p_created_at text,
                                      p_created_us bigint, p_user_item text, p_agent_item text,
                                      p_updated_at text, p_updated_us bigint, p_seed text, p_space text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    INSERT INTO sessions (id, user_id, created_at, updated_at, created_us, updated_us, message_count, head)
    VALUES (p_id, p_user_id, p_created_at, p_created_at, p_created_us, p_created_us, 0, p_head)
    ON CONFLICT (id) DO NOTHING;
    SELECT message_count INTO n FROM sessions WHERE id = p_id FOR UPDATE;
    INSERT INTO exchanges (session_id, seq, user_item, agent_item, updated_at, seed_id, space_id)
    VALUES (p_id, n, p_user_item, p_agent_item, p_updated_at, NULLIF(p_seed, ''), NULLIF(p_space, ''));
    UPDATE sessions
       SET message_count = n + 1, updated_at = p_updated_at, updated_us = p_updated_us,
           active_seed_id = COALESCE(NULLIF(p_seed, ''), active_seed_id),
           space_id = COALESCE(NULLIF(p_space, ''), space_id)
     WHERE id = p_id;
    RETURN n;
END $$;
-- Whole JSON documents of the other services (spaces, ...), by collection and key.
CREATE TABLE records (
    collection text NOT NULL,
    key        text NOT NULL,
    body       text NOT NULL,
    PRIMARY KEY (collection, key)
);
)sql",
    // 2: the cluster's event log. seq comes from event_seq's one row, locked
    // by the UPDATE until commit: commit order is seq order.
    R"sql(
CREATE TABLE event_seq (id integer PRIMARY KEY CHECK (id = 1), last bigint NOT NULL);
INSERT INTO event_seq VALUES (1, 0);
CREATE TABLE events (
    seq   bigint PRIMARY KEY,
    at_us bigint NOT NULL,
    body  text NOT NULL  -- the event's JSON exactly as published
);
CREATE INDEX events_by_time ON events (at_us);
CREATE FUNCTION oxios_publish_events(p_bodies json, p_at_us bigint)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n integer; top bigint;
BEGIN
    n := json_array_length(p_bodies);
    UPDATE event_seq SET last = last + n WHERE id = 1 RETURNING last INTO top;
    INSERT INTO events (seq, at_us, body)
    SELECT top - n + e.ord, p_at_us, e.value::text
      FROM json_array_elements(p_bodies) WITH ORDINALITY AS e(value, ord);
    PERFORM pg_notify('oxios_events', '');  -- a wake-up only, never the payload
    RETURN top;
END $$;
)sql",
    // 3: a batch retried after a COMMIT whose answer was lost stores nothing
    // twice: events are known by their own "id" (a UUID), those already
    // stored are skipped, and seq stays gapless.
    R"sql(
ALTER TABLE events ADD COLUMN event_id text;
CREATE UNIQUE INDEX events_by_event_id ON events (event_id);
CREATE OR REPLACE FUNCTION oxios_publish_events(p_bodies json, p_at_us bigint)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint; top bigint;
BEGIN
    SELECT last INTO top FROM event_seq WHERE id = 1 FOR UPDATE;
    INSERT INTO events (seq, at_us, body, event_id)
    SELECT top + row_number() OVER (ORDER BY e.ord), p_at_us, e.value::text, e.value->>'id'
      FROM json_array_elements(p_bodies) WITH ORDINALITY AS e(value, ord)
     WHERE NOT EXISTS (SELECT 1 FROM events x WHERE x.event_id = e.value->>'id');
    GET DIAGNOSTICS n = ROW_COUNT;
    UPDATE event_seq SET last = top + n WHERE id = 1;
    IF n > 0 THEN
        PERFORM pg_notify('oxios_events', '');  -- a wake-up only, never the payload
    END IF;
    RETURN top + n;
END $$;
)sql",
    // 4: the cluster's audit chain. Lines verbatim by seq; audit_head's one
    // row (the last seq and hash) is locked by each append until commit.
    R"sql(
CREATE TABLE audit_head (id integer PRIMARY KEY CHECK (id = 1), seq bigint NOT NULL, hash text NOT NULL);
INSERT INTO audit_head VALUES (1, 0, repeat('0', 64));
CREATE TABLE audit_entries (
    seq  bigint PRIMARY KEY,
    line text NOT NULL  -- the entry's line exactly as hashed, "\n" included
);
)sql",
};

constexpr int64_t kMigrationLock = 0x6f78696f73;  // "oxios"

}  // namespace

int latest_schema_version() { return static_cast<int>(std::size(kMigrations)); }

int migrate(Connection& conn) {
    conn.exec("SELECT pg_advisory_lock($1)", {std::to_string(kMigrationLock)});
    int applied = 0;
    try {
        conn.exec_script(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
        auto r = conn.exec("SELECT COALESCE(max(version), 0) FROM schema_version");
        const int current = static_cast<int>(to_int64(r.get(), 0, 0));
        if (current > latest_schema_version())
            throw Error("the database's schema is version " + std::to_string(current) +
                            ", newer than this host knows (" + std::to_string(latest_schema_version()) + ")",
                        false);
        for (int v = current + 1; v <= latest_schema_version(); ++v) {
            conn.exec_script("BEGIN");
            try {
                conn.exec_script(kMigrations[v - 1]);
                conn.exec("INSERT INTO schema_version (version) VALUES ($1)", {std::to_string(v)});
                conn.exec_script("COMMIT");
            } catch (...) {
                if (conn.usable()) PQclear(PQexec(conn.raw(), "ROLLBACK"));
                throw;
            }
            ++applied;
            std::fprintf(stderr, "oxios: state store: applied migration %d\n", v);
        }
    } catch (...) {
        if (conn.usable()) PQclear(PQexec(conn.raw(), "SELECT pg_advisory_unlock_all()"));
        throw;
    }
    conn.exec("SELECT pg_advisory_unlock($1)", {std::to_string(kMigrationLock)});
    return applied;
}

}  // namespace oxios::kernel::pg
