// Small RapidJSON helpers shared by the kernel's files.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace oxios::kernel::json {

// Compact serialisation of a value.
std::string to_string(const rapidjson::Value& value);
// Indented serialisation (config file on disk).
std::string to_pretty_string(const rapidjson::Value& value);

// Parses `text`; nullopt on a parse error. An empty text is an error.
std::optional<rapidjson::Document> parse(std::string_view text);

// Member lookups that tolerate absence and wrong types.
const rapidjson::Value* member(const rapidjson::Value& obj, const char* name);
std::string get_string(const rapidjson::Value& obj, const char* name, std::string fallback = "");
int64_t get_int(const rapidjson::Value& obj, const char* name, int64_t fallback);
bool get_bool(const rapidjson::Value& obj, const char* name, bool fallback);

// Builds a string value owned by `alloc`.
inline rapidjson::Value str(std::string_view s, rapidjson::Document::AllocatorType& alloc) {
    return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), alloc);
}

// Pagination arguments of METHODS.md: page >= 1 (default 1), limit 1..500 (default 50).
struct Page {
    uint32_t page = 1;
    uint32_t limit = 50;
    size_t offset() const { return static_cast<size_t>(page - 1) * limit; }
};
Page page_args(const rapidjson::Value& in);

}  // namespace oxios::kernel::json
