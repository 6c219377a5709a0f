#include "store/pg_record_store.hpp"

#include "ids.hpp"

namespace oxios::kernel {

template <class Fn>
auto PgRecordStore::run(Fn&& fn, bool retry) {
    try {
        return pool_->run(std::forward<Fn>(fn), retry);
    } catch (const pg::Error& e) {
        if (e.lost()) throw StoreUnavailable("state store unavailable");
        throw std::runtime_error(std::string("state store: ") + e.what());
    }
}

std::vector<RecordStore::Record> PgRecordStore::load_all(std::string_view collection, OnBad) {
    // Rows are only ever written from parsed documents: nothing to set aside.
    return run(
        [&](pg::Connection& c) {
            auto r = c.exec("SELECT key, body FROM records WHERE collection = $1 ORDER BY key", {collection});
            std::vector<Record> out;
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
            c.exec("INSERT INTO records (collection, key, body) VALUES ($1, $2, $3) "
                   "ON CONFLICT (collection, key) DO UPDATE SET body = EXCLUDED.body",
                   {collection, key, json});
        },
        true);
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
