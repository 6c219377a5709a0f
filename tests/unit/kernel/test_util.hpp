// Helpers shared by the kernel unit tests.
#pragma once

#include "oxios_plugin.h"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace oxios::kernel::test {

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/oxios-kernel-test-XXXXXX";
        if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = std::filesystem::canonical(tmpl);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::string str() const { return path_.string(); }

private:
    std::filesystem::path path_;
};

inline oxios_str s(const std::string& text) { return oxios_str{text.data(), text.size()}; }

// An exchange whose strings live as long as it does.
struct Exchange {
    std::string session_id, user_id = "default", space_id, user_content = "hi", reply_content = "echo: hi", seed_id,
                            phase = "execute";
    int64_t user_us = 0, reply_us = 0;
    oxios_exchange view() const {
        oxios_exchange ex{};
        ex.size = sizeof ex;
        ex.evaluation_passed = 1;
        ex.session_id = s(session_id);
        ex.user_id = s(user_id);
        ex.space_id = s(space_id);
        ex.user_content = s(user_content);
        ex.reply_content = s(reply_content);
        ex.seed_id = s(seed_id);
        ex.phase = s(phase);
        ex.user_time_us = user_us;
        ex.reply_time_us = reply_us;
        return ex;
    }
};

inline rapidjson::Document parse(const std::string& text) {
    rapidjson::Document d;
    d.Parse(text.data(), text.size());
    REQUIRE_MESSAGE(!d.HasParseError(), "not JSON: " << text);
    return d;
}

// A whole file ("" when it cannot be read).
inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The contents of a session's user messages, in order.
inline std::vector<std::string> user_contents(const rapidjson::Value& session) {
    std::vector<std::string> out;
    for (const auto& m : session["user_messages"].GetArray()) out.emplace_back(m["content"].GetString());
    return out;
}

// Polls `cond` every 2 ms for up to `ms`.
inline bool wait_for(const std::function<bool()>& cond, int ms = 3000) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < end) {
        if (cond()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return cond();
}

}  // namespace oxios::kernel::test
