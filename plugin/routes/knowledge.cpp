// Knowledge: the vault's files, links, search and graph (docs/api-knowledge.md,
// "Knowledge") through the host's knowledge.* methods.
#include "context.hpp"
#include "json.hpp"
#include "middleware/limits.hpp"
#include "pagination.hpp"
#include "router.hpp"
#include "service.hpp"

#include <array>
#include <utility>

namespace web {
namespace {

constexpr size_t kMaxQueryBytes = 1024;
constexpr size_t kMaxEntryBytes = 65'536;  // a chat message, a journal record
constexpr size_t kMaxQuestionBytes = 10'240;

// Raw types the UI's client will not JSON-parse (.json and .svg come back as text).
std::string_view content_type_for(std::string_view path) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kTypes{{
        {"md", "text/markdown; charset=utf-8"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
        {"webp", "image/webp"},
    }};
    const size_t slash = path.rfind('/');
    const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    const size_t dot = name.rfind('.');
    if (dot != std::string_view::npos && dot != 0) {
        for (const auto& [ext, type] : kTypes)
            if (iequals(ext, name.substr(dot + 1))) return type;
    }
    return "text/plain; charset=utf-8";
}

// The wildcard without `suffix` ("/history", "/restore"), or nullopt.
std::optional<std::string_view> strip_suffix(std::string_view path, std::string_view suffix) {
    if (path.size() <= suffix.size() || path.substr(path.size() - suffix.size()) != suffix) return std::nullopt;
    return path.substr(0, path.size() - suffix.size());
}

void send_no_content(Ctx& ctx, std::string_view method, std::string_view args) {
    service_call(ctx, method, args, "file not found");
    ctx.send(204, "", "");
}

void tree(Ctx& ctx) {
    service_respond(ctx, "knowledge.tree", args_with("dir", ctx.query("dir").value_or("")), "directory not found");
}

// GET file/{*path}: the raw file, or `…/history` of the path before it.
void file_get(Ctx& ctx) {
    const std::string_view path = ctx.param("path");
    if (auto note = strip_suffix(path, "/history")) {
        service_respond(ctx, "knowledge.history", args_with("path", *note));
        return;
    }
    const std::string out = service_call(ctx, "knowledge.read", args_with("path", path), "file not found");
    ctx.send(200, content_type_for(path), out);
}

void file_put(Ctx& ctx) {
    const std::string_view content = ctx.body();
    if (!json::valid_utf8(content)) throw HttpError(400, "body is not UTF-8");
    json::Builder args;
    args.obj().kv("path", ctx.param("path")).kv("content", content).end_obj();
    send_no_content(ctx, "knowledge.write", args.view());
}

void file_delete(Ctx& ctx) { send_no_content(ctx, "knowledge.delete", args_with("path", ctx.param("path"))); }

// POST file/{*path}/restore {"hash"}; any other POST on a file is not a route.
void file_post(Ctx& ctx) {
    const auto note = strip_suffix(ctx.param("path"), "/restore");
    if (!note) throw HttpError(404, "not found");
    const json::Document body = json::parse_body_object(ctx.body());
    json::Builder args;
    args.obj().kv("path", *note).kv("hash", json::req_string(body, "hash")).end_obj();
    service_respond(ctx, "knowledge.restore", args.view(), "commit not found");
}

void search(Ctx& ctx) {
    const json::Document body = json::parse_body_object(ctx.body());
    const std::string_view query = json::req_string(body, "query");
    if (query.size() > kMaxQueryBytes) throw HttpError(413, "query exceeds 1024 bytes");
    const int64_t limit = json::opt_int(body, "limit").value_or(20);
    json::Builder args;
    args.obj().kv("query", query).kv("limit", limit).end_obj();
    service_respond(ctx, "knowledge.search", args.view());
}

void backlinks(Ctx& ctx) {
    const auto path = ctx.query("path");
    if (!path || path->empty()) throw HttpError(400, "path is required");
    service_respond(ctx, "knowledge.backlinks", args_with("path", *path));
}

void graph(Ctx& ctx) { service_respond(ctx, "knowledge.graph", "{}"); }

// POST {"<key>": one entry} (chat/append, journal/add): 413 over 64 KiB, 422 when blank; 204.
void forward_entry(Ctx& ctx, std::string_view method, std::string_view key) {
    const json::Document body = json::parse_body_object(ctx.body());
    const std::string_view text = json::req_string(body, key);
    check_size(text.size(), kMaxEntryBytes);
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
        throw HttpError(422, std::string(key) + " is required");
    send_no_content(ctx, method, args_with(key, text));
}

void chat_messages(Ctx& ctx) { service_respond(ctx, "knowledge.chat_messages", "{}"); }
void chat_append(Ctx& ctx) { forward_entry(ctx, "knowledge.chat_append", "message"); }
void journal_add(Ctx& ctx) { forward_entry(ctx, "knowledge.journal_add", "record"); }
void journal_today(Ctx& ctx) { service_respond(ctx, "knowledge.journal_today", "{}"); }

void chat_delete(Ctx& ctx) {
    const json::Document body = json::parse_body_object(ctx.body());
    service_respond(ctx, "knowledge.chat_delete",
                    args_with("msg_hash", json::opt_string(body, "msg_hash").value_or("")));
}

void checklist_add(Ctx& ctx) {
    const json::Document body = json::parse_body_object(ctx.body());
    const std::string_view item = json::req_string(body, "item");
    check_size(item.size(), kMaxEntryBytes);
    json::Builder args;
    args.obj()
        .kv("path", json::req_string(body, "path"))
        .kv("item", item)
        .kv("checked", json::opt_bool(body, "checked").value_or(false))
        .end_obj();
    send_no_content(ctx, "knowledge.checklist_add", args.view());
}

void habits(Ctx& ctx) {
    json::Builder args;
    args.obj();
    if (const auto year = query_int(ctx, "year")) args.kv("year", *year);
    args.end_obj();
    service_respond(ctx, "knowledge.habits", args.view());
}

void config_get(Ctx& ctx) { service_respond(ctx, "knowledge.config_get", "{}"); }

void config_put(Ctx& ctx) {
    const json::Document body = json::parse_body_object(ctx.body());
    json::Builder args;
    args.obj().key("config").value(body).end_obj();
    send_no_content(ctx, "knowledge.config_put", args.view());
}

// The copilot: a chat through the gateway; a budget refusal (DENIED) is 429.
void copilot(Ctx& ctx) {
    const json::Document body = json::parse_body_object(ctx.body());
    const std::string_view question = json::req_string(body, "question");
    if (question.size() > kMaxQuestionBytes) throw HttpError(413, "question exceeds 10240 bytes");
    json::Builder args;
    args.obj().kv("question", question);
    if (const auto context = json::opt_string(body, "context_path")) args.kv("context_path", *context);
    args.end_obj();
    std::string out;
    const oxios_status s = ctx.host().call("knowledge.copilot", args.view(), out);
    if (s == OXIOS_E_DENIED) budget_refused(ctx, json::error_message(out, "budget exceeded"));
    service_check(s, out);
    send_host_json(ctx, out, "knowledge.copilot");
}

constexpr std::array kRoutes{
    RouteDef{"GET", "/api/knowledge/tree", tree, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/knowledge/file/{*path}", file_get, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"PUT", "/api/knowledge/file/{*path}", file_put, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"DELETE", "/api/knowledge/file/{*path}", file_delete, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/knowledge/file/{*path}", file_post, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/knowledge/search", search, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/knowledge/backlinks", backlinks, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/knowledge/graph", graph, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/knowledge/copilot", copilot, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/knowledge/chat/messages", chat_messages, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/knowledge/chat/append", chat_append, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/knowledge/chat/delete", chat_delete, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/knowledge/checklist/add", checklist_add, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/knowledge/journal/today", journal_today, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"POST", "/api/knowledge/journal/add", journal_add, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/knowledge/habits", habits, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/knowledge/config", config_get, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"PUT", "/api/knowledge/config", config_put, Access::Protected, OXIOS_ROUTE_PLAIN},
};

}  // namespace

std::span<const RouteDef> knowledge_routes() { return kRoutes; }

}  // namespace web
