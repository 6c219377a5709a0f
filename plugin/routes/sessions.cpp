// Sessions through the host's session store: list, get, delete, prune.
#include "audit.hpp"
#include "context.hpp"
#include "ids.hpp"
#include "json.hpp"
#include "pagination.hpp"
#include "router.hpp"

#include <array>
#include <string>

namespace web {
namespace {

[[noreturn]] void session_failed(oxios_status s, const std::string& out) {
    if (s == OXIOS_E_INVALID) throw HttpError(400, "invalid session id");
    if (s == OXIOS_E_NOT_FOUND) throw HttpError(404, "session not found");
    if (s == OXIOS_E_BUSY) throw HttpError(503, std::string(kStoreUnavailable));
    throw HttpError(http_status(s), json::error_message(out, status_message(s)));
}

std::string_view checked_id(const Ctx& ctx) {
    const std::string_view id = ctx.param("id");
    if (!valid_id(id)) throw HttpError(400, "invalid session id");
    return id;
}

void list(Ctx& ctx) {
    const Page p = page_from(ctx);
    std::string out;
    if (const oxios_status s = ctx.host().session_list(p.page, p.limit, out); s != OXIOS_OK) {
        session_failed(s, out);
    }
    ctx.send_json(200, wrap_page(out, p, "session_list"));
}

void get(Ctx& ctx) {
    const std::string_view id = checked_id(ctx);
    std::string out;
    if (const oxios_status s = ctx.host().session_get(id, out); s != OXIOS_OK) session_failed(s, out);
    json::Document doc = json::parse_host(out, "session_get");
    if (!doc.IsObject()) throw HttpError(500, "invalid session file");
    // Top-level space_id from metadata.
    json::Value space(rapidjson::kNullType);
    if (const json::Value* meta = json::find(doc, "metadata"); meta && meta->IsObject()) {
        if (const json::Value* sp = json::find(*meta, "space_id"); sp && sp->IsString()) {
            space.CopyFrom(*sp, doc.GetAllocator());
        }
    }
    if (auto it = doc.FindMember("space_id"); it != doc.MemberEnd()) {
        it->value = space;
    } else {
        doc.AddMember("space_id", space, doc.GetAllocator());
    }
    ctx.send_json(200, json::to_string(doc));
}

void remove(Ctx& ctx) {
    const std::string_view id = checked_id(ctx);
    if (const oxios_status s = ctx.host().session_delete(id); s != OXIOS_OK) session_failed(s, {});
    audit_record(ctx, "session.delete", id);
    json::Builder b;
    b.obj().kv("status", "deleted").kv("id", id).end_obj();
    ctx.send_json(200, b.view());
}

void prune(Ctx& ctx) {
    std::string out;
    const oxios_status s = ctx.host().session_prune(true, out);
    if (s == OXIOS_E_BUSY) throw HttpError(503, std::string(kStoreUnavailable));
    if (s != OXIOS_OK) throw HttpError(500, "prune failed: " + json::error_message(out, status_message(s)));
    const json::Document doc = json::parse_host(out, "session_prune");
    audit_record(ctx, "session.prune", "sessions");
    json::Builder b;
    b.obj().kv("status", "pruned").key("count");
    if (const json::Value* c = json::find(doc, "count"); c && c->IsNumber())
        b.value(*c);
    else
        b.u64(0);
    b.key("config");
    if (const json::Value* c = json::find(doc, "config"); c && c->IsObject())
        b.value(*c);
    else
        b.obj().end_obj();
    b.end_obj();
    ctx.send_json(200, b.view());
}

constexpr std::array kRoutes{
    RouteDef{"GET", "/api/sessions", list, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/sessions/prune", prune, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/sessions/{id}", get, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"DELETE", "/api/sessions/{id}", remove, Access::Protected, OXIOS_ROUTE_PLAIN},
};

}  // namespace

std::span<const RouteDef> sessions_routes() { return kRoutes; }

}  // namespace web
