#include "services/json_util.hpp"

#include "services/service_error.hpp"

#include <algorithm>
#include <cmath>

namespace oxios::kernel::services::json {
namespace {

const rapidjson::Value* find(const rapidjson::Value& in, const char* key) {
    if (!in.IsObject()) return nullptr;
    auto it = in.FindMember(key);
    if (it == in.MemberEnd() || it->value.IsNull()) return nullptr;
    return &it->value;
}

}  // namespace

std::optional<std::string> opt_string(const rapidjson::Value& in, const char* key) {
    const rapidjson::Value* v = find(in, key);
    if (!v) return std::nullopt;
    if (!v->IsString()) fail(OXIOS_E_INVALID, std::string(key) + " must be a string");
    return std::string(v->GetString(), v->GetStringLength());
}

std::string req_string(const rapidjson::Value& in, const char* key) {
    auto s = opt_string(in, key);
    if (!s) fail(OXIOS_E_INVALID, std::string(key) + " is required");
    return std::move(*s);
}

std::optional<double> opt_number(const rapidjson::Value& in, const char* key) {
    const rapidjson::Value* v = find(in, key);
    if (!v) return std::nullopt;
    if (!v->IsNumber()) fail(OXIOS_E_INVALID, std::string(key) + " must be a number");
    return v->GetDouble();
}

std::optional<int64_t> opt_int(const rapidjson::Value& in, const char* key) {
    const rapidjson::Value* v = find(in, key);
    if (!v) return std::nullopt;
    if (v->IsInt64()) return v->GetInt64();
    if (v->IsUint64()) return INT64_MAX;  // larger than any sane value: saturate
    if (v->IsDouble()) {
        double d = v->GetDouble();
        if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e18)
            return static_cast<int64_t>(d);
    }
    fail(OXIOS_E_INVALID, std::string(key) + " must be an integer");
}

std::optional<bool> opt_bool(const rapidjson::Value& in, const char* key) {
    const rapidjson::Value* v = find(in, key);
    if (!v) return std::nullopt;
    if (!v->IsBool()) fail(OXIOS_E_INVALID, std::string(key) + " must be a boolean");
    return v->GetBool();
}

std::vector<std::string> opt_string_array(const rapidjson::Value& in, const char* key) {
    std::vector<std::string> out;
    const rapidjson::Value* v = find(in, key);
    if (!v) return out;
    if (!v->IsArray()) fail(OXIOS_E_INVALID, std::string(key) + " must be an array of strings");
    for (const auto& item : v->GetArray()) {
        if (!item.IsString())
            fail(OXIOS_E_INVALID, std::string(key) + " must be an array of strings");
        out.emplace_back(item.GetString(), item.GetStringLength());
    }
    return out;
}

Page read_page(const rapidjson::Value& in) {
    Page p;
    if (auto page = opt_int(in, "page")) p.page = static_cast<uint64_t>(std::max<int64_t>(*page, 1));
    if (auto limit = opt_int(in, "limit"))
        p.limit = static_cast<uint64_t>(std::clamp<int64_t>(*limit, 1, 500));
    // Keep offset() from overflowing on absurd pages.
    p.page = std::min<uint64_t>(p.page, uint64_t{1} << 40);
    return p;
}

std::optional<std::string> member_string(const rapidjson::Value& obj, const char* key) {
    if (!obj.IsObject()) return std::nullopt;
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd() || !it->value.IsString()) return std::nullopt;
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::optional<rapidjson::Document> parse_object(std::string_view text) {
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
    if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
    return doc;
}

std::string to_string(const rapidjson::Value& value) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    value.Accept(writer);
    return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace oxios::kernel::services::json
