// Helper layer over RapidJSON: building responses with a Writer and reading
// request bodies / host results with a Document. Every JSON the plugin emits
// goes through here; nothing is concatenated by hand.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace web::json {

using Value = rapidjson::Value;
using Document = rapidjson::Document;

// Streaming builder. Calls chain: Builder b; b.obj().key("a").str("x").end();
class Builder {
public:
    Builder() : writer_(buffer_) {}
    Builder(const Builder&) = delete;
    Builder& operator=(const Builder&) = delete;

    Builder& obj() {
        writer_.StartObject();
        return *this;
    }
    Builder& arr() {
        writer_.StartArray();
        return *this;
    }
    Builder& end_obj() {
        writer_.EndObject();
        return *this;
    }
    Builder& end_arr() {
        writer_.EndArray();
        return *this;
    }
    Builder& key(std::string_view k) {
        writer_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
        return *this;
    }
    Builder& str(std::string_view s) {
        writer_.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
        return *this;
    }
    Builder& i64(int64_t v) {
        writer_.Int64(v);
        return *this;
    }
    Builder& u64(uint64_t v) {
        writer_.Uint64(v);
        return *this;
    }
    Builder& num(double v) {
        writer_.Double(v);
        return *this;
    }
    Builder& boolean(bool v) {
        writer_.Bool(v);
        return *this;
    }
    Builder& null() {
        writer_.Null();
        return *this;
    }
    // Writes a parsed value (a subtree of a host result, a request field...).
    Builder& value(const Value& v) {
        v.Accept(writer_);
        return *this;
    }

    // Shorthands for "key": value.
    Builder& kv(std::string_view k, std::string_view v) { return key(k).str(v); }
    Builder& kv(std::string_view k, const char* v) { return key(k).str(v); }
    Builder& kv(std::string_view k, int64_t v) { return key(k).i64(v); }
    Builder& kv(std::string_view k, uint64_t v) { return key(k).u64(v); }
    Builder& kv(std::string_view k, int v) { return key(k).i64(v); }
    Builder& kv(std::string_view k, unsigned v) { return key(k).u64(v); }
    Builder& kv(std::string_view k, double v) { return key(k).num(v); }
    Builder& kv(std::string_view k, bool v) { return key(k).boolean(v); }
    Builder& kv(std::string_view k, const Value& v) { return key(k).value(v); }

    std::string_view view() const { return {buffer_.GetString(), buffer_.GetSize()}; }
    std::string take() const { return std::string(view()); }

private:
    rapidjson::StringBuffer buffer_;
    rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

// Serialises any value.
std::string to_string(const Value& v);

// False when a number in `value` is infinite or NaN: RapidJSON parses a long
// mantissa with a moderate exponent to infinity without an error, and its
// Writer cannot write one (the output would be broken JSON). Iterative.
bool all_finite(const Value& value);

// Parses `text` (UTF-8 validated). Returns false on malformed JSON or a
// number out of double range.
bool parse(std::string_view text, Document& doc);

// Parses a request body that must be a JSON object (an empty body is {}).
// Throws HttpError 400 naming the body on malformed JSON or a non-object.
Document parse_body_object(std::string_view body);

// Parses a host result that must be JSON; throws HttpError 500 otherwise.
Document parse_host(std::string_view text, std::string_view what);

// -- reading fields of a request object; wrong type -> HttpError 422 naming the field --
const Value* find(const Value& obj, std::string_view field);
std::optional<std::string_view> opt_string(const Value& obj, std::string_view field);
std::string_view req_string(const Value& obj, std::string_view field);  // missing -> 422
std::optional<double> opt_number(const Value& obj, std::string_view field);
std::optional<int64_t> opt_int(const Value& obj, std::string_view field);
std::optional<bool> opt_bool(const Value& obj, std::string_view field);
std::optional<std::vector<std::string>> opt_string_array(const Value& obj, std::string_view field);

// Reads a host {"error": "..."} body; returns `fallback` when it is not one.
std::string error_message(std::string_view host_body, std::string_view fallback);

// True when `s` is valid UTF-8.
bool valid_utf8(std::string_view s);

}  // namespace web::json
