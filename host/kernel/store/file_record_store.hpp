// The files backend of the record store (record_store.hpp).
#pragma once

#include "infra/unreadable_files.hpp"
#include "store/record_store.hpp"

#include <filesystem>
#include <functional>

namespace oxios::kernel {

class FileRecordStore final : public RecordStore {
public:
    FileRecordStore(std::filesystem::path root, std::function<int64_t()> now_us, UnreadableFiles* unreadable);

    std::vector<Record> load_all(std::string_view collection, OnBad on_bad) override;
    std::optional<std::string> get(std::string_view collection, std::string_view key) override;
    void put(std::string_view collection, std::string_view key, std::string_view json) override;
    bool remove(std::string_view collection, std::string_view key) override;
    std::optional<std::string> get_or_set_aside(std::string_view collection, std::string_view key) override;
    std::optional<std::string> update(std::string_view collection, std::string_view key, const Change& fn) override;

private:
    std::filesystem::path file_of(std::string_view collection, std::string_view key) const;

    std::filesystem::path root_;
    std::function<int64_t()> now_us_;
    UnreadableFiles* unreadable_;
};

}  // namespace oxios::kernel
