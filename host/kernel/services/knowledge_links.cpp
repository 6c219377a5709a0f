#include "services/knowledge_links.hpp"

#include <oxios/rules/percent.hpp>

#include <cctype>

namespace oxios::kernel::services::knowledge {
namespace {

// Fence marker of a line (``` or ~~~, at most 3 spaces in), or "".
std::string_view fence_of(std::string_view line) {
    size_t i = 0;
    while (i < line.size() && i < 3 && line[i] == ' ') ++i;
    if (i >= line.size() || (line[i] != '`' && line[i] != '~')) return {};
    size_t j = i;
    while (j < line.size() && line[j] == line[i]) ++j;
    return j - i >= 3 ? line.substr(i, j - i) : std::string_view{};
}

// The line with its code spans blanked (same length), so links inside are unseen.
std::string mask_code_spans(std::string_view line) {
    std::string out(line);
    size_t i = 0;
    while ((i = out.find('`', i)) != std::string::npos) {
        size_t n = 0;
        while (i + n < out.size() && out[i + n] == '`') ++n;
        size_t close = i + n;
        for (;;) {
            close = out.find('`', close);
            if (close == std::string::npos) break;
            size_t m = 0;
            while (close + m < out.size() && out[close + m] == '`') ++m;
            if (m == n) break;
            close += m;
        }
        if (close == std::string::npos) {  // unmatched: literal backticks
            i += n;
            continue;
        }
        for (size_t k = i; k < close + n; ++k) out[k] = ' ';
        i = close + n;
    }
    return out;
}

bool has_scheme(std::string_view url) {
    if (url.empty() || !std::isalpha(static_cast<unsigned char>(url[0]))) return false;
    for (size_t i = 1; i < url.size(); ++i) {
        const char c = url[i];
        if (c == ':') return true;
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '.' && c != '-') return false;
    }
    return false;
}

void parse_line(std::string_view raw, uint32_t number, std::vector<Link>& out) {
    if (raw.find('[') == std::string_view::npos) return;  // most lines: no link
    const std::string line = mask_code_spans(raw);
    const std::string context = clip_chars(raw, kContextChars);
    size_t i = 0;
    while ((i = line.find('[', i)) != std::string::npos) {
        if (line.compare(i, 2, "[[") == 0) {
            const size_t end = line.find("]]", i + 2);
            if (end == std::string::npos) break;
            std::string_view inner = std::string_view(line).substr(i + 2, end - i - 2);
            std::string_view alias;
            if (size_t bar = inner.find('|'); bar != std::string_view::npos) {
                alias = inner.substr(bar + 1);
                inner = inner.substr(0, bar);
            }
            inner = inner.substr(0, inner.find('#'));
            if (!inner.empty() && inner.find('[') == std::string_view::npos)
                out.push_back({std::string(inner), std::string(alias.empty() ? inner : alias), context, true, number});
            i = end + 2;
            continue;
        }
        const bool image = i > 0 && line[i - 1] == '!';
        const size_t close = line.find(']', i + 1);
        if (close == std::string::npos) break;
        if (close + 1 >= line.size() || line[close + 1] != '(') {
            i += 1;
            continue;
        }
        size_t depth = 0, end = close + 2;
        for (; end < line.size(); ++end) {
            if (line[end] == '(')
                ++depth;
            else if (line[end] == ')' && depth-- == 0)
                break;
        }
        if (end >= line.size()) break;
        std::string_view url = std::string_view(line).substr(close + 2, end - close - 2);
        while (!url.empty() && url.front() == ' ') url.remove_prefix(1);
        if (!url.empty() && url.front() == '<')
            url = url.substr(1, url.find('>') - 1);
        else
            url = url.substr(0, url.find(' '));  // a "title" after the url
        if (!image && !url.empty() && url.front() != '#' && !has_scheme(url))
            out.push_back({std::string(url), line.substr(i + 1, close - i - 1), context, false, number});
        i = end + 1;
    }
}

// Lexically normalised `path`, "" when it climbs above the vault.
std::string normalise(std::string_view path) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        std::string_view part = path.substr(start, end - start);
        if (part == "..") {
            if (parts.empty()) return {};
            parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        start = end + 1;
    }
    std::string out;
    for (auto part : parts) {
        if (!out.empty()) out += '/';
        out += part;
    }
    return out;
}

bool ends_with_md(std::string_view s) { return s.size() >= 3 && lower(s.substr(s.size() - 3)) == ".md"; }

}  // namespace

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string clip_chars(std::string_view s, size_t max_chars) {
    size_t chars = 0, i = 0;
    for (; i < s.size(); ++i) {
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && chars++ == max_chars) break;
    }
    return std::string(s.substr(0, i));
}

std::string_view file_name(std::string_view path) {
    const size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::vector<Link> parse_links(std::string_view content) {
    std::vector<Link> out;
    std::string_view fence;
    uint32_t number = 0;
    size_t start = 0;
    while (start <= content.size()) {
        size_t end = content.find('\n', start);
        if (end == std::string_view::npos) end = content.size();
        std::string_view line = content.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const std::string_view marker = fence_of(line);
        if (!fence.empty()) {
            if (!marker.empty() && marker[0] == fence[0] && marker.size() >= fence.size()) fence = {};
        } else if (!marker.empty()) {
            fence = marker;
        } else {
            parse_line(line, number, out);
        }
        ++number;
        start = end + 1;
    }
    return out;
}

Candidates candidates(const Link& link, std::string_view source_path) {
    Candidates c;
    if (link.wiki) {
        std::string target = ends_with_md(link.target) ? link.target : link.target + ".md";
        c.root = normalise(target);
        c.base = lower(file_name(target));
        return c;
    }
    std::string url = oxios::rules::percent_decode(link.target);
    url = url.substr(0, url.find('#'));
    std::string_view from_root = url;
    for (std::string_view prefix : {"/", "./", "../"}) {
        if (from_root.substr(0, prefix.size()) == prefix) {
            from_root.remove_prefix(prefix.size());
            break;
        }
    }
    c.root = normalise(from_root);
    const size_t slash = source_path.rfind('/');
    const std::string dir = slash == std::string_view::npos ? "" : std::string(source_path.substr(0, slash + 1));
    if (!url.empty() && url.front() != '/') c.relative = normalise(dir + url);
    return c;
}

}  // namespace oxios::kernel::services::knowledge
