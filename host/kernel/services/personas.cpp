// personas.* (abi/METHODS.md; docs/api-operator.md, "Personas"). `enabled` and
// `active` both mean "is the active one" (the UI stars `enabled`).
#include "services/personas.hpp"

#include "infra/clock.hpp"
#include "infra/json_util.hpp"
#include "infra/uuid.hpp"
#include "services/service_error.hpp"
#include "services/service_registry.hpp"

#include <algorithm>
#include <cstdio>

namespace oxios::kernel {
namespace {

using services::fail;

constexpr const char* kCollection = ".oxios";
constexpr const char* kKey = "personas";
constexpr size_t kMaxPersonas = 100;
constexpr size_t kMaxName = 128, kMaxRole = 64, kMaxDescription = 1024, kMaxPrompt = 32768;
constexpr size_t kMaxTraits = 20, kMaxTrait = 64;

void check_size(const std::string& value, size_t max, const char* field) {
    if (value.size() > max) fail(OXIOS_E_TOO_LARGE, std::string(field) + " exceeds " + std::to_string(max) + " bytes");
}

// Copies the members `in` gives onto `p` (create and update), checking limits.
void apply(PersonaStore::Persona& p, const rapidjson::Value& in) {
    if (auto name = json::opt_string(in, "name")) {
        if (name->empty()) fail(OXIOS_E_INVALID, "name must not be empty");
        check_size(*name, kMaxName, "name");
        p.name = std::move(*name);
    }
    if (auto role = json::opt_string(in, "role")) {
        check_size(*role, kMaxRole, "role");
        p.role = std::move(*role);
    }
    if (auto d = json::opt_string(in, "description")) {
        check_size(*d, kMaxDescription, "description");
        p.description = std::move(*d);
    }
    if (auto s = json::opt_string(in, "system_prompt")) {
        check_size(*s, kMaxPrompt, "system_prompt");
        p.system_prompt = std::move(*s);
    }
    if (json::member(in, "personality_traits") != nullptr && !json::member(in, "personality_traits")->IsNull()) {
        auto traits = json::opt_string_array(in, "personality_traits");
        if (traits.size() > kMaxTraits)
            fail(OXIOS_E_TOO_LARGE, "personality_traits exceeds " + std::to_string(kMaxTraits) + " entries");
        for (const auto& t : traits) {
            if (t.empty()) fail(OXIOS_E_INVALID, "personality_traits entries must not be empty");
            check_size(t, kMaxTrait, "a personality trait");
        }
        p.traits = std::move(traits);
    }
}

PersonaStore::Persona read_persona(const rapidjson::Value& v) {
    PersonaStore::Persona p;
    p.id = json::get_string(v, "id");
    p.name = json::get_string(v, "name");
    p.role = json::get_string(v, "role");
    p.description = json::get_string(v, "description");
    p.system_prompt = json::get_string(v, "system_prompt");
    if (const auto* t = json::member(v, "personality_traits"); t != nullptr && t->IsArray())
        for (const auto& s : t->GetArray())
            if (s.IsString()) p.traits.emplace_back(s.GetString(), s.GetStringLength());
    p.created_us = clock::parse_rfc3339(json::get_string(v, "created_at")).value_or(0);
    p.updated_us = clock::parse_rfc3339(json::get_string(v, "updated_at")).value_or(p.created_us);
    return p;
}

void write_fields(json::Builder& b, const PersonaStore::Persona& p) {
    b.field("id", p.id)
        .field("name", p.name)
        .field("role", p.role)
        .field("description", p.description)
        .field("system_prompt", p.system_prompt)
        .field("personality_traits", p.traits)
        .field("created_at", clock::format_rfc3339(p.created_us))
        .field("updated_at", clock::format_rfc3339(p.updated_us));
}

template <class State>
auto& find_or_fail(State& state, std::string_view id) {
    auto it = std::find_if(state.personas.begin(), state.personas.end(), [&](const auto& p) { return p.id == id; });
    if (it == state.personas.end()) fail(OXIOS_E_NOT_FOUND, "persona not found");
    return *it;
}

}  // namespace

PersonaStore::PersonaStore(RecordStore* records, Publish publish, std::function<int64_t()> now_us)
    : records_(records), publish_(std::move(publish)), now_us_(std::move(now_us)) {
    if (records_ == nullptr) return;
    try {
        if (const auto text = records_->get_or_set_aside(kCollection, kKey)) state_ = parse_state(*text);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "[warn] personas: cannot load .oxios/personas.json: %s\n", e.what());
    }
}

