// Reading JSON answers and frames in the integration suites: a body that is
// not JSON fails the test where it was read.
#pragma once

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <string>

namespace oxios::test {

inline rapidjson::Document parse(const std::string& text) {
    rapidjson::Document d;
    d.Parse(text.data(), text.size());
    REQUIRE_MESSAGE(!d.HasParseError(), "not JSON: " << text);
    return d;
}

// v[key] when it is a string, else "".
inline std::string sget(const rapidjson::Value& v, const char* key) {
    if (!v.IsObject() || !v.HasMember(key) || !v[key].IsString()) return {};
    return v[key].GetString();
}

}  // namespace oxios::test
