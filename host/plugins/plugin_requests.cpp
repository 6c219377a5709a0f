// The HTTP bridge: a plain request served by the plugin route it matches,
// with the plugin's response translated into cpp-httplib's.
#include "plugins/plugin_manager.hpp"

#include "plugins/host_api.hpp"
#include "plugins/request_view.hpp"

#include <oxios/rules/json_error.hpp>

#include <strings.h>

namespace oxios::plugins {

using rules::json_error;
using Clock = std::chrono::steady_clock;

// Runs the plugin's handle() (the caller holds a Call); the response object
// is invalid for the plugin afterwards.
oxios_status PluginManager::call_handle(PluginInstance& inst, const Route& route, const RequestView& view,
                                        oxios_response& resp) {
    const oxios_status st = inst.handle(route.route_data, view.get(), &resp);
    resp.valid = false;
    return st;
}

oxios_route_kind PluginManager::route_kind(std::string_view method, std::string_view path) {
    auto m = lookup(method, path);
    return m.outcome == RouteTable::Outcome::Found ? m.route->kind : OXIOS_ROUTE_PLAIN;
}

void PluginManager::serve(const httplib::Request& req, httplib::Response& res) {
    auto start = Clock::now();
    if (req.path.rfind("/admin/", 0) == 0 && serve_admin(req, res)) return;
    // A request that races a reload may find its instance already retired:
    // it then goes to the table that replaced it.
    for (int attempt = 0; attempt < 3; ++attempt) {
        // HEAD is served by the GET route (cpp-httplib drops the body).
        std::string_view method = req.method == "HEAD" ? std::string_view("GET") : std::string_view(req.method);
        auto m = lookup(method, raw_path_of(req.target));
        if (m.outcome != RouteTable::Outcome::Found) {
            bool not_allowed = m.outcome == RouteTable::Outcome::MethodNotAllowed;
            res.status = not_allowed ? 405 : 404;
            res.set_content(json_error(not_allowed ? "method not allowed" : "not found"), "application/json");
            metrics_.unmatched().record(res.status, 0);
            return;
        }
        const Route* route = m.route;
        auto& inst = *route->owner;
        PluginInstance::Call call(inst);
        if (!call.ok()) continue;
        RequestView view(req, m.params, route->kind, clients_);
        oxios_response resp;
        oxios_status st = call_handle(inst, *route, view, resp);
        if (!resp.responded) {
            res.status = 500;
            res.set_content(
                json_error(st == OXIOS_OK ? "the plugin gave no response" : "the plugin failed to handle the request"),
                "application/json");
        } else {
            res.status = resp.status;
            bool encoded = false;
            for (auto& [k, v] : resp.headers) {
                encoded = encoded || strcasecmp(k.c_str(), "Content-Encoding") == 0;
                res.set_header(k.c_str(), v);
            }
            if (encoded) {
                // Already compressed by the plugin: a sized content provider
                // keeps cpp-httplib from compressing it a second time.
                auto body = std::make_shared<std::string>(std::move(resp.body));
                res.set_content_provider(body->size(),
                                         resp.content_type.empty() ? "application/octet-stream" : resp.content_type,
                                         [body](size_t offset, size_t length, httplib::DataSink& sink) {
                                             return sink.write(body->data() + offset, length);
                                         });
            } else {
                res.body = std::move(resp.body);
                if (!resp.content_type.empty()) res.set_header("Content-Type", resp.content_type);
            }
        }
        if (route->stats) {
            auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
            route->stats->record(res.status, static_cast<uint64_t>(us));
        }
        return;
    }
    res.status = 503;
    res.set_content(json_error("the plugin is being replaced, retry"), "application/json");
}

}  // namespace oxios::plugins
