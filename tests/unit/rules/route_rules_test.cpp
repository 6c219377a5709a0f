// Route patterns, matching and percent-decoding: the rules host, harness and
// web plugin share (sdk/rules).
#include <oxios/rules/percent.hpp>
#include <oxios/rules/route_set.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using oxios::rules::Params;
using oxios::rules::RouteSet;
using Outcome = RouteSet::Outcome;

namespace {

// The pattern the route set picks for (method, raw path), or "404"/"405".
std::string pick(const RouteSet& set, const std::string& method, const std::string& raw, Params* params = nullptr) {
    size_t index = 0;
    Params p;
    switch (set.match(method, raw, index, p)) {
        case Outcome::NotFound:
            return "404";
        case Outcome::MethodNotAllowed:
            return "405";
        case Outcome::Found:
            break;
    }
    if (params) *params = p;
    return set.entries()[index].method + " " + set.entries()[index].pattern;
}

RouteSet make(std::initializer_list<std::pair<const char*, const char*>> routes) {
    RouteSet set;
    for (auto& [m, p] : routes) REQUIRE(set.add(m, p) == OXIOS_OK);
    return set;
}

}  // namespace

TEST_CASE("patterns: what parses and what is refused, with the reason") {
    std::vector<oxios::rules::Segment> segs;
    CHECK(oxios::rules::parse_pattern("/api/sessions/{id}", segs).empty());
    REQUIRE(segs.size() == 3);
    CHECK(segs[2].type == oxios::rules::Segment::Param);
    CHECK(segs[2].text == "id");
    CHECK(oxios::rules::parse_pattern("/files/{*path}", segs).empty());
    CHECK(segs.back().type == oxios::rules::Segment::Rest);
    CHECK(oxios::rules::parse_pattern("/", segs).empty());
    CHECK(segs.empty());
    CHECK(oxios::rules::parse_pattern("api", segs) == "pattern must start with '/'");
    CHECK(oxios::rules::parse_pattern("", segs) == "pattern must start with '/'");
    CHECK(oxios::rules::parse_pattern("/a/{}", segs).find("bad parameter name") != std::string::npos);
    CHECK(oxios::rules::parse_pattern("/a/{*}", segs).find("bad parameter name") != std::string::npos);
    CHECK(oxios::rules::parse_pattern("/a/{x*y}", segs).find("bad parameter name") != std::string::npos);
    CHECK(oxios::rules::parse_pattern("/{*rest}/tail", segs) == "{*rest} must be the last segment");
    CHECK(oxios::rules::parse_pattern("/a{b}", segs).find("malformed segment") != std::string::npos);
    CHECK(oxios::rules::parse_pattern("/a/{b", segs).find("malformed segment") != std::string::npos);
}

TEST_CASE("methods: upper-case letters or '*'") {
    RouteSet set;
    std::string why;
    CHECK(set.add("get", "/a", &why) == OXIOS_E_INVALID);
    CHECK(why == "invalid method 'get'");
    CHECK(set.add("", "/a") == OXIOS_E_INVALID);
    CHECK(set.add("M-SEARCH", "/a") == OXIOS_E_INVALID);
    CHECK(set.add("OPTIONS", "/a") == OXIOS_OK);
    CHECK(set.add("*", "/a") == OXIOS_OK);
}

TEST_CASE("conflicts: same method and shape, whatever the parameter names") {
    RouteSet set = make({{"GET", "/items/{id}"}});
    std::string why;
    CHECK(set.add("GET", "/items/{other}", &why) == OXIOS_E_CONFLICT);
    CHECK(why == "route conflict: GET /items/{other} is already registered as /items/{id}");
    CHECK(set.add("POST", "/items/{id}") == OXIOS_OK);    // another method
    CHECK(set.add("GET", "/items/special") == OXIOS_OK);  // another shape
    CHECK(set.add("GET", "/items/{*rest}") == OXIOS_OK);
    CHECK(set.size() == 4);
}

TEST_CASE("precedence: literal > {param} > {*rest}; an exact method beats '*'") {
    RouteSet set = make({{"GET", "/items/{id}"},
                         {"GET", "/items/special"},
                         {"GET", "/items/{*rest}"},
                         {"*", "/any"},
                         {"POST", "/any"}});
    Params p;
    CHECK(pick(set, "GET", "/items/special") == "GET /items/special");
    CHECK(pick(set, "GET", "/items/abc", &p) == "GET /items/{id}");
    CHECK(p == Params{{"id", "abc"}});
    CHECK(pick(set, "GET", "/items/a/b", &p) == "GET /items/{*rest}");
    CHECK(p == Params{{"rest", "a/b"}});
    CHECK(pick(set, "POST", "/any") == "POST /any");
    CHECK(pick(set, "PUT", "/any") == "* /any");
}

TEST_CASE("the pick does not depend on the order the routes were added (routes are visited by length)") {
    std::vector<std::pair<const char*, const char*>> routes = {
        {"GET", "/items/{id}"}, {"GET", "/items/special"}, {"GET", "/items/{*rest}"}, {"*", "/items/{id}"},
        {"POST", "/items"},     {"GET", "/{*page}"},       {"GET", "/items/{id}/x"}};
    std::sort(routes.begin(), routes.end());
    do {
        RouteSet set;
        for (auto& [m, p] : routes) REQUIRE(set.add(m, p) == OXIOS_OK);
        CHECK(pick(set, "GET", "/items/special") == "GET /items/special");
        CHECK(pick(set, "GET", "/items/abc") == "GET /items/{id}");
        CHECK(pick(set, "PUT", "/items/abc") == "* /items/{id}");
        CHECK(pick(set, "GET", "/items/abc/x") == "GET /items/{id}/x");
        CHECK(pick(set, "GET", "/items/abc/y") == "GET /items/{*rest}");
        CHECK(pick(set, "GET", "/items") == "GET /items/{*rest}");
        CHECK(pick(set, "DELETE", "/items") == "405");
        CHECK(pick(set, "GET", "/other") == "GET /{*page}");
    } while (std::next_permutation(routes.begin(), routes.end()));
}

