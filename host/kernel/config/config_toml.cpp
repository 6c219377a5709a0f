#include "config/config_toml.hpp"

#include <toml++/toml.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace oxios::kernel::config_toml {

namespace {

constexpr int kMaxDepth = 256;  // as deep as toml++ reads (TOML_MAX_NESTED_VALUES)

using Alloc = rapidjson::Document::AllocatorType;

std::string join(const std::string& prefix, std::string_view key) {
    return prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
}

// A date, time or date-time as its RFC 3339 text.
template <typename T>
rapidjson::Value printed(const T& value, Alloc& a) {
    std::ostringstream out;
    out << value;
    const std::string text = out.str();
    return rapidjson::Value(text.data(), static_cast<rapidjson::SizeType>(text.size()), a);
}

rapidjson::Value to_json(const toml::node& node, const std::string& key, Alloc& a, std::map<std::string, int>* lines) {
    rapidjson::Value v;
    if (const auto* t = node.as_table()) {
        v.SetObject();
        for (const auto& [k, child] : *t) {
            const std::string path = join(key, k.str());
            if (lines != nullptr) lines->emplace(path, static_cast<int>(k.source().begin.line));
            v.AddMember(rapidjson::Value(k.data(), static_cast<rapidjson::SizeType>(k.length()), a),
                        to_json(child, path, a, lines), a);
        }
    } else if (const auto* arr = node.as_array()) {
        v.SetArray();
        for (const auto& child : *arr) v.PushBack(to_json(child, key, a, nullptr), a);
    } else if (const auto* s = node.as_string()) {
        v.SetString(s->get().data(), static_cast<rapidjson::SizeType>(s->get().size()), a);
    } else if (const auto* i = node.as_integer()) {
        v.SetInt64(i->get());
    } else if (const auto* f = node.as_floating_point()) {
        if (!std::isfinite(f->get()))
            throw std::runtime_error("line " + std::to_string(node.source().begin.line) + ": key " + key +
                                     ": a number is out of range");
        v.SetDouble(f->get());
    } else if (const auto* b = node.as_boolean()) {
        v.SetBool(b->get());
    } else if (const auto* d = node.as_date()) {
        v = printed(d->get(), a);
    } else if (const auto* tm = node.as_time()) {
        v = printed(tm->get(), a);
    } else if (const auto* dt = node.as_date_time()) {
        v = printed(dt->get(), a);
    }
    return v;
}

// The key a malformed line is about: its table header and the name left of
// '=' (the parser reports the line only).
std::string key_at_line(std::string_view text, size_t line) {
    std::string table, key;
    size_t n = 1;
    for (size_t pos = 0; pos <= text.size() && n <= line; ++n) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view l = text.substr(pos, end - pos);
        const size_t first = l.find_first_not_of(" \t");
        l = first == std::string_view::npos ? std::string_view{} : l.substr(first);
        if (l.starts_with("[")) {
            const bool array = l.starts_with("[[");
            const size_t close = l.find(array ? "]]" : "]");
            table = std::string(l.substr(array ? 2 : 1, close == std::string_view::npos ? 0 : close - (array ? 2 : 1)));
            key.clear();
        } else if (n == line) {
            const size_t eq = l.find('=');
            if (eq != std::string_view::npos) key = std::string(l.substr(0, eq));
        }
        pos = end + 1;
    }
    auto trim = [](const std::string& s) {
        const size_t b = s.find_first_not_of(" \t\"'");
        const size_t e = s.find_last_not_of(" \t\"'\r");
        return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    table = trim(table);
    key = trim(key);
    if (key.empty()) return table;
    return table.empty() ? key : table + "." + key;
}

void add_to_table(toml::table& t, const std::string& name, const rapidjson::Value& v, const std::string& key,
                  int depth);

void add_to_array(toml::array& arr, const rapidjson::Value& v, const std::string& key, int depth);

// A scalar as a TOML value; false for null (left out).
template <typename Put>
bool put_scalar(const rapidjson::Value& v, Put&& put) {
    if (v.IsString())
        put(std::string(v.GetString(), v.GetStringLength()));
    else if (v.IsBool())
        put(v.GetBool());
    else if (v.IsInt64())
        put(v.GetInt64());
    else if (v.IsNumber())
        put(v.GetDouble());  // uint64 above int64: TOML integers are 64-bit signed
    else
        return false;
    return true;
}

void check_depth(int depth, const std::string& key) {
    if (depth > kMaxDepth) throw std::runtime_error(key + ": nested too deeply to be written as TOML");
}

toml::table table_of(const rapidjson::Value& obj, const std::string& key, int depth) {
    check_depth(depth, key);
    toml::table t;
    for (const auto& m : obj.GetObject())
        add_to_table(t, std::string(m.name.GetString(), m.name.GetStringLength()), m.value,
                     join(key, std::string_view(m.name.GetString(), m.name.GetStringLength())), depth + 1);
    return t;
}

toml::array array_of(const rapidjson::Value& list, const std::string& key, int depth) {
    check_depth(depth, key);
    toml::array arr;
    for (const auto& item : list.GetArray()) add_to_array(arr, item, key, depth + 1);
    return arr;
}

void add_to_table(toml::table& t, const std::string& name, const rapidjson::Value& v, const std::string& key,
                  int depth) {
    if (v.IsObject())
        t.insert_or_assign(name, table_of(v, key, depth));
    else if (v.IsArray())
        t.insert_or_assign(name, array_of(v, key, depth));
    else
        put_scalar(v, [&](auto&& x) { t.insert_or_assign(name, std::forward<decltype(x)>(x)); });
}

void add_to_array(toml::array& arr, const rapidjson::Value& v, const std::string& key, int depth) {
    if (v.IsObject())
        arr.push_back(table_of(v, key, depth));
    else if (v.IsArray())
        arr.push_back(array_of(v, key, depth));
    else if (v.IsNull())
        throw std::runtime_error(key + ": TOML arrays cannot hold null");
    else
        put_scalar(v, [&](auto&& x) { arr.push_back(std::forward<decltype(x)>(x)); });
}

void drop_nulls_at(rapidjson::Value& object, const std::string& key, bool (*keep)(const std::string&), int depth) {
    check_depth(depth, key);
    for (auto m = object.MemberBegin(); m != object.MemberEnd();) {
        const std::string path = join(key, std::string_view(m->name.GetString(), m->name.GetStringLength()));
        if (m->value.IsNull() && !keep(path)) {
            m = object.EraseMember(m);
            continue;
        }
        if (m->value.IsObject()) drop_nulls_at(m->value, path, keep, depth + 1);
        ++m;
    }
}

}  // namespace

