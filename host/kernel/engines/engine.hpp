// An orchestrator engine turns one chat message into a reply. The gateway
// owns everything around it (queueing, timeouts, session and space
// resolution, agents, events); an engine only produces text, optionally as
// token chunks. Engines must return soon after `cancelled` becomes true.
#pragma once

#include "kernel.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace oxios::kernel {

class Config;

struct EngineRequest {
    std::shared_ptr<const ChatMessage> message;
    std::string session_id;  // resolved: the message's or a new UUID v4
    std::string space_id;    // resolved: "" = none
    const std::atomic<bool>* cancelled = nullptr;
    std::function<void(std::string_view chunk)> emit_token;  // optional streaming

    bool is_cancelled() const { return cancelled != nullptr && cancelled->load(); }
};

struct EngineReply {
    Status status = OXIOS_OK;  // non-OK: `error` says why (ERROR delivery)
    std::string error;
    std::string content;  // the whole reply
    std::string phase, seed_id, space_tag;
    int evaluation_passed = -1;
    int64_t prompt_tokens = -1, completion_tokens = -1;  // -1 = not reported
    std::string model;                                   // "provider/model" or "echo" that answered
    double cost_input = -1, cost_output = -1;            // USD per million from the model cache; -1 = unknown
};

class Engine {
public:
    virtual ~Engine() = default;
    virtual std::string name() const = 0;
    virtual EngineReply run(const EngineRequest& request) = 0;
};

// An engine that follows the live config (`config` must outlive it):
// engine.default_model "" or "echo" -> the echo engine, "provider/model" ->
// an OpenAI-compatible streaming call (engines/openai_hub.hpp). Without a
// session loader it sends no history.
std::shared_ptr<Engine> make_engine(const Config& config);

}  // namespace oxios::kernel
