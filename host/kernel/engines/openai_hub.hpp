// The engine the gateway talks to. For every message it reads
// engine.default_model from the live config: "" or "echo" -> the embedded
// echo engine; "provider/model" -> an OpenAI-compatible streaming call, with
// retries (connection failure, 429, 5xx, only before the first token) and
// then engine.fallback_models in order. Keeps usage figures and the last
// error for system.status and /metrics, and the model catalogue of the
// engine.* methods.
#pragma once

#include "engines/echo_engine.hpp"
#include "engines/engine.hpp"
#include "engines/openai_client.hpp"
#include "engines/openai_models.hpp"
#include "engines/providers.hpp"

#include <rapidjson/document.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace oxios::kernel {

struct EngineServices {
    // Reads a session's file JSON through the state store (NOT_FOUND when new).
    std::function<Result(std::string_view session_id)> load_session;
    // The active persona's system_prompt, read per message (may be null).
    std::function<std::string()> persona_prompt;
};

// The engine's system message: engine.system_prompt, a blank line, the active
// persona's prompt; empty parts left out ("" when both are empty).
std::string compose_system_prompt(std::string_view engine_prompt, std::string_view persona_prompt);

// Where the engine writes its log lines (stderr by default). Lines never
// contain an API key. Tests may capture them.
void set_engine_log(std::function<void(std::string_view line)> fn);

class EngineHub final : public Engine {
public:
    EngineHub(const Config& config, EngineServices services);

    std::string name() const override;  // "echo" or "openai", by the current config
    EngineReply run(const EngineRequest& request) override;

    // Host shutdown: running upstream calls abort now, later ones fail.
    void abort_all() { aborting_ = true; }

    ModelCatalog& catalog() { return catalog_; }
    const Config& config() const { return config_; }

    // {"name","default_model","model","last_error","requests","failures",
    //  "prompt_tokens","completion_tokens","retries","fallbacks"}
    void status(rapidjson::Value& out, rapidjson::Document::AllocatorType& a) const;
    std::string metrics_text() const;
    // Prompt + completion tokens the model provider reported since start.
    uint64_t tokens_used() const;

    // The request body of one call (exposed for tests).
    std::string request_body(const ProviderInfo& provider, const std::string& model,
                             const EngineRequest& request) const;

private:
    EngineReply run_openai(const EngineRequest& request, const std::string& primary);
    void note(const std::string& model, const EngineReply& reply, int retries, int fallbacks);

    const Config& config_;
    EngineServices services_;
    EchoEngine echo_;
    ModelCatalog catalog_;
    std::atomic<bool> aborting_{false};

    mutable std::mutex stats_mutex_;
    std::string last_model_, last_error_;
    uint64_t requests_ = 0, failures_ = 0, retries_ = 0, fallbacks_ = 0;
    uint64_t prompt_tokens_ = 0, completion_tokens_ = 0;
};

}  // namespace oxios::kernel