void drop_nulls(rapidjson::Value& object, bool (*keep)(const std::string& dotted_key)) {
    if (object.IsObject()) drop_nulls_at(object, "", keep, 0);
}

rapidjson::Document parse(std::string_view text, std::map<std::string, int>& lines) {
    toml::table root;
    try {
        root = toml::parse(text);
    } catch (const toml::parse_error& e) {
        const size_t line = e.source().begin.line;
        const std::string key = key_at_line(text, line);
        throw std::runtime_error("line " + std::to_string(line) + (key.empty() ? "" : ": key " + key) + ": " +
                                 std::string(e.description()));
    }
    rapidjson::Document doc;
    rapidjson::Value v = to_json(root, "", doc.GetAllocator(), &lines);
    static_cast<rapidjson::Value&>(doc) = v;  // moves (RapidJSON assignment transfers)
    return doc;
}

std::string write(const rapidjson::Value& object) {
    if (!object.IsObject()) throw std::runtime_error("config: must be an object");
    std::ostringstream out;
    const toml::table root = table_of(object, "", 0);
    // Sub-tables flush left, as people write them by hand.
    out << toml::toml_formatter(root, toml::toml_formatter::default_flags & ~toml::format_flags::indent_sub_tables)
        << '\n';
    return out.str();
}

}  // namespace oxios::kernel::config_toml
