// GET /api/openapi.json against the routes the plugin really registers: every
// registered route is documented, no documented operation is invented, and
// each operation's security ([] = public) matches what auth does.
#include "plugin_fixture.hpp"

#include <cctype>
#include <regex>
#include <set>
#include <string>
#include <utility>

using namespace plugin_test;

namespace {

using Op = std::pair<std::string, std::string>;  // {"GET", "/api/sessions/{id}"}

// The methods the host routes to a plugin ("*" stands for all of them).
const char* const kMethods[] = {"GET", "PUT", "POST", "PATCH", "DELETE", "OPTIONS"};

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

// "GET /api/workspace/file/{*path} plain" -> {"GET", "/api/workspace/file/{path}"}
// ("*" expanded): OpenAPI has no rest parameter, the document writes {path}.
std::set<Op> registered(const MockHost& host) {
    std::set<Op> out;
    for (const std::string& r : host.routes()) {
        const size_t sp1 = r.find(' ');
        const size_t sp2 = r.find(' ', sp1 + 1);
        const std::string method = r.substr(0, sp1);
        const std::string pattern = std::regex_replace(r.substr(sp1 + 1, sp2 - sp1 - 1), std::regex(R"(\{\*)"), "{");
        if (method == "*") {
            for (const char* m : kMethods) out.insert({m, pattern});
        } else {
            out.insert({method, pattern});
        }
    }
    return out;
}

std::set<Op> documented(const rapidjson::Document& doc) {
    std::set<Op> out;
    for (const auto& path : doc["paths"].GetObject()) {
        for (const auto& op : path.value.GetObject()) out.insert({upper(op.name.GetString()), path.name.GetString()});
    }
    return out;
}

std::string list(const std::set<Op>& ops) {
    std::string s;
    for (const auto& [m, p] : ops) s += "\n  " + m + " " + p;
    return s;
}

// A concrete target for a documented path: every {param} filled in.
std::string target_for(const std::string& path) {
    if (path == "/{path}") return "/index.html";
    return std::regex_replace(path, std::regex(R"(\{[a-z_]+\})"), "x1");
}

}  // namespace

TEST_CASE_FIXTURE(Fixture, "openapi: an OpenAPI 3.1 JSON document of this build") {
    const auto doc = json_of(host.get("/api/openapi.json"), 200);
    REQUIRE(doc.IsObject());
    CHECK(std::string(doc["openapi"].GetString()).rfind("3.1.", 0) == 0);
    CHECK(std::string(doc["info"]["version"].GetString()) == host.plugin_version());
    CHECK(doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer");
    CHECK(doc["security"][0].HasMember("bearer"));
}

TEST_CASE_FIXTURE(Fixture, "openapi: every registered route documented, none invented") {
    const auto doc = json_of(host.get("/api/openapi.json"), 200);
    const std::set<Op> reg = registered(host);
    const std::set<Op> docs = documented(doc);
    REQUIRE(reg.size() > 40);
    std::set<Op> missing, invented;
    for (const Op& op : reg)
        if (!docs.count(op)) missing.insert(op);
    for (const Op& op : docs)
        if (!reg.count(op)) invented.insert(op);
    CHECK_MESSAGE(missing.empty(), "registered but not in the document:" << list(missing));
    CHECK_MESSAGE(invented.empty(), "in the document but not registered:" << list(invented));
}

TEST_CASE_FIXTURE(Fixture, "openapi: the WebSocket route answers 101, the SSE route text/event-stream") {
    const auto doc = json_of(host.get("/api/openapi.json"), 200);
    size_t ws = 0, sse = 0;
    for (const std::string& r : host.routes()) {
        const size_t sp1 = r.find(' ');
        const size_t sp2 = r.find(' ', sp1 + 1);
        const std::string path = r.substr(sp1 + 1, sp2 - sp1 - 1);
        const std::string kind = r.substr(sp2 + 1);
        CAPTURE(r);
        if (kind == "websocket") {
            ++ws;
            CHECK(doc["paths"][path.c_str()]["get"]["responses"].HasMember("101"));
        } else if (kind == "sse") {
            ++sse;
            CHECK(doc["paths"][path.c_str()]["get"]["responses"]["200"]["content"].HasMember("text/event-stream"));
        }
    }
    CHECK(ws == 1);
    CHECK(sse == 1);
}

TEST_CASE_FIXTURE(Fixture, "openapi: an operation is public exactly when its security is []") {
    const auto doc = json_of(host.get("/api/openapi.json"), 200);
    host.set_config(R"({"security":{"auth_enabled":true}})");
    host.set_tokens({"s3cret"});
    size_t public_ops = 0;
    for (const auto& path : doc["paths"].GetObject()) {
        const std::string target = target_for(path.name.GetString());
        for (const auto& op : path.value.GetObject()) {
            const bool is_public = op.value.HasMember("security") && op.value["security"].Empty();
            const std::string method = upper(op.name.GetString());
            CAPTURE(method);
            CAPTURE(target);
            Response r;
            if (op.value["responses"].HasMember("101")) {
                r = host.ws_connect(target).second;
            } else if (path.name == "/api/events") {
                r = host.sse_connect(target).second;
            } else {
                oxios::harness::Request req;
                req.method = method;
                req.target = target;
                r = host.request(req);
            }
            if (is_public) {
                ++public_ops;
                CHECK(r.status != 401);
            } else {
                CHECK(error_of(r, 401) == "unauthorized");
            }
        }
    }
    CHECK(public_ops >= 5);  // /health, /health/ready, /metrics, the UI, preflight
}
