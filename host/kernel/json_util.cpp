#include "json_util.hpp"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

namespace oxios::kernel::json {

std::string to_string(const rapidjson::Value& value) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    value.Accept(writer);
    return std::string(buffer.GetString(), buffer.GetSize());
}

std::string to_pretty_string(const rapidjson::Value& value) {
    rapidjson::StringBuffer buffer;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
    writer.SetIndent(' ', 2);
    value.Accept(writer);
    return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

std::optional<rapidjson::Document> parse(std::string_view text) {
    rapidjson::Document doc;
    doc.Parse(text.data(), text.size());
    if (doc.HasParseError()) return std::nullopt;
    return doc;
}

const rapidjson::Value* member(const rapidjson::Value& obj, const char* name) {
    if (!obj.IsObject()) return nullptr;
    auto it = obj.FindMember(name);
    return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::string get_string(const rapidjson::Value& obj, const char* name, std::string fallback) {
    const auto* v = member(obj, name);
    if (v == nullptr || !v->IsString()) return fallback;
    return std::string(v->GetString(), v->GetStringLength());
}

int64_t get_int(const rapidjson::Value& obj, const char* name, int64_t fallback) {
    const auto* v = member(obj, name);
    if (v == nullptr) return fallback;
    if (v->IsInt64()) return v->GetInt64();
    if (v->IsUint64()) return static_cast<int64_t>(std::min<uint64_t>(v->GetUint64(), INT64_MAX));
    if (v->IsDouble()) return static_cast<int64_t>(v->GetDouble());
    return fallback;
}

bool get_bool(const rapidjson::Value& obj, const char* name, bool fallback) {
    const auto* v = member(obj, name);
    return (v != nullptr && v->IsBool()) ? v->GetBool() : fallback;
}

Page page_args(const rapidjson::Value& in) {
    Page p;
    int64_t page = get_int(in, "page", 1);
    int64_t limit = get_int(in, "limit", 50);
    p.page = static_cast<uint32_t>(std::clamp<int64_t>(page, 1, 1'000'000));
    p.limit = static_cast<uint32_t>(std::clamp<int64_t>(limit, 1, 500));
    return p;
}

}  // namespace oxios::kernel::json
