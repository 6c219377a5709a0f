// The vault's link index (docs/api-knowledge.md, "Knowledge", rules 6-10): every note's
// links resolved, backlinks, the graph and search, kept in memory and
// updated one note at a time, so no request scans the vault.
#pragma once

#include "services/knowledge_links.hpp"

#include <map>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace oxios::kernel::services::knowledge {

class LinkIndex {
public:
    struct Backlink {
        std::string source_path, link_text, context;
    };
    struct Hit {
        std::string path, name, snippet;
        size_t backlink_count = 0;
        int name_similarity = 0;
    };

    // A note (`.md`; other paths are ignored) was written or removed.
    void put(const std::string& path, std::string content);
    void remove(const std::string& path);
    // Replaces everything with these (path, content) notes, linked once at the end.
    void reset(std::vector<std::pair<std::string, std::string>> notes);
    size_t size() const;
    bool contains(const std::string& path) const;

    // Rule 7: by source_path, then line.
    std::vector<Backlink> backlinks(const std::string& path) const;
    // Rule 8: {"nodes":[{"id","label","group"}],"edges":[{"source","target","label"}]}
    // (+ "truncated":true past `max_nodes`).
    std::string graph_json(size_t max_nodes) const;
    // Rule 9: every term in the path or the content; ranked.
    // `related` (the copilot's): the query's words (3+ letters, common ones
    // dropped), a note holding any of them; more of them ranks first.
    enum class Match { every_term, related };
    std::vector<Hit> search(std::string_view query, size_t limit, Match match = Match::every_term) const;

private:
    struct Target {
        std::string path;  // resolved note, or the path an unresolved link names
        bool resolved = false;
    };
    struct Note {
        std::string content, lowered, lowered_path, lowered_name;  // name: without .md
        std::vector<Link> links;
        std::vector<Target> targets;  // per link; path "" = ignored (self-link, outside)
        std::vector<std::string> watched;
    };
    struct ShortestFirst {
        bool operator()(const std::string& a, const std::string& b) const {
            return a.size() != b.size() ? a.size() < b.size() : a < b;
        }
    };

    void fill(const std::string& path, Note& note, std::string content);  // text, lowered forms, links
    void link_out(const std::string& path, Note& note);                   // resolve + register
    void unlink_out(const std::string& path, Note& note);                 // forget its links
    void relink_watchers(const std::string& path);                        // a note appeared or went
    Target resolve(const Link& link, const std::string& source, std::vector<std::string>& watch) const;
    size_t backlink_count_locked(const std::string& path) const;

    mutable std::shared_mutex mutex_;
    std::map<std::string, Note> notes_;
    std::unordered_map<std::string, std::set<std::string, ShortestFirst>> by_base_;  // lowercased file name
    std::unordered_map<std::string, std::set<std::string>> incoming_;                // target path -> sources
    std::unordered_map<std::string, std::set<std::string>> watchers_;                // candidate -> sources
};

}  // namespace oxios::kernel::services::knowledge
