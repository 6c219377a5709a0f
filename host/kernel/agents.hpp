// In-memory registry of running agents (one per chat request being served):
// agents.list / agents.kill, lifecycle events and counters.
#pragma once

#include "kernel.hpp"

#include <rapidjson/document.h>

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace oxios::kernel {

class ServiceRegistry;

class AgentRegistry {
public:
    using Publish = std::function<void(std::string_view type, const rapidjson::Value& fields)>;
    AgentRegistry(Publish publish, std::function<int64_t()> now_us);

    // Registers a running agent (publishes agent_created, agent_started);
    // on_kill runs (outside any lock) when agents.kill names it. Returns its id.
    std::string start(std::string name, std::string seed_id, std::function<void()> on_kill);
    // Unregisters it: agent_stopped when ok, else agent_failed with `error`.
    void finish(const std::string& id, bool ok, std::string_view error);
    // Kills a registered agent; false when unknown.
    bool kill(const std::string& id);

    Result list(uint32_t page, uint32_t limit) const;  // {"items","total"}

    struct Counts {
        uint64_t active = 0, forked = 0, completed = 0, failed = 0;
    };
    Counts counts() const;

private:
    struct Agent {
        std::string id, name, status, seed_id;
        int64_t created_us = 0;
        std::function<void()> on_kill;
    };
    Publish publish_;
    std::function<int64_t()> now_us_;
    mutable std::mutex mutex_;
    std::map<std::string, Agent> agents_;
    uint64_t forked_ = 0, completed_ = 0, failed_ = 0;
};

// agents.list, agents.kill (abi/METHODS.md).
void register_agents_methods(ServiceRegistry& registry, AgentRegistry& agents);

}  // namespace oxios::kernel
