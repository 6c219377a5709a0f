// The vault's link syntaxes and where a link points (docs/api-knowledge.md,
// "Knowledge", rules 5-6), as pure functions of a note's text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace oxios::kernel::services::knowledge {

constexpr size_t kContextChars = 160;  // backlink context and search snippet

struct Link {
    std::string target;   // wiki: Target without #heading; markdown: the url as written
    std::string text;     // link_text: the alias, else the target (wiki); the text (markdown)
    std::string context;  // its line, clipped to kContextChars
    bool wiki = false;
    uint32_t line = 0;  // 0-based
};

// Every link of `content` in order: [[T]], [[T|Alias]], [[T#Heading]] and
// [text](url) with no scheme and not starting with `#`; none inside code
// spans or fenced blocks; images are not links.
std::vector<Link> parse_links(std::string_view content);

// Where a link may point, vault-relative: `root` (first choice), `relative`
// (markdown: from the source's directory), `base` (wiki: lowercased file name
// of a note anywhere). Empty when not applicable or leaving the vault.
struct Candidates {
    std::string root, relative, base;
};
Candidates candidates(const Link& link, std::string_view source_path);

// ASCII lowercase.
std::string lower(std::string_view s);
// At most `max_chars` UTF-8 characters of `s`.
std::string clip_chars(std::string_view s, size_t max_chars);
// The file name of a vault path.
std::string_view file_name(std::string_view path);

}  // namespace oxios::kernel::services::knowledge
