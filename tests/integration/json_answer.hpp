// An answer's JSON body, for the integration suites: a body that is not JSON
// fails the test where it was read.
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

}  // namespace oxios::test
