// cron.list / get / create / update / delete / trigger (abi/METHODS.md;
// docs/api-operator.md, "Cron jobs"): argument checks, then the CronService.
#include "infra/json_util.hpp"
#include "services/cron_service.hpp"
#include "services/service_error.hpp"
#include "services/service_registry.hpp"

namespace oxios::kernel {
namespace {

using services::CronService;
using services::fail;

constexpr size_t kMaxName = 128, kMaxSchedule = 256, kMaxCommand = 65'536;

// A string argument within 1..max bytes (INVALID when empty, TOO_LARGE above).
std::optional<std::string> bounded(const rapidjson::Value& in, const char* key, size_t max, bool required) {
    auto v = json::opt_string(in, key);
    if (!v && required) fail(OXIOS_E_INVALID, std::string(key) + " is required");
    if (!v) return v;
    if (v->empty()) fail(OXIOS_E_INVALID, std::string(key) + " must not be empty");
    if (v->size() > max)
        fail(OXIOS_E_TOO_LARGE,
             std::to_string(v->size()) + " bytes exceeds limit of " + std::to_string(max) + " bytes");
    return v;
}

// `command`, or the original's `goal`.
std::optional<std::string> command_of(const rapidjson::Value& in, bool required) {
    if (json::opt_string(in, "command")) return bounded(in, "command", kMaxCommand, true);
    if (json::opt_string(in, "goal")) return bounded(in, "goal", kMaxCommand, true);
    if (required) fail(OXIOS_E_INVALID, "command is required");
    return std::nullopt;
}

Result ok_json(std::string body) { return Result{OXIOS_OK, std::move(body)}; }

}  // namespace

void register_cron_service(ServiceRegistry& registry, const ServiceContext& ctx, services::CronService::Deps deps) {
    if (deps.records == nullptr) deps.records = ctx.records;
    if (!deps.publish) deps.publish = ctx.publish;
    if (!deps.now_us) deps.now_us = ctx.now_us;
    auto cron = CronService::create(std::move(deps));
    if (ctx.on_event)
        ctx.on_event({"cron_job_created", "cron_job_updated", "cron_job_deleted", "cron_job_completed"},
                     [w = std::weak_ptr(cron)](const rapidjson::Value&) {
                         if (auto c = w.lock()) c->reload();
                     });

    registry.add("cron.list", [cron](const rapidjson::Value&) { return ok_json(cron->list_json()); });
    registry.add("cron.get",
                 [cron](const rapidjson::Value& in) { return ok_json(cron->get_json(json::req_string(in, "id"))); });
    registry.add("cron.create", [cron](const rapidjson::Value& in) {
        const auto name = bounded(in, "name", kMaxName, true);
        const auto schedule = bounded(in, "schedule", kMaxSchedule, true);
        const auto command = command_of(in, true);
        return ok_json(cron->create_job(*name, *schedule, *command, json::opt_bool(in, "enabled").value_or(true)));
    });
    registry.add("cron.update", [cron](const rapidjson::Value& in) {
        const std::string id = json::req_string(in, "id");
        CronService::Update u;
        u.name = bounded(in, "name", kMaxName, false);
        u.schedule = bounded(in, "schedule", kMaxSchedule, false);
        u.command = command_of(in, false);
        u.enabled = json::opt_bool(in, "enabled");
        return ok_json(cron->update_job(id, u));
    });
    registry.add("cron.delete", [cron](const rapidjson::Value& in) {
        const std::string id = json::req_string(in, "id");
        cron->delete_job(id);
        json::Builder b;
        b.begin_object().field("status", "deleted").field("id", id).end_object();
        return b.result();
    });
    registry.add("cron.trigger", [cron](const rapidjson::Value& in) {
        const std::string id = json::req_string(in, "id");
        const auto t = cron->trigger(id, json::opt_bool(in, "wait").value_or(false));
        json::Builder b;
        b.begin_object();
        if (t.outcome) {
            b.field("status", "completed")
                .field("id", id)
                .field("success", t.outcome->success)
                .field("summary", t.outcome->summary)
                .field("duration_ms", t.outcome->duration_ms);
        } else {
            b.field("status", "triggered")
                .field("id", id)
                .field("session_id", t.session_id)
                .field("message_id", t.message_id);
        }
        b.end_object();
        return b.result();
    });
    registry.on_stop([cron] { cron->stop(); });
    cron->start();
}

}  // namespace oxios::kernel
