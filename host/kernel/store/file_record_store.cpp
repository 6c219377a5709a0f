#include "store/file_record_store.hpp"

#include "infra/atomic_file.hpp"
#include "infra/ids.hpp"
#include "infra/json_util.hpp"
#include "infra/set_aside.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <mutex>

namespace oxios::kernel {

namespace fs = std::filesystem;

namespace {
std::mutex update_mutex;  // update() of any document of this process, one at a time
}

FileRecordStore::FileRecordStore(fs::path root, std::function<int64_t()> now_us, UnreadableFiles* unreadable)
    : root_(std::move(root)), now_us_(std::move(now_us)), unreadable_(unreadable) {}

fs::path FileRecordStore::file_of(std::string_view collection, std::string_view key) const {
    if (!valid_id(key)) throw std::invalid_argument("invalid record key");
    return root_ / collection / (std::string(key) + ".json");
}

std::vector<RecordStore::Record> FileRecordStore::load_all(std::string_view collection, OnBad on_bad) {
    std::vector<Record> out;
    const fs::path dir = root_ / collection;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return out;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
        const std::string key = entry.path().stem().string();
        if (!valid_id(key)) continue;
        std::string why;
        try {
            std::string text = read_file(entry.path());
            auto doc = json::parse(text);
            if (doc && doc->IsObject()) {
                out.push_back({key, std::move(text)});
                continue;
            }
            why = "not a record of " + std::string(collection) + " (malformed JSON or not an object)";
        } catch (const std::exception& e) {
            why = std::string("cannot read: ") + e.what();
        }
        if (on_bad == OnBad::set_aside)
            set_aside(entry.path(), now_us_() / 1'000'000);
        else
            report_unreadable(unreadable_, entry.path(), why);
    }
    std::sort(out.begin(), out.end(), [](const Record& a, const Record& b) { return a.key < b.key; });
    return out;
}

std::optional<std::string> FileRecordStore::get(std::string_view collection, std::string_view key) {
    const fs::path file = file_of(collection, key);
    std::error_code ec;
    if (!fs::exists(file, ec)) return std::nullopt;
    return read_file(file);
}

void FileRecordStore::put(std::string_view collection, std::string_view key, std::string_view json) {
    const fs::path file = file_of(collection, key);
    fs::create_directories(file.parent_path());
    write_file_atomic(file, json);
}

std::optional<std::string> FileRecordStore::get_or_set_aside(std::string_view collection, std::string_view key) {
    const fs::path file = file_of(collection, key);
    std::error_code ec;
    if (!fs::exists(file, ec)) return std::nullopt;
    try {
        std::string text = read_file(file);
        if (const auto doc = json::parse(text); doc && doc->IsObject()) return text;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "[warn] store: cannot read %s: %s\n", file.c_str(), e.what());
    }
    set_aside(file, now_us_() / 1'000'000);
    return std::nullopt;
}

std::optional<std::string> FileRecordStore::update(std::string_view collection, std::string_view key,
                                                   const Change& fn) {
    std::lock_guard lock(update_mutex);
    std::optional<std::string> stored = get(collection, key);
    std::optional<std::string> next = fn(stored);
    if (!next) return stored;
    put(collection, key, *next);
    return next;
}

bool FileRecordStore::remove(std::string_view collection, std::string_view key) {
    const fs::path file = file_of(collection, key);
    if (::unlink(file.c_str()) != 0) {
        if (errno == ENOENT) return false;
        throw std::system_error(errno, std::generic_category(), "cannot remove " + file.string());
    }
    fsync_dir(file.parent_path());
    return true;
}

}  // namespace oxios::kernel
