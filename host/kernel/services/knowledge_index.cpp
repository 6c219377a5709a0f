#include "services/knowledge_index.hpp"

#include "infra/json_util.hpp"

#include <string.h>

#include <algorithm>
#include <mutex>
#include <set>

namespace oxios::kernel::services::knowledge {
namespace {

constexpr size_t kMaxContentHits = 20;

bool is_note(std::string_view path) { return path.size() > 3 && lower(path.substr(path.size() - 3)) == ".md"; }

std::string_view stem(std::string_view path) {
    std::string_view name = file_name(path);
    return is_note(name) ? name.substr(0, name.size() - 3) : name;
}

const char* find_in(std::string_view hay, std::string_view needle) {
    return static_cast<const char*>(::memmem(hay.data(), hay.size(), needle.data(), needle.size()));
}

size_t count_in(std::string_view hay, std::string_view needle, size_t cap) {
    size_t n = 0;
    for (const char* at = find_in(hay, needle); at != nullptr && n < cap;
         at = find_in(hay.substr(static_cast<size_t>(at - hay.data()) + needle.size()), needle))
        ++n;
    return n;
}

std::vector<std::string> terms_of(std::string_view lowered) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < lowered.size()) {
        while (i < lowered.size() && std::isspace(static_cast<unsigned char>(lowered[i]))) ++i;
        size_t j = i;
        while (j < lowered.size() && !std::isspace(static_cast<unsigned char>(lowered[j]))) ++j;
        if (j > i) out.emplace_back(lowered.substr(i, j - i));
        i = j;
    }
    return out;
}

// A question's words: ASCII letters and digits, 3+ long, not among the commonest.
std::vector<std::string> words_of(std::string_view lowered) {
    static const std::set<std::string_view> common = {
        "about", "all",   "and",   "any",   "are",  "but",  "can",   "could", "did",  "does", "for",    "from", "had",
        "has",   "have",  "how",   "into",  "its",  "not",  "note",  "notes", "one",  "our",  "should", "some", "tell",
        "than",  "that",  "the",   "their", "them", "then", "there", "these", "they", "this", "was",    "were", "what",
        "when",  "where", "which", "who",   "why",  "will", "with",  "would", "you",  "your"};
    std::vector<std::string> out;
    size_t i = 0;
    while (i < lowered.size()) {
        while (i < lowered.size() && !std::isalnum(static_cast<unsigned char>(lowered[i]))) ++i;
        size_t j = i;
        while (j < lowered.size() && std::isalnum(static_cast<unsigned char>(lowered[j]))) ++j;
        const std::string_view word = lowered.substr(i, j - i);
        if (word.size() >= 3 && !common.count(word) && std::find(out.begin(), out.end(), word) == out.end())
            out.emplace_back(word);
        i = j;
    }
    return out;
}

}  // namespace

void LinkIndex::put(const std::string& path, std::string content) {
    if (!is_note(path)) return;
    std::unique_lock lock(mutex_);
    auto it = notes_.find(path);
    const bool fresh = it == notes_.end();
    if (fresh) {
        it = notes_.emplace(path, Note{}).first;
        by_base_[lower(file_name(path))].insert(path);
    } else {
        unlink_out(path, it->second);
    }
    fill(path, it->second, std::move(content));
    link_out(path, it->second);
    if (fresh) relink_watchers(path);
}

void LinkIndex::fill(const std::string& path, Note& note, std::string content) {
    note.content = std::move(content);
    note.lowered = lower(note.content);
    note.lowered_path = lower(path);
    note.lowered_name = lower(stem(path));
    note.links = parse_links(note.content);
}

void LinkIndex::reset(std::vector<std::pair<std::string, std::string>> notes) {
    std::unique_lock lock(mutex_);
    notes_.clear();
    by_base_.clear();
    incoming_.clear();
    watchers_.clear();
    for (auto& note : notes) {
        const std::string& path = note.first;
        if (!is_note(path)) continue;
        auto it = notes_.emplace(path, Note{}).first;
        by_base_[lower(file_name(path))].insert(path);
        fill(path, it->second, std::move(note.second));
    }
    for (auto& [path, note] : notes_) link_out(path, note);  // every note known: no relinking
}

void LinkIndex::remove(const std::string& path) {
    std::unique_lock lock(mutex_);
    auto it = notes_.find(path);
    if (it == notes_.end()) return;
    unlink_out(path, it->second);
    notes_.erase(it);
    auto base = by_base_.find(lower(file_name(path)));
    if (base != by_base_.end()) {
        base->second.erase(path);
        if (base->second.empty()) by_base_.erase(base);
    }
    relink_watchers(path);
}

