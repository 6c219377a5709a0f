// The vault's link index: parsing (rule 5), resolution (6), backlinks (7),
// graph (8) and search (9), after edits, renames and removals.
#include "services/knowledge_index.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

using namespace oxios::kernel::services::knowledge;

namespace {

std::vector<std::string> targets(std::string_view text) {
    std::vector<std::string> out;
    for (const auto& l : parse_links(text)) out.push_back(l.target + "|" + l.text);
    return out;
}

std::vector<std::string> sources(const LinkIndex& index, const std::string& path) {
    std::vector<std::string> out;
    for (const auto& b : index.backlinks(path)) out.push_back(b.source_path + ":" + b.link_text);
    return out;
}

rapidjson::Document graph(const LinkIndex& index, size_t max_nodes = 2000) {
    rapidjson::Document doc;
    doc.Parse(index.graph_json(max_nodes).c_str());
    REQUIRE(!doc.HasParseError());
    return doc;
}

}  // namespace

TEST_CASE("links: wiki forms, markdown links, images, schemes, anchors") {
    CHECK(targets("[[Target]] and [[Other|Alias]] and [[Note#Heading]] and [[N#H|A]]") ==
          std::vector<std::string>{"Target|Target", "Other|Alias", "Note|Note", "N|A"});
    CHECK(targets("[text](dir/Name%20x.md) ![img](pic.png) [web](https://x.y) [mail](mailto:a@b) [top](#anchor)") ==
          std::vector<std::string>{"dir/Name%20x.md|text"});
    CHECK(targets("[t](<a b.md>) [u](c.md \"title\")") == std::vector<std::string>{"a b.md|t", "c.md|u"});
}

TEST_CASE("links: code spans and fenced blocks are ignored") {
    CHECK(targets("`[[Code]]` then [[Real]] and ``[x](y.md) ` `` and `unclosed [[Open]]").size() == 2);
    CHECK(targets("```\n[[Fenced]]\n```\n[[After]]\n~~~~\n[a](b.md)\n~~~\n~~~~\n") ==
          std::vector<std::string>{"After|After"});
    auto links = parse_links("line zero\n\n  see [[X]] here");
    REQUIRE(links.size() == 1);
    CHECK(links[0].line == 2);
    CHECK(links[0].context == "  see [[X]] here");
    const std::string long_line = std::string(200, 'e') + " [[X]]";
    CHECK(parse_links(long_line)[0].context.size() == 160);
    CHECK(clip_chars("ééé", 2) == "éé");
}

TEST_CASE("resolution: root first, then relative, then base name with ties") {
    LinkIndex index;
    index.put("dir/Name x.md", "");
    index.put("dir/src.md", "[a](dir/Name%20x.md) [b](Name%20x.md) [c](/dir/Name%20x.md#part) [d](../dir/Name%20x.md)");
    CHECK(sources(index, "dir/Name x.md") ==
          std::vector<std::string>{"dir/src.md:a", "dir/src.md:b", "dir/src.md:c", "dir/src.md:d"});
    // Wiki by base name, case-insensitive; ties: shortest path, then bytes.
    index.put("zz/deep/Topic.md", "");
    index.put("b/topic.md", "");
    index.put("a/Topic.md", "");
    index.put("w.md", "[[TOPIC]]");
    CHECK(sources(index, "a/Topic.md") == std::vector<std::string>{"w.md:TOPIC"});
    // A root match wins over the base name.
    index.put("TOPIC.md", "");
    CHECK(sources(index, "TOPIC.md") == std::vector<std::string>{"w.md:TOPIC"});
    CHECK(sources(index, "a/Topic.md").empty());
    // Removing it falls back again (a rename = write + delete).
    index.remove("TOPIC.md");
    CHECK(sources(index, "a/Topic.md") == std::vector<std::string>{"w.md:TOPIC"});
}

