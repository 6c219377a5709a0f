// Route matching, dispatch and responders.
#include "common.hpp"

using namespace harness_test;

TEST_CASE("precedence: literal > {param} > {*rest}") {
    Loaded l;
    auto& h = l.host;
    CHECK(jstring(parse(h.get("/items/special").body), "route") == "literal");
    const auto p = parse(h.get("/items/abc").body);
    CHECK(jstring(p, "route") == "param");
    CHECK(jstring(p, "id") == "abc");
    CHECK(jstring(parse(h.get("/items/a%20b").body), "id") == "a b");
    CHECK(jstring(parse(h.get("/items/a%2Fb").body), "id") == "a/b");  // an encoded '/' stays in its segment
    const auto r = parse(h.get("/files/a/b/c.txt").body);
    CHECK(jstring(r, "route") == "rest");
    CHECK(jstring(r, "path") == "a/b/c.txt");
    CHECK(jstring(parse(h.get("/files/").body), "path") == "");
    CHECK(jstring(parse(h.get("/files/%2E%2E/x").body), "path") == "../x");
    // POST /sessions/prune (literal) vs GET/DELETE /sessions/{id}
    CHECK(h.get("/sessions/prune").status == 200);  // GET goes to {id}
}

TEST_CASE("an exact method wins over '*' on the same pattern") {
    Loaded l;
    CHECK(jstring(parse(l.host.post("/any", "").body), "route") == "post");
    CHECK(jstring(parse(l.host.get("/any").body), "route") == "star");
    CHECK(jstring(parse(l.host.put("/any", "").body), "route") == "star");
}

TEST_CASE("404 and 405 with JSON bodies") {
    Loaded l;
    auto& h = l.host;
    auto r = h.get("/nope");
    CHECK(r.status == 404);
    CHECK(r.content_type == "application/json");
    CHECK(jstring(parse(r.body), "error") == "not found");
    r = h.del("/hello");
    CHECK(r.status == 405);
    CHECK(jstring(parse(r.body), "error") == "method not allowed");
    CHECK(h.del("/items/x").status == 405);
    // A catch-all of another method below the root makes the path known
    // (the host's rule): 405; only one at the root ("/{*x}") would not.
    CHECK(h.post("/files/x", "").status == 405);
    CHECK(h.get("/hello/").status == 404);   // no trailing-slash folding
    CHECK(h.get("/ec%zzho").status == 404);  // a malformed escape stays literal, as in the host
}

TEST_CASE("the request reaches the plugin as sent") {
    Loaded l;
    oxios::harness::Request req;
    req.method = "POST";
    req.target = "/e%63ho?a=1&b=x+y&c=%26%3D&flag&=v";
    req.body = "payload";
    req.headers = {{"X-Test", "one"}, {"Content-Type", "text/plain"}};
    req.remote_addr = "10.1.2.3";
    req.remote_port = 4242;
    const auto d = parse(l.host.request(req).body);
    CHECK(jstring(d, "method") == "POST");
    CHECK(jstring(d, "path") == "/echo");
    CHECK(jstring(d, "raw_target") == "/e%63ho?a=1&b=x+y&c=%26%3D&flag&=v");
    CHECK(jstring(d, "query") == "a=1&b=x+y&c=%26%3D&flag&=v");
    CHECK(jstring(d, "body") == "payload");
    CHECK(jstring(d, "remote_addr") == "10.1.2.3");
    CHECK(jint(d, "remote_port") == 4242);
    CHECK(jint(d, "route_kind") == OXIOS_ROUTE_PLAIN);
    const auto& q = d["query_params"];
    REQUIRE(q.Size() == 5);
    CHECK(std::string(q[1][1].GetString()) == "x y");
    CHECK(std::string(q[2][1].GetString()) == "&=");
    CHECK(std::string(q[3][0].GetString()) == "flag");
    CHECK(std::string(q[3][1].GetString()) == "");
    CHECK(std::string(q[4][0].GetString()) == "");
    const auto& hd = d["headers"];
    REQUIRE(hd.Size() == 2);
    CHECK(std::string(hd[0][0].GetString()) == "X-Test");
}

TEST_CASE("respond twice: the second call is a CONFLICT, the first response stands") {
    Loaded l;
    const auto r = l.host.post("/twice", "");
    CHECK(r.status == 200);
    CHECK(r.body == "{\"first\":true}");
    CHECK(r.header("x-first") == std::to_string(OXIOS_OK));
    CHECK(r.header("X-Second") == std::to_string(OXIOS_E_CONFLICT));
}

TEST_CASE("a plain route that does not respond is a 500") {
    Loaded l;
    CHECK(l.host.get("/norespond").status == 500);
    CHECK(l.host.get("/fail").status == 500);
    CHECK(l.host.get("/fail").content_type == "application/json");
}

TEST_CASE("a responder used after its handle() returned is refused, not a crash") {
    Loaded l;
    CHECK(l.host.get("/stale/keep").status == 200);
    const auto d = parse(l.host.get("/stale/use").body);
    CHECK(jint(d, "respond") == OXIOS_E_CLOSED);
    CHECK(jint(d, "header") == OXIOS_E_CLOSED);
}

TEST_CASE("concurrent requests from many threads") {
    Loaded l;
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 200; ++i)
                if (l.host.get("/items/" + std::to_string(i)).status == 200) ++ok;
        });
    for (auto& t : threads) t.join();
    CHECK(ok == 800);
}
