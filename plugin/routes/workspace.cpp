// Workspace: directory tree, raw file read (type by extension), raw file write.
#include "context.hpp"
#include "json.hpp"
#include "middleware/limits.hpp"
#include "router.hpp"
#include "service.hpp"

#include <array>
#include <utility>

namespace web {
namespace {

std::string_view content_type_for(std::string_view path) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kTypes{{
        {"md", "text/markdown"},
        {"json", "application/json"},
        {"toml", "text/plain"},
        {"yaml", "text/plain"},
        {"yml", "text/plain"},
        {"txt", "text/plain"},
        {"html", "text/html"},
        {"css", "text/css"},
        {"js", "text/javascript"},
    }};
    const size_t slash = path.rfind('/');
    const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    const size_t dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0) return "text/plain";
    const std::string_view ext = name.substr(dot + 1);
    for (const auto& [e, type] : kTypes) {
        if (iequals(e, ext)) return type;
    }
    return "text/plain";
}

void tree(Ctx& ctx) {
    service_respond(ctx, "workspace.tree", args_with("dir", ctx.query("dir").value_or("")), "directory not found");
}

void read(Ctx& ctx) {
    const std::string_view path = ctx.param("path");
    const std::string out = service_call(ctx, "workspace.read", args_with("path", path), "file not found");
    ctx.send(200, content_type_for(path), out);
}

void write(Ctx& ctx) {
    const std::string_view path = ctx.param("path");
    const std::string_view content = ctx.body();
    check_size(content.size(), kMaxWorkspaceFile);
    if (!json::valid_utf8(content)) throw HttpError(400, "file content must be valid UTF-8");
    json::Builder args;
    args.obj().kv("path", path).kv("content", content).end_obj();
    service_respond(ctx, "workspace.write", args.view());
}

constexpr std::array kRoutes{
    RouteDef{"GET", "/api/workspace/tree", tree, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"GET", "/api/workspace/file/{*path}", read, Access::Protected, OXIOS_ROUTE_PLAIN},
    RouteDef{"PUT", "/api/workspace/file/{*path}", write, Access::Protected, OXIOS_ROUTE_PLAIN},
};

}  // namespace

std::span<const RouteDef> workspace_routes() { return kRoutes; }

}  // namespace web
