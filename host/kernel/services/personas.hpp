// Personas (docs/api-operator.md, "Personas"): named system prompts, at most one
// active. The active one's system_prompt is added to the engine's system
// message per chat. State: record (".oxios", "personas") of ctx.records.
#pragma once

#include "kernel.hpp"
#include "store/record_store.hpp"

#include <rapidjson/document.h>

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oxios::kernel {

class ServiceRegistry;

class PersonaStore {
public:
    struct Persona {
        std::string id, name, role, description, system_prompt;
        std::vector<std::string> traits;
        int64_t created_us = 0, updated_us = 0;
    };
    using Publish = std::function<uint64_t(std::string_view type, std::string_view fields_json)>;

    // Loads the stored state (a corrupt file is set aside: starts empty).
    PersonaStore(RecordStore* records, Publish publish, std::function<int64_t()> now_us);

    // The active persona's system_prompt ("" when none is active).
    std::string active_prompt() const;
    // Another host of a cluster changed the personas (its persona_* events):
    // takes the store's document.
    void reload();

    // The personas.* methods (abi/METHODS.md); failures throw ServiceError.
    Result list() const;
    Result get(std::string_view id) const;
    Result create(const rapidjson::Value& in);
    Result update(std::string_view id, const rapidjson::Value& in);
    Result remove(std::string_view id);
    Result activate(std::optional<std::string> id);  // nullopt = deactivate
    Result active() const;

private:
    struct State {
        std::optional<std::string> active_id;
        std::vector<Persona> personas;  // oldest first
    };
    static State parse_state(const std::string& text);
    static std::string document(const State& state);
    // Applies `change` to the stored state (what any host last wrote) in one
    // atomic update, then adopts the result; 503 when the store is down.
    // Called with mutex_ held; what `change` throws leaves everything as it was.
    void commit(const std::function<void(State&)>& change);
    void publish(std::string_view type, const std::optional<std::string>& id, const std::string* name,
                 const std::string* role = nullptr) const;
    std::string persona_json(const Persona& p) const;

    RecordStore* records_;
    Publish publish_;
    std::function<int64_t()> now_us_;
    mutable std::mutex mutex_;
    State state_;
};

// Registers personas.* on `registry`; `store` must outlive it.
void register_personas_service(ServiceRegistry& registry, PersonaStore& store);

}  // namespace oxios::kernel
