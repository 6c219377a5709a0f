#include "agents.hpp"

#include "infra/clock.hpp"
#include "infra/json_util.hpp"
#include "infra/uuid.hpp"
#include "services/service_registry.hpp"

#include <algorithm>
#include <vector>

namespace oxios::kernel {

namespace {
void publish_agent(const AgentRegistry::Publish& publish, const char* type, const std::string& id,
                   const std::string& name, std::string_view error) {
    if (!publish) return;
    rapidjson::Document f(rapidjson::kObjectType);
    auto& a = f.GetAllocator();
    f.AddMember("agent_id", json::str(id, a), a);
    f.AddMember("name", json::str(name, a), a);
    if (!error.empty()) f.AddMember("error", json::str(error, a), a);
    publish(type, f);
}
}  // namespace

AgentRegistry::AgentRegistry(Publish publish, std::function<int64_t()> now_us)
    : publish_(std::move(publish)), now_us_(std::move(now_us)) {}

std::string AgentRegistry::start(std::string name, std::string seed_id, std::function<void()> on_kill) {
    Agent agent;
    agent.id = uuid_v4();
    agent.name = std::move(name);
    agent.status = "running";
    agent.seed_id = std::move(seed_id);
    agent.created_us = now_us_();
    agent.on_kill = std::move(on_kill);
    std::string id = agent.id;
    const std::string agent_name = agent.name;
    {
        std::lock_guard lock(mutex_);
        agents_.emplace(id, std::move(agent));
        ++forked_;
    }
    publish_agent(publish_, "agent_created", id, agent_name, {});
    publish_agent(publish_, "agent_started", id, agent_name, {});
    return id;
}

void AgentRegistry::finish(const std::string& id, bool ok, std::string_view error) {
    std::string name;
    {
        std::lock_guard lock(mutex_);
        auto it = agents_.find(id);
        if (it == agents_.end()) return;
        name = it->second.name;
        agents_.erase(it);
        ++(ok ? completed_ : failed_);
    }
    publish_agent(publish_, ok ? "agent_stopped" : "agent_failed", id, name, ok ? std::string_view{} : error);
}

bool AgentRegistry::kill(const std::string& id) {
    std::function<void()> on_kill;
    {
        std::lock_guard lock(mutex_);
        auto it = agents_.find(id);
        if (it == agents_.end()) return false;
        it->second.status = "stopped";
        on_kill = it->second.on_kill;
    }
    if (on_kill) on_kill();
    return true;
}

Result AgentRegistry::list(uint32_t page, uint32_t limit) const {
    rapidjson::Document out(rapidjson::kObjectType);
    auto& a = out.GetAllocator();
    rapidjson::Value items(rapidjson::kArrayType);
    std::lock_guard lock(mutex_);
    std::vector<const Agent*> all;
    for (const auto& [id, agent] : agents_) all.push_back(&agent);
    std::sort(all.begin(), all.end(), [](const Agent* x, const Agent* y) {
        return x->created_us != y->created_us ? x->created_us > y->created_us : x->id < y->id;
    });
    const size_t begin = std::min<size_t>(static_cast<size_t>(std::max<uint32_t>(page, 1) - 1) * limit, all.size());
    const size_t end = std::min<size_t>(begin + limit, all.size());
    for (size_t i = begin; i < end; ++i) {
        rapidjson::Value item(rapidjson::kObjectType);
        item.AddMember("id", json::str(all[i]->id, a), a);
        item.AddMember("name", json::str(all[i]->name, a), a);
        item.AddMember("status", json::str(all[i]->status, a), a);
        item.AddMember("created_at", json::str(clock::format_rfc3339(all[i]->created_us), a), a);
        rapidjson::Value seed(rapidjson::kNullType);
        if (!all[i]->seed_id.empty()) seed = json::str(all[i]->seed_id, a);
        item.AddMember("seed_id", seed, a);
        items.PushBack(item, a);
    }
    out.AddMember("items", items, a);
    out.AddMember("total", static_cast<uint64_t>(all.size()), a);
    return Result{OXIOS_OK, json::to_string(out)};
}

AgentRegistry::Counts AgentRegistry::counts() const {
    std::lock_guard lock(mutex_);
    return Counts{agents_.size(), forked_, completed_, failed_};
}

void register_agents_methods(ServiceRegistry& registry, AgentRegistry& agents) {
    registry.add("agents.list", [&agents](const rapidjson::Value& in) {
        const auto p = json::read_page(in, /*lenient=*/true);
        return agents.list(p.page, p.limit);
    });
    registry.add("agents.kill", [&agents](const rapidjson::Value& in) {
        const std::string id = json::get_string(in, "id");
        if (id.empty() || !agents.kill(id)) return error_result(OXIOS_E_NOT_FOUND, "agent not found");
        rapidjson::Document out(rapidjson::kObjectType);
        auto& a = out.GetAllocator();
        out.AddMember("status", "killed", a);
        out.AddMember("id", json::str(id, a), a);
        return Result{OXIOS_OK, json::to_string(out)};
    });
}

}  // namespace oxios::kernel
