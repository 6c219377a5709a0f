// Shared rig of the engine tests: a Kernel whose config points the "fake"
// provider at a FakeOpenAI server, a delivery collector and a log capture.
#pragma once

#include "engines/openai_hub.hpp"
#include "fake_openai.hpp"
#include "kernel.hpp"
#include "test_util.hpp"

#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace oxios::kernel::test {

inline const std::string kSecret = "sk-test-SECRET-0123456789";

inline std::string json_text(const rapidjson::Value& v) {
    rapidjson::StringBuffer b;
    rapidjson::Writer<rapidjson::StringBuffer> w(b);
    v.Accept(w);
    return std::string(b.GetString(), b.GetSize());
}

struct Collected {
    std::mutex m;
    std::condition_variable cv;
    std::vector<Delivery> all;
    std::vector<std::chrono::steady_clock::time_point> at;
    bool final = false;

    DeliverySink sink() {
        return [this](const Delivery& d) {
            std::lock_guard lock(m);
            all.push_back(d);
            at.push_back(std::chrono::steady_clock::now());
            if (d.kind != OXIOS_DELIVERY_TOKEN) final = true;
            cv.notify_all();
        };
    }
    bool wait_final(int ms = 10000) {
        std::unique_lock lock(m);
        return cv.wait_for(lock, std::chrono::milliseconds(ms), [this] { return final; });
    }
    bool wait_tokens(size_t n, int ms = 10000) {
        std::unique_lock lock(m);
        return cv.wait_for(lock, std::chrono::milliseconds(ms), [this, n] { return tokens().size() >= n || final; }) &&
               tokens().size() >= n;
    }
    std::vector<std::string> tokens() const {
        std::vector<std::string> out;
        for (const auto& d : all)
            if (d.kind == OXIOS_DELIVERY_TOKEN) out.push_back(d.content);
        return out;
    }
    Delivery last() {
        std::lock_guard lock(m);
        return all.empty() ? Delivery{} : all.back();
    }
    size_t finals() {
        std::lock_guard lock(m);
        size_t n = 0;
        for (const auto& d : all)
            if (d.kind != OXIOS_DELIVERY_TOKEN) ++n;
        return n;
    }
};

struct LogCapture {
    std::mutex m;
    std::vector<std::string> lines;
    LogCapture() {
        set_engine_log([this](std::string_view l) {
            std::lock_guard lock(m);
            lines.emplace_back(l);
        });
    }
    ~LogCapture() { set_engine_log(nullptr); }
    std::string all() {
        std::lock_guard lock(m);
        std::string s;
        for (auto& l : lines) s += l + "\n";
        return s;
    }
};

struct Rig {
    TempDir dir;
    fake::FakeOpenAI fake;
    LogCapture logs;
    rapidjson::Document config;
    std::unique_ptr<Kernel> kernel;

    // `tweak` edits the config before the kernel starts.
    template <typename Tweak>
    explicit Rig(Tweak tweak) {
        config.SetObject();
        rapidjson::Pointer("/engine/default_model").Set(config, "fake/test-model");
        rapidjson::Pointer("/engine/api_key").Set(config, kSecret.c_str());
        rapidjson::Pointer("/engine/system_prompt").Set(config, "You are terse.");
        rapidjson::Pointer("/engine/providers/fake/base_url").Set(config, fake.base_url().c_str());
        rapidjson::Pointer("/engine/retry_backoff_ms").Set(config, 10);
        rapidjson::Pointer("/engine/first_token_timeout_ms").Set(config, 5000);
        rapidjson::Pointer("/engine/idle_timeout_ms").Set(config, 5000);
        rapidjson::Pointer("/gateway/reply_timeout_secs").Set(config, 20);
        tweak(config);
        std::ofstream(dir.path() / "config.json") << json_text(config);
        Kernel::Options o;
        o.config_path = (dir.path() / "config.json").string();
        o.workspace_override = (dir.path() / "ws").string();
        kernel = std::make_unique<Kernel>(o);
    }
    Rig() : Rig([](rapidjson::Document&) {}) {}

    std::shared_ptr<Collected> submit(const std::string& content, const std::string& session_id = "",
                                      uint64_t connection = 0) {
        auto c = std::make_shared<Collected>();
        ChatMessage m;
        m.id = "m-" + content;
        m.content = content;
        m.user_id = "default";
        m.session_id = session_id;
        m.connection = connection;
        if (kernel->submit(m, c->sink()) != OXIOS_OK) throw std::runtime_error("submit refused");
        return c;
    }

    // Every event published so far, as one text.
    std::string events() {
        std::string all;
        kernel->events_since(0, [&all](uint64_t, std::string_view json) {
            all.append(json);
            all.push_back('\n');
        });
        return all;
    }
};

inline bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace oxios::kernel::test
