#include "services/front_matter.hpp"

#include <cctype>

namespace oxios::kernel::services {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

std::string unquote(std::string_view v) {
    v = trim(v);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
        std::string out;
        for (size_t i = 1; i + 1 < v.size(); ++i) {
            char c = v[i];
            if (c == '\\' && i + 2 < v.size()) {
                char n = v[++i];
                out.push_back(n == 'n' ? '\n' : n == 't' ? '\t' : n);
            } else {
                out.push_back(c);
            }
        }
        return out;
    }
    if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') {
        std::string out;
        for (size_t i = 1; i + 1 < v.size(); ++i) {
            out.push_back(v[i]);
            if (v[i] == '\'' && i + 2 < v.size() && v[i + 1] == '\'') ++i;
        }
        return out;
    }
    return std::string(v);
}

std::vector<std::string> split_list(std::string_view v) {
    v = trim(v);
    if (v.size() >= 2 && v.front() == '[' && v.back() == ']') v = v.substr(1, v.size() - 2);
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= v.size()) {
        size_t end = v.find(',', start);
        if (end == std::string_view::npos) end = v.size();
        std::string item = unquote(v.substr(start, end - start));
        if (!item.empty()) out.push_back(std::move(item));
        start = end + 1;
    }
    return out;
}

FrontMatter parse_front_matter(std::string_view text) {
    FrontMatter fm;
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // BOM
    size_t pos = 0;
    auto next_line = [&](std::string_view& line) {
        if (pos >= text.size()) return false;
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        line = text.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        pos = end + 1;
        return true;
    };
    std::string_view line;
    if (!next_line(line) || trim(line) != "---") return fm;

    std::string top, sub;  // current top-level key and nested key
    while (next_line(line)) {
        std::string_view t = trim(line);
        if (t == "---" || t == "...") break;
        if (t.empty() || t.front() == '#') continue;
        bool indented = std::isspace(static_cast<unsigned char>(line.front()));
        if (t.starts_with("- ") || t == "-") {
            std::string item = unquote(t.substr(1));
            const std::string& owner = (indented && !sub.empty()) ? sub : top;
            if (!owner.empty() && !item.empty()) fm.items[owner].push_back(std::move(item));
            continue;
        }
        size_t colon = t.find(':');
        if (colon == std::string_view::npos) continue;
        std::string key(trim(t.substr(0, colon)));
        std::string_view value = trim(t.substr(colon + 1));
        if (indented && !top.empty()) {
            sub = top + "." + key;
            fm.scalars[sub] = std::string(value);
        } else {
            top = key;
            sub.clear();
            fm.scalars[top] = std::string(value);
        }
    }
    return fm;
}

}  // namespace oxios::kernel::services
