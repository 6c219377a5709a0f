// Shared helpers of the harness's own tests.
#pragma once

#include "mock_host.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>

namespace harness_test {

inline std::string plugin_path() {
    if (const char* p = std::getenv("OXIOS_HARNESS_TEST_PLUGIN")) return p;
    return OXIOS_HARNESS_TEST_PLUGIN_DEFAULT;
}

inline rapidjson::Document parse(const std::string& s) {
    rapidjson::Document d;
    d.Parse(s.c_str(), s.size());
    return d;
}

inline std::string jstring(const rapidjson::Value& v, const char* key) {
    if (!v.IsObject() || !v.HasMember(key) || !v[key].IsString()) return "<absent>";
    return std::string(v[key].GetString(), v[key].GetStringLength());
}

inline int jint(const rapidjson::Value& v, const char* key) {
    if (!v.IsObject() || !v.HasMember(key) || !v[key].IsInt()) return -999;
    return v[key].GetInt();
}

// Polls until pred() or the timeout; returns pred()'s last value.
inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return pred();
}

inline size_t count_of(const std::string& hay, const std::string& needle) {
    size_t n = 0;
    for (size_t pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + 1)) ++n;
    return n;
}

inline bool is_uuid_v4(const std::string& s) {
    if (s.size() != 36) return false;
    for (size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return s[14] == '4' && (s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b');
}

// A MockHost with the fixture plugin loaded.
struct Loaded {
    oxios::harness::MockHost host;
    Loaded() { host.load(plugin_path()); }
};

}  // namespace harness_test
