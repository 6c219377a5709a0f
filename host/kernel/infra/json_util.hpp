// RapidJSON helpers shared by the kernel and its long-tail services:
//  - serialise (compact, or indented for files on disk) and parse;
//  - lenient member lookups that fall back on absence or a wrong type;
//  - typed readers for a method's argument object that throw ServiceError
//    (OXIOS_E_INVALID, naming the field) on a wrong type;
//  - Page, the pagination arguments of METHODS.md;
//  - Builder, a thin streaming writer so that no service builds JSON by hand.
#pragma once

#include "kernel.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace oxios::kernel::json {

// Compact serialisation of a value.
std::string to_string(const rapidjson::Value& value);
// Indented serialisation (config file on disk).
std::string to_pretty_string(const rapidjson::Value& value);

// False when a number in `value` is infinite or NaN. RapidJSON parses a long
// mantissa with a moderate exponent ("3444...4E233") to infinity without an
// error, and its Writer cannot write one: a document holding it would be
// written as broken JSON. Every parse of outside text refuses such numbers.
// Iterative (deeply nested documents are fine).
bool all_finite(const rapidjson::Value& value);

// Parses `text`; nullopt on a parse error or a number out of double range
// (all_finite). An empty text is an error.
template <unsigned ParseFlags = rapidjson::kParseDefaultFlags>
std::optional<rapidjson::Document> parse(std::string_view text) {
    rapidjson::Document doc;
    doc.Parse<ParseFlags>(text.data(), text.size());
    if (doc.HasParseError() || !all_finite(doc)) return std::nullopt;
    return doc;
}
// Parses (iteratively: no recursion on deep nesting) text that must hold a
// JSON object; nullopt otherwise.
std::optional<rapidjson::Document> parse_object(std::string_view text);

// ------------------------------------------------- lenient member lookups ---
// Absence and a wrong type both give the fallback (nullptr / nullopt).
const rapidjson::Value* member(const rapidjson::Value& obj, const char* name);
std::optional<std::string> member_string(const rapidjson::Value& obj, const char* name);
std::string get_string(const rapidjson::Value& obj, const char* name, std::string fallback = "");
int64_t get_int(const rapidjson::Value& obj, const char* name, int64_t fallback);
bool get_bool(const rapidjson::Value& obj, const char* name, bool fallback);

// ------------------------------------------------------- strict readers ---
// Absent and null both count as "not given"; a wrong type throws ServiceError.
std::optional<std::string> opt_string(const rapidjson::Value& in, const char* key);
// Throws INVALID "<key> is required" when absent/null.
std::string req_string(const rapidjson::Value& in, const char* key);
std::optional<double> opt_number(const rapidjson::Value& in, const char* key);
// Accepts integral numbers only ("<key> must be an integer").
std::optional<int64_t> opt_int(const rapidjson::Value& in, const char* key);
std::optional<bool> opt_bool(const rapidjson::Value& in, const char* key);
// An array of strings ("<key> must be an array of strings"); absent = empty.
std::vector<std::string> opt_string_array(const rapidjson::Value& in, const char* key);

// Pagination arguments of METHODS.md: page >= 1 (default 1), limit clamped to
// 1..500 (default 50). By default page/limit are read with opt_int (a
// non-integer throws) and page is capped at 2^40; `lenient` (agents.list,
// spaces.list) reads them with get_int instead (a wrong type counts as absent,
// a fraction is truncated) and caps page at 1'000'000.
struct Page {
    uint64_t page = 1;
    uint64_t limit = 50;
    uint64_t offset() const { return (page - 1) * limit; }
};
Page read_page(const rapidjson::Value& in, bool lenient = false);

// ---------------------------------------------------------------- writing ---
// Builds a string value owned by `alloc`.
inline rapidjson::Value str(std::string_view s, rapidjson::Document::AllocatorType& alloc) {
    return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), alloc);
}

class Builder {
public:
    Builder() : writer_(buffer_) {}
    Builder(const Builder&) = delete;
    Builder& operator=(const Builder&) = delete;

    Builder& begin_object() {
        writer_.StartObject();
        return *this;
    }
    Builder& end_object() {
        writer_.EndObject();
        return *this;
    }
    Builder& begin_array() {
        writer_.StartArray();
        return *this;
    }
    Builder& end_array() {
        writer_.EndArray();
        return *this;
    }
    Builder& key(std::string_view k) {
        writer_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()), true);
        return *this;
    }
    Builder& null() {
        writer_.Null();
        return *this;
    }

    // Writes a value: bool, any integer, floating point, anything convertible
    // to std::string_view, std::nullptr_t, std::optional<T> (null when empty),
    // std::vector<T>, or a rapidjson::Value (copied as is).
    template <class T>
    Builder& value(const T& v) {
        using U = std::remove_cvref_t<T>;
        if constexpr (std::is_same_v<U, bool>) {
            writer_.Bool(v);
        } else if constexpr (std::is_same_v<U, std::nullptr_t>) {
            writer_.Null();
        } else if constexpr (std::is_integral_v<U> && std::is_signed_v<U>) {
            writer_.Int64(static_cast<int64_t>(v));
        } else if constexpr (std::is_integral_v<U>) {
            writer_.Uint64(static_cast<uint64_t>(v));
        } else if constexpr (std::is_floating_point_v<U>) {
            writer_.Double(static_cast<double>(v));
        } else if constexpr (std::is_convertible_v<const U&, std::string_view>) {
            std::string_view s = v;
            writer_.String(s.data(), static_cast<rapidjson::SizeType>(s.size()), true);
        } else if constexpr (std::is_base_of_v<rapidjson::Value, U>) {
            v.Accept(writer_);
        } else if constexpr (is_optional<U>::value) {
            if (v)
                value(*v);
            else
                writer_.Null();
        } else if constexpr (is_vector<U>::value) {
            writer_.StartArray();
            for (const auto& item : v) value(item);
            writer_.EndArray();
        } else {
            static_assert(sizeof(U) == 0, "json::Builder::value: unsupported type");
        }
        return *this;
    }

    template <class T>
    Builder& field(std::string_view k, const T& v) {
        return key(k).value(v);
    }

    // The JSON text written so far.
    std::string str() const { return std::string(buffer_.GetString(), buffer_.GetSize()); }
    // A successful Result with this JSON as its body.
    Result result() const { return Result{OXIOS_OK, str()}; }

private:
    template <class>
    struct is_optional : std::false_type {};
    template <class X>
    struct is_optional<std::optional<X>> : std::true_type {};
    template <class>
    struct is_vector : std::false_type {};
    template <class X, class A>
    struct is_vector<std::vector<X, A>> : std::true_type {};

    rapidjson::StringBuffer buffer_;
    rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

}  // namespace oxios::kernel::json