PersonaStore::State PersonaStore::parse_state(const std::string& text) {
    State state;
    auto doc = json::parse_object(text);
    if (!doc) return state;
    if (const auto* list = json::member(*doc, "personas"); list != nullptr && list->IsArray())
        for (const auto& v : list->GetArray())
            if (v.IsObject() && !json::get_string(v, "id").empty()) state.personas.push_back(read_persona(v));
    const std::string active = json::get_string(*doc, "active_id");
    if (std::any_of(state.personas.begin(), state.personas.end(), [&](const Persona& p) { return p.id == active; }))
        state.active_id = active;
    return state;
}

void PersonaStore::reload() {
    if (records_ == nullptr) return;
    std::optional<std::string> text;
    try {
        text = records_->get(kCollection, kKey);
    } catch (const std::exception&) {
        return;  // the store is out: keep ours until the next event
    }
    State next = text ? parse_state(*text) : State{};
    std::lock_guard lock(mutex_);
    state_ = std::move(next);
}

std::string PersonaStore::active_prompt() const {
    std::lock_guard lock(mutex_);
    if (!state_.active_id) return {};
    for (const auto& p : state_.personas)
        if (p.id == *state_.active_id) return p.system_prompt;
    return {};
}

std::string PersonaStore::persona_json(const Persona& p) const {
    const bool on = state_.active_id && *state_.active_id == p.id;
    json::Builder b;
    b.begin_object();
    write_fields(b, p);
    b.field("enabled", on).field("active", on).end_object();
    return b.str();
}

std::string PersonaStore::document(const State& state) {
    json::Builder b;
    b.begin_object().field("version", 1).field("active_id", state.active_id).key("personas").begin_array();
    for (const auto& p : state.personas) {
        b.begin_object();
        write_fields(b, p);
        b.end_object();
    }
    b.end_array().end_object();
    return b.str();
}

void PersonaStore::commit(const std::function<void(State&)>& change) {
    State next;
    if (records_ == nullptr) {
        next = state_;
        change(next);
        state_ = std::move(next);
        return;
    }
    try {
        records_->update(kCollection, kKey, [&](const std::optional<std::string>& stored) {
            next = stored ? parse_state(*stored) : State{};
            change(next);
            return std::optional<std::string>(document(next));
        });
    } catch (const StoreUnavailable&) {
        fail(OXIOS_E_BUSY, "state store unavailable");
    } catch (const services::ServiceError&) {
        throw;
    } catch (const std::exception& e) {
        fail(OXIOS_E_IO, std::string("cannot store personas: ") + e.what());
    }
    state_ = std::move(next);
}

void PersonaStore::publish(std::string_view type, const std::optional<std::string>& id, const std::string* name,
                           const std::string* role) const {
    if (!publish_) return;
    json::Builder b;
    b.begin_object().field("persona_id", id);
    if (name != nullptr)
        b.field("name", *name);
    else
        b.field("name", nullptr);
    if (role != nullptr) b.field("role", *role);
    b.end_object();
    publish_(type, b.str());
}

Result PersonaStore::list() const {
    std::lock_guard lock(mutex_);
    std::string out = "[";
    for (size_t i = 0; i < state_.personas.size(); ++i) out += (i ? "," : "") + persona_json(state_.personas[i]);
    return Result{OXIOS_OK, out + "]"};
}

