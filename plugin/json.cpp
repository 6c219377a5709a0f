#include "json.hpp"

#include "errors.hpp"

#include <rapidjson/error/en.h>

#include <cmath>
#include <string>
#include <vector>

namespace web::json {

std::string to_string(const Value& v) {
    Builder b;
    b.value(v);
    return b.take();
}

bool all_finite(const Value& value) {
    std::vector<const Value*> todo{&value};
    while (!todo.empty()) {
        const Value* v = todo.back();
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

bool parse(std::string_view text, Document& doc) {
    doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
    return !doc.HasParseError() && all_finite(doc);
}

Document parse_body_object(std::string_view body) {
    Document doc;
    // No body is no fields: the route's own checks name the field it needs (422).
    if (body.empty()) return Document(rapidjson::kObjectType);
    doc.Parse<rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
    if (doc.HasParseError()) {
        throw HttpError(400, std::string("invalid JSON in request body at offset ") +
                                 std::to_string(doc.GetErrorOffset()) + ": " +
                                 rapidjson::GetParseError_En(doc.GetParseError()));
    }
    if (!doc.IsObject()) throw HttpError(400, "invalid request body: expected a JSON object");
    if (!all_finite(doc)) throw HttpError(400, "invalid JSON in request body: a number is out of range");
    return doc;
}

Document parse_host(std::string_view text, std::string_view what) {
    Document doc;
    if (!parse(text, doc)) {
        throw HttpError(500, std::string("invalid result from host for ") + std::string(what));
    }
    return doc;
}

const Value* find(const Value& obj, std::string_view field) {
    if (!obj.IsObject()) return nullptr;
    auto it = obj.FindMember(Value(rapidjson::StringRef(field.data(), field.size())));
    return it == obj.MemberEnd() ? nullptr : &it->value;
}

namespace {
[[noreturn]] void wrong_type(std::string_view field, const char* expected) {
    throw HttpError(422, "field '" + std::string(field) + "' must be " + expected);
}
}  // namespace

std::optional<std::string_view> opt_string(const Value& obj, std::string_view field) {
    const Value* v = find(obj, field);
    if (v == nullptr || v->IsNull()) return std::nullopt;
    if (!v->IsString()) wrong_type(field, "a string");
    return std::string_view(v->GetString(), v->GetStringLength());
}

std::string_view req_string(const Value& obj, std::string_view field) {
    auto s = opt_string(obj, field);
    if (!s) throw HttpError(422, "missing required field '" + std::string(field) + "'");
    return *s;
}

std::optional<double> opt_number(const Value& obj, std::string_view field) {
    const Value* v = find(obj, field);
    if (v == nullptr || v->IsNull()) return std::nullopt;
    if (!v->IsNumber()) wrong_type(field, "a number");
    return v->GetDouble();
}

std::optional<int64_t> opt_int(const Value& obj, std::string_view field) {
    const Value* v = find(obj, field);
    if (v == nullptr || v->IsNull()) return std::nullopt;
    if (v->IsInt64()) return v->GetInt64();
    if (v->IsDouble()) {
        double d = v->GetDouble();
        if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) {
            return static_cast<int64_t>(d);
        }
    }
    wrong_type(field, "an integer");
}

std::optional<bool> opt_bool(const Value& obj, std::string_view field) {
    const Value* v = find(obj, field);
    if (v == nullptr || v->IsNull()) return std::nullopt;
    if (!v->IsBool()) wrong_type(field, "a boolean");
    return v->GetBool();
}

std::optional<std::vector<std::string>> opt_string_array(const Value& obj, std::string_view field) {
    const Value* v = find(obj, field);
    if (v == nullptr || v->IsNull()) return std::nullopt;
    if (!v->IsArray()) wrong_type(field, "an array of strings");
    std::vector<std::string> out;
    out.reserve(v->Size());
    for (const auto& item : v->GetArray()) {
        if (!item.IsString()) wrong_type(field, "an array of strings");
        out.emplace_back(item.GetString(), item.GetStringLength());
    }
    return out;
}

std::string error_message(std::string_view host_body, std::string_view fallback) {
    Document doc;
    if (!host_body.empty() && parse(host_body, doc) && doc.IsObject()) {
        const Value* e = find(doc, "error");
        if (e != nullptr && e->IsString() && e->GetStringLength() > 0) {
            return std::string(e->GetString(), e->GetStringLength());
        }
    }
    return std::string(fallback);
}

bool valid_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const size_t n = s.size();
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t extra;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            extra = 1;
            cp = c & 0x1Fu;
        } else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            cp = c & 0x0Fu;
        } else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            cp = c & 0x07u;
        } else
            return false;
        if (n - i <= extra) return false;
        for (size_t k = 1; k <= extra; ++k) {
            unsigned char cc = p[i + k];
            if ((cc & 0xC0u) != 0x80u) return false;
            cp = (cp << 6) | (cc & 0x3Fu);
        }
        if ((extra == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
            return false;
        }
        i += extra + 1;
    }
    return true;
}

}  // namespace web::json