TEST_CASE("backlinks: unresolved links count, self-links do not, order by source then line") {
    LinkIndex index;
    index.put("b.md", "[[Missing]]\n[[a]]\nx\n[[a|again]]");
    index.put("a.md", "[[a]] self [[Missing]]");
    CHECK(sources(index, "Missing.md") == std::vector<std::string>{"a.md:Missing", "b.md:Missing"});
    CHECK(sources(index, "a.md") == std::vector<std::string>{"b.md:a", "b.md:again"});
    auto g = graph(index);
    CHECK(g["edges"].Size() == 1);  // one per pair, unresolved links make no edge
    CHECK(std::string(g["edges"][0]["label"].GetString()) == "a");
    // Edit: the link goes away with the text.
    index.put("b.md", "no links now");
    CHECK(sources(index, "a.md").empty());
    CHECK(graph(index)["nodes"].Size() == 0);
    // A note created later resolves links written before it.
    index.put("c.md", "[[Later]]");
    CHECK(graph(index)["edges"].Size() == 0);
    index.put("notes/Later.md", "");
    auto g2 = graph(index);
    REQUIRE(g2["nodes"].Size() == 2);
    CHECK(std::string(g2["nodes"][1]["id"].GetString()) == "notes/Later.md");
    CHECK(std::string(g2["nodes"][1]["label"].GetString()) == "Later");
    CHECK(std::string(g2["nodes"][1]["group"].GetString()) == "notes");
    CHECK(std::string(g2["nodes"][0]["group"].GetString()).empty());
    auto cut = graph(index, 1);
    CHECK(cut["truncated"].GetBool());
    CHECK(cut["nodes"].Size() == 1);
    CHECK(cut["edges"].Size() == 0);
}

TEST_CASE("search: every term, ranking by name similarity then hits then path, snippets") {
    LinkIndex index;
    index.put("Garden.md", "about plants");
    index.put("Garden plans.md", "line one\nthe garden plan is here\n");
    index.put("notes/x.md", "garden garden garden plan");
    index.put("notes/y.md", "garden plan");
    index.put("other.md", "nothing");
    index.put("image.png", "garden");  // not a note
    auto hits = index.search("Garden", 10);
    REQUIRE(hits.size() == 4);
    CHECK(hits[0].path == "Garden.md");
    CHECK(hits[0].name_similarity == 100);
    CHECK(hits[0].snippet.empty());  // name-only match
    CHECK(hits[1].path == "Garden plans.md");
    CHECK(hits[1].name_similarity == 80);
    CHECK(hits[1].snippet == "the garden plan is here");
    CHECK(hits[2].path == "notes/x.md");  // 3 hits before 1
    CHECK(hits[3].path == "notes/y.md");

    auto both = index.search("  plan   GARDEN ", 10);
    REQUIRE(both.size() == 4);  // "plants" holds "plan"
    CHECK(both[0].path == "Garden plans.md");
    CHECK(both[0].name_similarity == 60);
    CHECK(both[1].path == "notes/x.md");
    CHECK(both[3].path == "Garden.md");            // one hit: "plan" in "plants"
    CHECK(index.search("notes", 10).size() == 2);  // the path counts
    CHECK(index.search("garden", 1).size() == 1);
    CHECK(index.search("   ", 10).empty());
    index.put("l.md", "[[Garden]] [[Garden]]");
    CHECK(index.search("garden", 1)[0].backlink_count == 2);
}

TEST_CASE("search, related: a question's words, any of them, more of them first") {
    LinkIndex index;
    index.put("Garden.md", "tomatoes need sun; water the beans weekly");
    index.put("Beans.md", "beans climb");
    index.put("Shop.md", "eggs, milk");
    index.put("About.md", "what did the");  // only common words: never a hit
    // Every term would find nothing: "what", "did", "about" are in no note with the rest.
    CHECK(index.search("What did I write about tomatoes and beans?", 10).empty());
    auto hits = index.search("What did I write about tomatoes and beans?", 10, LinkIndex::Match::related);
    REQUIRE(hits.size() == 2);
    CHECK(hits[0].path == "Garden.md");  // both words
    CHECK(hits[0].snippet == "tomatoes need sun; water the beans weekly");
    CHECK(hits[1].path == "Beans.md");  // one (in its name too)
    CHECK(index.search("what about it?", 10, LinkIndex::Match::related).empty());
}
