// Cron jobs (docs/api-operator.md, "Cron jobs"): the host's cron.* methods. Missing or
// empty fields are 422 and over-size ones 413 here; schedules are checked by
// the host (400 "invalid schedule: ..." / "schedule never fires").
#include "context.hpp"
#include "json.hpp"
#include "middleware/limits.hpp"
#include "router.hpp"
#include "service.hpp"

#include <array>

namespace web {
namespace {

constexpr std::string_view kNotFound = "cron job not found";
constexpr size_t kMaxName = 128, kMaxSchedule = 256;

// Copies a string field into `args` when present: 422 when empty, 413 over `limit`.
void copy_string(const json::Document& body, std::string_view field, std::string_view as, size_t limit,
                 json::Builder& args) {
    const auto v = json::opt_string(body, field);
    if (!v) return;
    if (v->empty()) throw HttpError(422, "field '" + std::string(field) + "' must not be empty");
    check_size(v->size(), limit);
    args.kv(as, *v);
}

// The fields of a create (all required) or an update (any of them).
std::string job_args(Ctx& ctx, bool create) {
    const json::Document body = json::parse_body_object(ctx.body());
    const std::string_view command_field = json::opt_string(body, "command") ? "command" : "goal";
    if (create) {
        for (std::string_view field : {std::string_view("name"), std::string_view("schedule"), command_field})
            if (!json::opt_string(body, field))
                throw HttpError(422,
                                "missing required field '" + std::string(field == "goal" ? "command" : field) + "'");
    }
    json::Builder args;
    args.obj();
    if (!create) args.kv("id", ctx.param("id"));
    copy_string(body, "name", "name", kMaxName, args);
    copy_string(body, "schedule", "schedule", kMaxSchedule, args);
    copy_string(body, command_field, "command", kMaxChatContent, args);
    if (const auto enabled = json::opt_bool(body, "enabled")) args.kv("enabled", *enabled);
    args.end_obj();
    return args.take();
}

void list(Ctx& ctx) { service_respond(ctx, "cron.list", "{}"); }
void create(Ctx& ctx) { service_respond(ctx, "cron.create", job_args(ctx, true)); }
void get(Ctx& ctx) { service_respond(ctx, "cron.get", args_with("id", ctx.param("id")), kNotFound); }
void update(Ctx& ctx) { service_respond(ctx, "cron.update", job_args(ctx, false), kNotFound); }
void remove(Ctx& ctx) { service_respond(ctx, "cron.delete", args_with("id", ctx.param("id")), kNotFound); }

// ?wait=true blocks until the run ends.
void trigger(Ctx& ctx) {
    const auto wait = ctx.query("wait");
    json::Builder args;
    args.obj().kv("id", ctx.param("id")).kv("wait", wait && (*wait == "true" || *wait == "1")).end_obj();
    service_respond(ctx, "cron.trigger", args.view(), kNotFound);
}

constexpr std::array kRoutes{
    RouteDef{"GET", "/api/cron-jobs", list, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/cron-jobs", create, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/cron-jobs/{id}", get, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"PUT", "/api/cron-jobs/{id}", update, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/cron-jobs/{id}/edit", update, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"DELETE", "/api/cron-jobs/{id}", remove, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/cron-jobs/{id}/trigger", trigger, Access::Protected, OXIOS_ROUTE_PLAIN},
};

}  // namespace

std::span<const RouteDef> cron_jobs_routes() { return kRoutes; }

}  // namespace web
