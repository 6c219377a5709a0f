#include "infra/json_util.hpp"

#include "services/service_error.hpp"

#include <rapidjson/prettywriter.h>

#include <algorithm>
#include <cmath>

namespace oxios::kernel::json {
namespace {

using services::fail;

// A member that is present and not null.
const rapidjson::Value* given(const rapidjson::Value& in, const char* key) {
    const auto* v = member(in, key);
    return (v == nullptr || v->IsNull()) ? nullptr : v;
}

}  // namespace

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

bool all_finite(const rapidjson::Value& value) {
    std::vector<const rapidjson::Value*> todo{&value};
    while (!todo.empty()) {
        const rapidjson::Value* v = todo.back();
        todo.pop_back();
        if (v->IsDouble()) {
            if (!std::isfinite(v->GetDouble())) return false;
        } else if (v->IsArray()) {
            for (const auto& item : v->GetArray()) todo.push_back(&item);
        } else if (v->IsObject()) {
            for (const auto& m : v->GetObject()) todo.push_back(&m.value);
        }
    }
    return true;
}

std::optional<rapidjson::Document> parse_object(std::string_view text) {
    auto doc = parse<rapidjson::kParseIterativeFlag>(text);
    if (doc && !doc->IsObject()) return std::nullopt;
    return doc;
}

const rapidjson::Value* member(const rapidjson::Value& obj, const char* name) {
    if (!obj.IsObject()) return nullptr;
    auto it = obj.FindMember(name);
    return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::optional<std::string> member_string(const rapidjson::Value& obj, const char* name) {
    const auto* v = member(obj, name);
    if (v == nullptr || !v->IsString()) return std::nullopt;
    return std::string(v->GetString(), v->GetStringLength());
}

std::string get_string(const rapidjson::Value& obj, const char* name, std::string fallback) {
    return member_string(obj, name).value_or(std::move(fallback));
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

std::optional<std::string> opt_string(const rapidjson::Value& in, const char* key) {
    const rapidjson::Value* v = given(in, key);
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
    const rapidjson::Value* v = given(in, key);
    if (!v) return std::nullopt;
    if (!v->IsNumber()) fail(OXIOS_E_INVALID, std::string(key) + " must be a number");
    return v->GetDouble();
}

std::optional<int64_t> opt_int(const rapidjson::Value& in, const char* key) {
    const rapidjson::Value* v = given(in, key);
    if (!v) return std::nullopt;
    if (v->IsInt64()) return v->GetInt64();
    if (v->IsUint64()) return INT64_MAX;  // larger than any sane value: saturate
    if (v->IsDouble()) {
        double d = v->GetDouble();
        if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e18) return static_cast<int64_t>(d);
    }
    fail(OXIOS_E_INVALID, std::string(key) + " must be an integer");
}

std::optional<bool> opt_bool(const rapidjson::Value& in, const char* key) {
    const rapidjson::Value* v = given(in, key);
    if (!v) return std::nullopt;
    if (!v->IsBool()) fail(OXIOS_E_INVALID, std::string(key) + " must be a boolean");
    return v->GetBool();
}

std::vector<std::string> opt_string_array(const rapidjson::Value& in, const char* key) {
    std::vector<std::string> out;
    const rapidjson::Value* v = given(in, key);
    if (!v) return out;
    if (!v->IsArray()) fail(OXIOS_E_INVALID, std::string(key) + " must be an array of strings");
    for (const auto& item : v->GetArray()) {
        if (!item.IsString()) fail(OXIOS_E_INVALID, std::string(key) + " must be an array of strings");
        out.emplace_back(item.GetString(), item.GetStringLength());
    }
    return out;
}

Page read_page(const rapidjson::Value& in, bool lenient) {
    auto arg = [&](const char* key, int64_t fallback) {
        return lenient ? get_int(in, key, fallback) : opt_int(in, key).value_or(fallback);
    };
    Page p;
    // The page cap also keeps offset() from overflowing on absurd pages.
    p.page = static_cast<uint64_t>(std::clamp<int64_t>(arg("page", 1), 1, lenient ? 1'000'000 : int64_t{1} << 40));
    p.limit = static_cast<uint64_t>(std::clamp<int64_t>(arg("limit", 50), 1, 500));
    return p;
}

}  // namespace oxios::kernel::json
