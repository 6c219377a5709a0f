// What the host tells about its plugins and lets an operator do: the status
// JSON, the Prometheus metrics, and POST /admin/plugins/{name}/reload.
#include "plugins/plugin_manager.hpp"

#include <oxios/rules/json_error.hpp>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace oxios::plugins {

using rules::json_error;

std::string PluginManager::status_json() const {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    std::lock_guard lock(state_mutex_);
    w.StartObject();
    w.Key("loaded");
    w.StartArray();
    for (auto& [name, inst] : plugins_) {
        w.StartObject();
        w.Key("name");
        w.String(name.c_str());
        w.Key("version");
        w.String(inst->version().c_str());
        w.Key("file");
        w.String(inst->source_file().c_str());
        w.Key("routes");
        w.Uint64(inst->routes().size());
        w.EndObject();
    }
    w.EndArray();
    w.Key("reloads");
    w.Uint64(reloads_.load());
    w.Key("failed_reloads");
    w.Uint64(failed_reloads_.load());
    w.Key("last_error");
    if (last_error_.empty())
        w.Null();
    else
        w.String(last_error_.c_str());
    w.EndObject();
    return {buf.GetString(), buf.GetSize()};
}

std::string PluginManager::metrics_text() const {
    std::string out = metrics_.prometheus();
    out += "# TYPE oxios_plugin_reloads_total counter\noxios_plugin_reloads_total " + std::to_string(reloads_.load()) +
           "\n";
    out += "# TYPE oxios_plugin_failed_reloads_total counter\noxios_plugin_failed_reloads_total " +
           std::to_string(failed_reloads_.load()) + "\n";
    if (hub_) {
        out += "# TYPE oxios_open_websockets gauge\noxios_open_websockets " + std::to_string(hub_->websocket_count()) +
               "\n";
        out += "# TYPE oxios_open_sse_streams gauge\noxios_open_sse_streams " + std::to_string(hub_->stream_count()) +
               "\n";
    }
    return out;
}

// POST /admin/plugins/{name}/reload: the host's own admin route, for
// loopback clients or holders of a valid API token.
bool PluginManager::serve_admin(const httplib::Request& req, httplib::Response& res) {
    static const std::string prefix = "/admin/plugins/", suffix = "/reload";
    const auto& p = req.path;
    if (p.size() <= prefix.size() + suffix.size() || p.compare(0, prefix.size(), prefix) != 0 ||
        p.compare(p.size() - suffix.size(), suffix.size(), suffix) != 0)
        return false;
    if (req.method != "POST") {
        res.status = 405;
        res.set_content(json_error("method not allowed"), "application/json");
        return true;
    }
    bool loopback =
        req.remote_addr == "127.0.0.1" || req.remote_addr == "::1" || req.remote_addr.rfind("::ffff:127.", 0) == 0;
    auto auth = req.get_header_value("Authorization");
    bool token_ok = auth.rfind("Bearer ", 0) == 0 && kernel_.token_valid(std::string_view(auth).substr(7));
    if (!loopback && !token_ok) {
        res.status = 401;
        res.set_content(json_error("unauthorized"), "application/json");
        return true;
    }
    std::string name = p.substr(prefix.size(), p.size() - prefix.size() - suffix.size());
    auto inst = current(name);
    if (!inst) {
        res.status = 404;
        res.set_content(json_error("plugin not found: " + name), "application/json");
        return true;
    }
    auto why = load_or_reload(inst->source_file());
    if (!why.empty()) {
        res.status = 500;
        res.set_content(json_error("reload failed: " + why), "application/json");
        return true;
    }
    auto now = current(name);
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("status");
    w.String("reloaded");
    w.Key("plugin");
    w.String(name.c_str());
    w.Key("version");
    w.String(now ? now->version().c_str() : "");
    w.EndObject();
    res.set_content(std::string(buf.GetString(), buf.GetSize()), "application/json");
    return true;
}

}  // namespace oxios::plugins
