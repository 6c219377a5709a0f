// Shared fixture of the plugin suite: a MockHost with web_plugin.so loaded
// (path from env OXIOS_PLUGIN, set by CTest) and small JSON helpers.
#pragma once

#include "mock_host.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace plugin_test {

using oxios::harness::Headers;
using oxios::harness::MockHost;
using oxios::harness::Response;

inline std::string plugin_path() {
    const char* p = std::getenv("OXIOS_PLUGIN");
    if (p == nullptr || *p == '\0') throw std::runtime_error("OXIOS_PLUGIN is not set");
    return p;
}

inline std::string next_plugin_path() {
    const char* p = std::getenv("OXIOS_PLUGIN_NEXT");
    return p == nullptr ? std::string() : std::string(p);
}

struct Fixture {
    MockHost host;
    Fixture() { host.load(plugin_path()); }
};

inline rapidjson::Document parse(const std::string& text) {
    rapidjson::Document d;
    d.Parse(text.c_str(), text.size());
    REQUIRE_MESSAGE(!d.HasParseError(), "not JSON: " << text);
    return d;
}

// Parses a JSON response and checks status and content type.
inline rapidjson::Document json_of(const Response& r, int status) {
    CHECK_MESSAGE(r.status == status, "status " << r.status << " body " << r.body);
    CHECK(r.content_type.rfind("application/json", 0) == 0);
    return parse(r.body);
}

// Checks an error response: status, JSON {"error": <non-empty string>}; returns the message.
inline std::string error_of(const Response& r, int status) {
    auto d = json_of(r, status);
    REQUIRE(d.IsObject());
    REQUIRE(d.HasMember("error"));
    REQUIRE(d["error"].IsString());
    std::string msg = d["error"].GetString();
    CHECK(!msg.empty());
    return msg;
}

inline std::string str(const rapidjson::Value& v) {
    rapidjson::StringBuffer b;
    rapidjson::Writer<rapidjson::StringBuffer> w(b);
    v.Accept(w);
    return b.GetString();
}

inline bool contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}

// A scripted call result.
inline MockHost::CallFn answer(oxios_status s, std::string out) {
    return [s, out = std::move(out)](const std::string&) { return std::make_pair(s, out); };
}

// The json_in of the last call of `method` ("" if none).
inline std::string last_call(const MockHost& host, const std::string& method) {
    std::string in;
    for (const auto& [m, j] : host.calls()) {
        if (m == method) in = j;
    }
    return in;
}

}  // namespace plugin_test
