#include "store/pg_record_store.hpp"

#include "infra/ids.hpp"
#include "store/pg_store_call.hpp"

namespace oxios::kernel {

template <class Fn>
auto PgRecordStore::run(Fn&& fn, bool retry) {
    return pg::store_call(*pool_, std::forward<Fn>(fn), retry);
}

std::vector<RecordStore::Record> PgRecordStore::load_all(std::string_view collection, OnBad) {
    // Rows are only ever written from parsed documents: nothing to set aside.
    return run(
        [&](pg::Connection& c) {
            auto r = c.exec("SELECT key, body FROM records WHERE collection = $1 ORDER BY key", {collection});
            std::vector<Record> out;
            out.reserve(static_cast<size_t>(PQntuples(r.get())));
            for (int row = 0; row < PQntuples(r.get()); ++row)
                out.push_back({std::string(pg::text(r.get(), row, 0)), std::string(pg::text(r.get(), row, 1))});
            return out;
        },
        true);
}

std::optional<std::string> PgRecordStore::get(std::string_view collection, std::string_view key) {
    return run(
        [&](pg::Connection& c) -> std::optional<std::string> {
            auto r = c.exec("SELECT body FROM records WHERE collection = $1 AND key = $2", {collection, key});
            if (PQntuples(r.get()) == 0) return std::nullopt;
            return std::string(pg::text(r.get(), 0, 0));
        },
        true);
}

void PgRecordStore::put(std::string_view collection, std::string_view key, std::string_view json) {
    if (!valid_id(key)) throw std::invalid_argument("invalid record key");
    // Idempotent: safe to repeat on a fresh connection.
    run(
        [&](pg::Connection& c) {
            c.exec(
                "INSERT INTO records (collection, key, body) VALUES ($1, $2, $3) "
                "ON CONFLICT (collection, key) DO UPDATE SET body = EXCLUDED.body",
                {collection, key, json});
        },
        true);
}

std::optional<std::string> PgRecordStore::get_or_set_aside(std::string_view collection, std::string_view key) {
    return get(collection, key);  // rows are only ever written from parsed documents
}

std::optional<std::string> PgRecordStore::update(std::string_view collection, std::string_view key, const Change& fn) {
    if (!valid_id(key)) throw std::invalid_argument("invalid record key");
    constexpr const char* kLock = "SELECT body FROM records WHERE collection = $1 AND key = $2 FOR UPDATE";
    return pg::in_transaction(*pool_, [&](pg::Connection& c) -> std::optional<std::string> {
        auto r = c.exec(kLock, {collection, key});
        if (PQntuples(r.get()) == 0) {
            // None yet: a placeholder row to lock (waits for another host's
            // insert of the same key); rolled back when fn writes nothing.
            c.exec("INSERT INTO records (collection, key, body) VALUES ($1, $2, '') ON CONFLICT DO NOTHING",
                   {collection, key});
            r = c.exec(kLock, {collection, key});
        }
        std::optional<std::string> stored;
        if (PQntuples(r.get()) > 0 && PQgetlength(r.get(), 0, 0) > 0) stored = std::string(pg::text(r.get(), 0, 0));
        std::optional<std::string> next = fn(stored);
        if (!next) {
            if (!stored)
                c.exec("DELETE FROM records WHERE collection = $1 AND key = $2 AND body = ''", {collection, key});
            return stored;
        }
        c.exec("UPDATE records SET body = $3 WHERE collection = $1 AND key = $2", {collection, key, *next});
        return next;
    });
}

bool PgRecordStore::remove(std::string_view collection, std::string_view key) {
    return run(
        [&](pg::Connection& c) {
            auto r = c.exec("DELETE FROM records WHERE collection = $1 AND key = $2", {collection, key});
            return std::string_view(PQcmdTuples(r.get())) != "0";
        },
        true);
}

}  // namespace oxios::kernel