Result PersonaStore::get(std::string_view id) const {
    std::lock_guard lock(mutex_);
    for (const auto& p : state_.personas)
        if (p.id == id) return Result{OXIOS_OK, persona_json(p)};
    fail(OXIOS_E_NOT_FOUND, "persona not found");
}

Result PersonaStore::create(const rapidjson::Value& in) {
    if (!json::opt_string(in, "name")) fail(OXIOS_E_INVALID, "name is required");
    Persona p;
    apply(p, in);
    p.id = uuid_v4();
    p.created_us = p.updated_us = now_us_();
    std::lock_guard lock(mutex_);
    commit([&](State& next) {
        if (next.personas.size() >= kMaxPersonas) fail(OXIOS_E_CONFLICT, "too many personas");
        next.personas.push_back(p);
    });
    publish("persona_created", p.id, &p.name);
    json::Builder b;
    b.begin_object().field("status", "created").field("id", p.id).field("name", p.name).end_object();
    return b.result();
}

Result PersonaStore::update(std::string_view id, const rapidjson::Value& in) {
    std::lock_guard lock(mutex_);
    Persona p;
    commit([&](State& next) {
        Persona& found = find_or_fail(next, id);
        apply(found, in);
        found.updated_us = std::max(now_us_(), found.created_us);
        p = found;
    });
    publish("persona_updated", p.id, &p.name, &p.role);
    json::Builder b;
    b.begin_object().field("status", "updated").field("id", p.id).end_object();
    return b.result();
}

Result PersonaStore::remove(std::string_view id) {
    std::lock_guard lock(mutex_);
    Persona gone;
    bool was_active = false;
    commit([&](State& next) {
        gone = find_or_fail(next, id);
        std::erase_if(next.personas, [&](const Persona& p) { return p.id == gone.id; });
        was_active = next.active_id && *next.active_id == gone.id;
        if (was_active) next.active_id.reset();  // none active: never a silent switch
    });
    publish("persona_deleted", gone.id, &gone.name);
    if (was_active) publish("persona_activated", std::nullopt, nullptr);
    json::Builder b;
    b.begin_object().field("status", "deleted").field("id", gone.id).end_object();
    return b.result();
}

Result PersonaStore::activate(std::optional<std::string> id) {
    std::lock_guard lock(mutex_);
    json::Builder b;
    if (!id) {
        commit([](State& next) { next.active_id.reset(); });
        publish("persona_activated", std::nullopt, nullptr);
        b.begin_object().field("status", "inactive").end_object();
        return b.result();
    }
    Persona p;
    commit([&](State& next) {
        p = find_or_fail(next, *id);
        next.active_id = p.id;
    });
    publish("persona_activated", p.id, &p.name);
    b.begin_object().field("status", "active").field("id", p.id).field("name", p.name).end_object();
    return b.result();
}

Result PersonaStore::active() const {
    std::lock_guard lock(mutex_);
    if (state_.active_id)
        for (const auto& p : state_.personas)
            if (p.id == *state_.active_id) return Result{OXIOS_OK, persona_json(p)};
    return Result{OXIOS_OK, R"({"active":false,"message":"No active persona set"})"};
}

void register_personas_service(ServiceRegistry& registry, PersonaStore& store) {
    registry.add("personas.list", [&store](const rapidjson::Value&) { return store.list(); });
    registry.add("personas.get",
                 [&store](const rapidjson::Value& in) { return store.get(json::req_string(in, "id")); });
    registry.add("personas.create", [&store](const rapidjson::Value& in) { return store.create(in); });
    registry.add("personas.update",
                 [&store](const rapidjson::Value& in) { return store.update(json::req_string(in, "id"), in); });
    registry.add("personas.delete",
                 [&store](const rapidjson::Value& in) { return store.remove(json::req_string(in, "id")); });
    registry.add("personas.activate",
                 [&store](const rapidjson::Value& in) { return store.activate(json::opt_string(in, "id")); });
    registry.add("personas.active", [&store](const rapidjson::Value&) { return store.active(); });
}

}  // namespace oxios::kernel
