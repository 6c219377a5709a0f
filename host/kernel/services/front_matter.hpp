// The front-matter block of a SKILL.md (the skills service, the marketplace):
// "---" lines around flat "key: value" pairs, nested keys and "- item" lists.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oxios::kernel::services {

std::string_view trim(std::string_view s);
// Removes YAML-style quotes: "..." (with \" \\ \n \t escapes) or '...' ('' = ').
std::string unquote(std::string_view v);
// "[a, b]" or "a, b" -> {a, b}
std::vector<std::string> split_list(std::string_view v);

// The front matter as flat keys: "name", "requires.bins", ... Each key keeps
// its raw scalar text and any "- item" lines below it.
struct FrontMatter {
    std::map<std::string, std::string> scalars;
    std::map<std::string, std::vector<std::string>> items;

    std::optional<std::string> text(const std::string& key) const {
        auto it = scalars.find(key);
        if (it == scalars.end()) return std::nullopt;
        std::string v = unquote(it->second);
        if (v.empty()) return std::nullopt;
        return v;
    }
    bool flag(const std::string& key, bool fallback) const {
        auto v = text(key);
        if (!v) return fallback;
        std::string l;
        for (char c : *v) l.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        if (l == "true" || l == "yes") return true;
        if (l == "false" || l == "no") return false;
        return fallback;
    }
    std::vector<std::string> list(const std::string& key) const {
        std::vector<std::string> out;
        if (auto it = scalars.find(key); it != scalars.end()) out = split_list(it->second);
        if (auto it = items.find(key); it != items.end()) out.insert(out.end(), it->second.begin(), it->second.end());
        return out;
    }
    // First of several spellings that is present.
    std::vector<std::string> list_any(std::initializer_list<const char*> keys) const {
        for (const char* k : keys) {
            auto v = list(k);
            if (!v.empty()) return v;
        }
        return {};
    }
};

FrontMatter parse_front_matter(std::string_view text);

}  // namespace oxios::kernel::services