size_t LinkIndex::size() const {
    std::shared_lock lock(mutex_);
    return notes_.size();
}

bool LinkIndex::contains(const std::string& path) const {
    std::shared_lock lock(mutex_);
    return notes_.count(path) != 0;
}

LinkIndex::Target LinkIndex::resolve(const Link& link, const std::string& source,
                                     std::vector<std::string>& watch) const {
    const Candidates c = candidates(link, source);
    if (!c.root.empty()) watch.push_back("p:" + c.root);
    if (!c.relative.empty()) watch.push_back("p:" + c.relative);
    if (!c.base.empty()) watch.push_back("b:" + c.base);
    Target t{c.root.empty() ? c.relative : c.root, false};
    if (!c.root.empty() && notes_.count(c.root) != 0) {
        t = {c.root, true};
    } else if (!c.relative.empty() && notes_.count(c.relative) != 0) {
        t = {c.relative, true};
    } else if (!c.base.empty()) {
        auto b = by_base_.find(c.base);
        if (b != by_base_.end() && !b->second.empty()) t = {*b->second.begin(), true};
    }
    if (t.path == source) t.path.clear();  // self-links are ignored
    return t;
}

void LinkIndex::link_out(const std::string& path, Note& note) {
    note.targets.clear();
    note.watched.clear();
    for (const auto& link : note.links) {
        note.targets.push_back(resolve(link, path, note.watched));
        if (!note.targets.back().path.empty()) incoming_[note.targets.back().path].insert(path);
    }
    std::sort(note.watched.begin(), note.watched.end());
    note.watched.erase(std::unique(note.watched.begin(), note.watched.end()), note.watched.end());
    for (const auto& key : note.watched) watchers_[key].insert(path);
}

void LinkIndex::unlink_out(const std::string& path, Note& note) {
    auto forget = [&](auto& map, const std::string& key) {
        auto it = map.find(key);
        if (it == map.end()) return;
        it->second.erase(path);
        if (it->second.empty()) map.erase(it);
    };
    for (const auto& t : note.targets)
        if (!t.path.empty()) forget(incoming_, t.path);
    for (const auto& key : note.watched) forget(watchers_, key);
    note.targets.clear();
    note.watched.clear();
}

void LinkIndex::relink_watchers(const std::string& path) {
    std::set<std::string> sources;
    for (const std::string& key : {"p:" + path, "b:" + lower(file_name(path))}) {
        auto it = watchers_.find(key);
        if (it != watchers_.end()) sources.insert(it->second.begin(), it->second.end());
    }
    for (const auto& source : sources) {
        auto it = notes_.find(source);
        if (it == notes_.end() || source == path) continue;
        unlink_out(source, it->second);
        link_out(source, it->second);
    }
}

std::vector<LinkIndex::Backlink> LinkIndex::backlinks(const std::string& path) const {
    std::shared_lock lock(mutex_);
    std::vector<Backlink> out;
    auto in = incoming_.find(path);
    if (in == incoming_.end()) return out;
    for (const auto& source : in->second) {
        const Note& note = notes_.at(source);
        for (size_t i = 0; i < note.links.size(); ++i)
            if (note.targets[i].path == path) out.push_back({source, note.links[i].text, note.links[i].context});
    }
    return out;
}

size_t LinkIndex::backlink_count_locked(const std::string& path) const {
    size_t n = 0;
    auto in = incoming_.find(path);
    if (in == incoming_.end()) return 0;
    for (const auto& source : in->second) {
        const Note& note = notes_.at(source);
        n += static_cast<size_t>(
            std::count_if(note.targets.begin(), note.targets.end(), [&](const Target& t) { return t.path == path; }));
    }
    return n;
}

