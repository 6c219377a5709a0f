// The PostgreSQL backend of the record store (record_store.hpp): the
// `records` table, one row per (collection, key).
#pragma once

#include "store/pg_pool.hpp"
#include "store/record_store.hpp"

#include <memory>

namespace oxios::kernel {

class PgRecordStore final : public RecordStore {
public:
    explicit PgRecordStore(std::shared_ptr<pg::Pool> pool) : pool_(std::move(pool)) {}

    std::vector<Record> load_all(std::string_view collection, OnBad on_bad) override;
    std::optional<std::string> get(std::string_view collection, std::string_view key) override;
    void put(std::string_view collection, std::string_view key, std::string_view json) override;
    bool remove(std::string_view collection, std::string_view key) override;
    std::optional<std::string> get_or_set_aside(std::string_view collection, std::string_view key) override;
    std::optional<std::string> update(std::string_view collection, std::string_view key, const Change& fn) override;

private:
    template <class Fn>
    auto run(Fn&& fn, bool retry);
    std::shared_ptr<pg::Pool> pool_;
};

}  // namespace oxios::kernel
