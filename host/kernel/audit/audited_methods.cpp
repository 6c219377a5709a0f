// Which kernel methods are audited, under which action and resource
// (docs/api-operator.md, "Security"). Resources name things, never values: a config
// change records its keys, an API key its provider.
#include "audit/audit_service.hpp"
#include "infra/json_util.hpp"
#include "services/service_error.hpp"

#include <string>

namespace oxios::kernel {

namespace {

using ResourceOf = std::string (*)(const rapidjson::Value& in);

std::string joined_keys(const rapidjson::Value* obj, const std::string& prefix, int depth) {
    std::string out;
    if (obj == nullptr || !obj->IsObject()) return out;
    for (const auto& m : obj->GetObject()) {
        const std::string key = prefix + std::string(m.name.GetString(), m.name.GetStringLength());
        const std::string inner = depth > 1 && m.value.IsObject() ? joined_keys(&m.value, key + ".", depth - 1) : "";
        if (!out.empty()) out += ',';
        out += inner.empty() ? key : inner;
    }
    return out;
}

std::string config_keys(const rapidjson::Value& in) { return joined_keys(json::member(in, "config"), "", 2); }
std::string option_providers(const rapidjson::Value& in) { return joined_keys(json::member(in, "options"), "", 1); }
std::string model_key(const rapidjson::Value&) { return "engine.default_model"; }
std::string provider(const rapidjson::Value& in) { return json::get_string(in, "provider"); }
std::string path(const rapidjson::Value& in) { return json::get_string(in, "path"); }
std::string id(const rapidjson::Value& in) { return json::get_string(in, "id"); }
std::string name(const rapidjson::Value& in) { return json::get_string(in, "name"); }
std::string tag(const rapidjson::Value& in) { return json::get_string(in, "tag"); }
std::string agent(const rapidjson::Value& in) { return json::get_string(in, "agent_id"); }
std::string vault_path(const rapidjson::Value& in) { return "knowledge/" + json::get_string(in, "path"); }
std::string restore_target(const rapidjson::Value& in) {
    const std::string p = json::get_string(in, "path");
    return json::get_string(in, "hash") + (p.empty() ? "" : ":" + p);
}

struct Audited {
    const char* method;
    const char* action;
    ResourceOf resource;
};

constexpr Audited kAudited[] = {
    {"config.put", "config.update", config_keys},
    {"engine.set_model", "engine.set_model", model_key},
    {"engine.set_api_key", "engine.set_api_key", provider},
    {"engine.set_provider_options", "engine.set_provider_options", option_providers},
    {"workspace.write", "workspace.write", path},
    {"git.restore", "git.restore", restore_target},
    {"git.tag", "git.tag", tag},
    {"approvals.approve", "approval.approve", id},
    {"approvals.reject", "approval.reject", id},
    {"agents.kill", "agent.kill", id},
    {"skills.create", "skill.create", name},
    {"skills.delete", "skill.delete", name},
    {"skills.enable", "skill.enable", name},
    {"skills.disable", "skill.disable", name},
    {"cron.create", "cron.create", name},
    {"cron.update", "cron.update", id},
    {"cron.delete", "cron.delete", id},
    {"cron.trigger", "cron.trigger", id},
    {"personas.create", "persona.create", name},
    {"personas.update", "persona.update", id},
    {"personas.delete", "persona.delete", id},
    {"personas.activate", "persona.activate", id},
    {"budget.set", "budget.set", agent},
    {"budget.reset", "budget.reset", agent},
    {"budget.delete", "budget.delete", agent},
    {"knowledge.write", "knowledge.write", vault_path},
    {"knowledge.delete", "knowledge.delete", vault_path},
    {"knowledge.restore", "knowledge.restore", vault_path},
};

}  // namespace

void audit_methods(ServiceRegistry& registry, AuditRecorder& recorder) {
    for (const Audited& a : kAudited) {
        registry.wrap(a.method, [&recorder, a](Method inner) -> Method {
            return [&recorder, a, inner = std::move(inner)](const rapidjson::Value& in) {
                Result r;
                try {
                    r = inner(in);
                } catch (const services::ServiceError& e) {
                    recorder.record(audit::actor_of(in), a.action, a.resource(in), false, e.what());
                    throw;
                }
                std::optional<std::string> reason;
                if (r.status != OXIOS_OK) {
                    const auto doc = json::parse_object(r.body);
                    reason = doc ? json::get_string(*doc, "error", "refused") : std::string("refused");
                }
                recorder.record(audit::actor_of(in), a.action, a.resource(in), r.status == OXIOS_OK, reason);
                return r;
            };
        });
    }
}

}  // namespace oxios::kernel