TEST_CASE("edges: trailing slash, empty segments, {*path} empty and not") {
    RouteSet set = make({{"GET", "/hello"}, {"GET", "/items/{id}"}, {"GET", "/files/{*path}"}, {"GET", "/"}});
    Params p;
    CHECK(pick(set, "GET", "/hello") == "GET /hello");
    CHECK(pick(set, "GET", "/hello/") == "404");  // no trailing-slash folding
    CHECK(pick(set, "GET", "/items/") == "404");  // {id} needs a non-empty segment
    CHECK(pick(set, "GET", "/items//x") == "404");
    CHECK(pick(set, "GET", "/") == "GET /");
    CHECK(pick(set, "GET", "/files", &p) == "GET /files/{*path}");
    CHECK(p == Params{{"path", ""}});
    CHECK(pick(set, "GET", "/files/", &p) == "GET /files/{*path}");
    CHECK(p == Params{{"path", ""}});
    CHECK(pick(set, "GET", "/files/a//b/", &p) == "GET /files/{*path}");
    CHECK(p == Params{{"path", "a//b/"}});
    CHECK(pick(set, "GET", std::string(oxios::rules::raw_path_of("/hello?x=1#frag"))) == "GET /hello");
}

TEST_CASE("405 only when another method's route knows the path; a root catch-all does not") {
    RouteSet set = make({{"GET", "/hello"}, {"GET", "/files/{*path}"}, {"GET", "/{*page}"}});
    CHECK(pick(set, "DELETE", "/hello") == "405");
    CHECK(pick(set, "POST", "/files/x") == "405");
    CHECK(pick(set, "POST", "/nowhere") == "404");
    CHECK(pick(set, "GET", "/nowhere") == "GET /{*page}");
    RouteSet with_any = make({{"GET", "/hello"}, {"*", "/{*page}"}});
    CHECK(pick(with_any, "POST", "/hello") == "405");  // the catch-all does not hide a known path
    CHECK(pick(with_any, "POST", "/other") == "* /{*page}");
}

TEST_CASE("segments are decoded once, after the split") {
    RouteSet set = make({{"GET", "/items/{id}"}, {"GET", "/files/{*path}"}, {"GET", "/a b"}});
    Params p;
    CHECK(pick(set, "GET", "/items/a%2Fb", &p) == "GET /items/{id}");  // %2F stays inside its segment
    CHECK(p == Params{{"id", "a/b"}});
    CHECK(pick(set, "GET", "/items/%2541", &p) == "GET /items/{id}");  // once: %25 -> '%', not 'A'
    CHECK(p == Params{{"id", "%41"}});
    CHECK(pick(set, "GET", "/items/%zz%4", &p) == "GET /items/{id}");  // invalid escapes stay literal
    CHECK(p == Params{{"id", "%zz%4"}});
    CHECK(pick(set, "GET", "/items/%C3%A9t%C3%A9", &p) == "GET /items/{id}");  // UTF-8
    CHECK(p == Params{{"id", "\xC3\xA9t\xC3\xA9"}});
    CHECK(pick(set, "GET", "/items/a+b", &p) == "GET /items/{id}");  // '+' is not a space in a path
    CHECK(p == Params{{"id", "a+b"}});
    CHECK(pick(set, "GET", "/files/%2E%2E/x", &p) == "GET /files/{*path}");
    CHECK(p == Params{{"path", "../x"}});
    CHECK(pick(set, "GET", "/a%20b") == "GET /a b");
}

TEST_CASE("percent_decode: query form and the helpers") {
    using oxios::rules::percent_decode;
    CHECK(percent_decode("a+b%20c") == "a+b c");
    CHECK(percent_decode("a+b%20c", true) == "a b c");
    CHECK(percent_decode("%") == "%");
    CHECK(percent_decode("%4") == "%4");
    CHECK(percent_decode("%41") == "A");
    CHECK(percent_decode("%e2%82%ac") == "\xE2\x82\xAC");
    CHECK(oxios::rules::raw_path_of("/a/b?x=1") == "/a/b");
    CHECK(oxios::rules::raw_path_of("/a#f?x") == "/a");
    std::vector<std::string> segs;
    oxios::rules::decode_segments("/x%2Fy/z", segs);
    CHECK(segs == std::vector<std::string>{"x/y", "z"});
    CHECK(oxios::rules::join_path(segs) == "/x/y/z");
    oxios::rules::decode_segments("/", segs);
    CHECK(segs.empty());
    CHECK(oxios::rules::join_path(segs) == "/");
    CHECK(oxios::rules::pattern_matches("/api/{*rest}", "/api/x/y"));
    CHECK_FALSE(oxios::rules::pattern_matches("/api/{id}", "/api/"));
    CHECK_FALSE(oxios::rules::pattern_matches("/api/{", "/api/{"));  // malformed pattern
}
