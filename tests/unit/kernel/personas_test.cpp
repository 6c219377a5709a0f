// Personas: the store's methods, limits, events, persistence, and the
// engine's system message composed from engine.system_prompt + the persona.
#include "services/personas.hpp"
#include "engines/openai_hub.hpp"
#include "infra/clock.hpp"
#include "services/service_registry.hpp"
#include "store/file_record_store.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace oxios::kernel;
using namespace oxios::kernel::test;

namespace {

struct Setup {
    TempDir dir;
    FileRecordStore records{dir.path(), clock::now_us, nullptr};
    std::vector<std::string> events;
    PersonaStore::Publish publish = [this](std::string_view type, std::string_view fields) {
        events.push_back(std::string(type) + " " + std::string(fields));
        return uint64_t{1};
    };
};

std::string id_of(const Result& r) {
    const auto at = r.body.find("\"id\":\"");
    REQUIRE(at != std::string::npos);
    return r.body.substr(at + 6, 36);
}

}  // namespace

TEST_CASE("personas: the system message is engine prompt, blank line, persona prompt; empty parts left out") {
    CHECK(compose_system_prompt("Be brief.", "Talk like a pirate.") == "Be brief.\n\nTalk like a pirate.");
    CHECK(compose_system_prompt("", "Talk like a pirate.") == "Talk like a pirate.");
    CHECK(compose_system_prompt("Be brief.", "") == "Be brief.");
    CHECK(compose_system_prompt("", "").empty());
}

TEST_CASE("personas: create, activate, delete the active one; stored and reloaded") {
    Setup s;
    std::string id;
    {
        PersonaStore store(&s.records, s.publish, clock::now_us);
        ServiceRegistry reg;
        register_personas_service(reg, store);
        CHECK(reg.call("personas.list", "{}").body == "[]");  // nothing seeded
        CHECK(reg.call("personas.active", "{}").body == R"({"active":false,"message":"No active persona set"})");
        const Result created =
            reg.call("personas.create", R"({"name":"Pirate","system_prompt":"Arr.","personality_traits":["salty"]})");
        REQUIRE(created.status == OXIOS_OK);
        id = id_of(created);
        CHECK(store.active_prompt().empty());
        const Result on = reg.call("personas.activate", R"({"id":")" + id + "\"}");
        CHECK(on.body == R"({"status":"active","id":")" + id + R"(","name":"Pirate"})");
        CHECK(store.active_prompt() == "Arr.");
        CHECK(reg.call("personas.get", R"({"id":")" + id + "\"}").body.find(R"("enabled":true,"active":true)") !=
              std::string::npos);
        CHECK(reg.call("personas.update", R"({"id":")" + id + R"(","system_prompt":"Yo ho."})").status == OXIOS_OK);
        CHECK(store.active_prompt() == "Yo ho.");
    }
    PersonaStore reloaded(&s.records, s.publish, clock::now_us);
    CHECK(reloaded.active_prompt() == "Yo ho.");
    ServiceRegistry reg;
    register_personas_service(reg, reloaded);
    CHECK(reg.call("personas.delete", R"({"id":")" + id + "\"}").status == OXIOS_OK);
    CHECK(reloaded.active_prompt().empty());  // no silent switch
    CHECK(s.events.back() == R"(persona_activated {"persona_id":null,"name":null})");
    for (const auto& e : s.events) CHECK(e.find("Yo ho.") == std::string::npos);  // never the prompt
}

TEST_CASE("personas: limits give 413, a missing name 400, the 101st persona 409, unknown ids 404") {
    Setup s;
    PersonaStore store(&s.records, s.publish, clock::now_us);
    ServiceRegistry reg;
    register_personas_service(reg, store);
    CHECK(reg.call("personas.create", "{}").status == OXIOS_E_INVALID);
    CHECK(reg.call("personas.create", R"({"name":""})").status == OXIOS_E_INVALID);
    CHECK(reg.call("personas.create", R"({"name":")" + std::string(129, 'n') + "\"}").status == OXIOS_E_TOO_LARGE);
    CHECK(reg.call("personas.create", R"({"name":"x","system_prompt":")" + std::string(32769, 'p') + "\"}").status ==
          OXIOS_E_TOO_LARGE);
    CHECK(reg.call("personas.create", R"({"name":"x","role":")" + std::string(65, 'r') + "\"}").status ==
          OXIOS_E_TOO_LARGE);
    std::string many = R"({"name":"x","personality_traits":[)";
    for (int i = 0; i < 21; ++i) many += std::string(i ? "," : "") + "\"t\"";
    CHECK(reg.call("personas.create", many + "]}").status == OXIOS_E_TOO_LARGE);
    for (int i = 0; i < 100; ++i) REQUIRE(reg.call("personas.create", R"({"name":"p"})").status == OXIOS_OK);
    const Result full = reg.call("personas.create", R"({"name":"p"})");
    CHECK(full.status == OXIOS_E_CONFLICT);
    CHECK(full.body == R"({"error":"too many personas"})");
    CHECK(reg.call("personas.get", R"({"id":"nope"})").status == OXIOS_E_NOT_FOUND);
    CHECK(reg.call("personas.activate", R"({"id":"nope"})").status == OXIOS_E_NOT_FOUND);
}