std::string LinkIndex::graph_json(size_t max_nodes) const {
    std::shared_lock lock(mutex_);
    struct Edge {
        const std::string *source, *target, *label;
    };
    std::vector<Edge> edges;
    std::set<std::string_view> nodes;
    for (const auto& [path, note] : notes_) {
        std::vector<std::string_view> seen;  // a note has few links: a scan beats a set
        for (size_t i = 0; i < note.links.size(); ++i) {
            const Target& t = note.targets[i];
            if (!t.resolved || t.path.empty() || std::find(seen.begin(), seen.end(), t.path) != seen.end()) continue;
            seen.push_back(t.path);
            edges.push_back({&path, &t.path, &note.links[i].text});
            nodes.insert(path);
            nodes.insert(t.path);
        }
    }
    const bool truncated = nodes.size() > max_nodes;
    if (truncated) nodes.erase(std::next(nodes.begin(), static_cast<std::ptrdiff_t>(max_nodes)), nodes.end());
    json::Builder out;
    out.begin_object().key("nodes").begin_array();
    for (auto id : nodes) {
        const size_t slash = id.find('/');
        out.begin_object()
            .field("id", id)
            .field("label", stem(id))
            .field("group", slash == std::string_view::npos ? std::string_view{} : id.substr(0, slash))
            .end_object();
    }
    out.end_array().key("edges").begin_array();
    for (const auto& e : edges) {
        if (truncated && (nodes.count(*e.source) == 0 || nodes.count(*e.target) == 0)) continue;
        out.begin_object().field("source", *e.source).field("target", *e.target).field("label", *e.label).end_object();
    }
    out.end_array();
    if (truncated) out.field("truncated", true);
    out.end_object();
    return out.str();
}

std::vector<LinkIndex::Hit> LinkIndex::search(std::string_view query, size_t limit, Match match) const {
    std::string q = lower(query);
    const auto terms = match == Match::every_term ? terms_of(q) : words_of(q);
    if (terms.empty()) return {};
    const size_t q_begin = q.find_first_not_of(" \t\r\n"), q_last = q.find_last_not_of(" \t\r\n");
    q = q.substr(q_begin, q_last + 1 - q_begin);  // the trimmed query, for name_similarity
    std::shared_lock lock(mutex_);
    struct Candidate {
        const std::string* path;
        const Note* note;
        int similarity;
        size_t matched;  // terms found
        size_t hits;
        const char* first;  // first term in the lowered content, or null
    };
    std::vector<Candidate> found;
    for (const auto& [path, note] : notes_) {
        // One pass per term: its first place in the content (the snippet), then its count from there.
        size_t matched = 0, hits = 0;
        const char* first = nullptr;
        for (const auto& term : terms) {
            const char* at = find_in(note.lowered, term);
            if (at == nullptr) {
                if (find_in(note.lowered_path, term) != nullptr)
                    ++matched;
                else if (match == Match::every_term)
                    break;
                continue;
            }
            ++matched;
            if (first == nullptr || at < first) first = at;
            const size_t from = static_cast<size_t>(at - note.lowered.data()) + term.size();
            if (hits < kMaxContentHits)
                hits += 1 + count_in(std::string_view(note.lowered).substr(from), term, kMaxContentHits - hits - 1);
        }
        if (matched == 0 || (match == Match::every_term && matched < terms.size())) continue;
        const std::string& name_l = note.lowered_name;
        int similarity = 0;
        if (name_l == q)
            similarity = 100;
        else if (name_l.compare(0, q.size(), q) == 0)
            similarity = 80;
        else if (std::all_of(terms.begin(), terms.end(), [&](const auto& t) { return find_in(name_l, t); }))
            similarity = 60;
        found.push_back({&path, &note, similarity, matched, std::min(hits, kMaxContentHits), first});
    }
    const size_t keep = std::min(limit, found.size());
    std::partial_sort(found.begin(), found.begin() + static_cast<std::ptrdiff_t>(keep), found.end(),
                      [](const Candidate& a, const Candidate& b) {
                          if (a.matched != b.matched) return a.matched > b.matched;
                          if (a.similarity != b.similarity) return a.similarity > b.similarity;
                          if (a.hits != b.hits) return a.hits > b.hits;
                          return *a.path < *b.path;
                      });
    found.resize(keep);
    std::vector<Hit> out;
    for (const auto& c : found) {
        Hit hit{*c.path, std::string(file_name(*c.path)), "", backlink_count_locked(*c.path), c.similarity};
        if (c.first != nullptr) {  // the line holding the first match, from the original text
            const size_t at = static_cast<size_t>(c.first - c.note->lowered.data());
            const std::string_view text = c.note->content;
            const size_t begin = text.rfind('\n', at) == std::string_view::npos ? 0 : text.rfind('\n', at) + 1;
            size_t end = text.find('\n', at);
            std::string_view line = text.substr(begin, end == std::string_view::npos ? end : end - begin);
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            hit.snippet = clip_chars(line, kContextChars);
        }
        out.push_back(std::move(hit));
    }
    return out;
}

}  // namespace oxios::kernel::services::knowledge
