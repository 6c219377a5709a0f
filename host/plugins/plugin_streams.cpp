// The stream bridge: held connections (WebSocket, SSE) admitted, opened and
// fed through the plugin instance that owns them, moved to the new instance
// on a reload, and the host API's writes to them.
#include "plugins/plugin_manager.hpp"

#include "plugins/host_api.hpp"
#include "plugins/request_view.hpp"

#include <oxios/rules/json_error.hpp>

namespace oxios::plugins {

using rules::json_error;

// Moves every held connection of `plugin` from the old instance to the
// current one; a connection whose route is gone is closed (WebSocket 1012).
void PluginManager::reattach(const std::string& plugin, const std::shared_ptr<PluginInstance>& old_instance) {
    auto tbl = table();
    std::vector<uint64_t> ids;
    {
        std::lock_guard lock(conn_mutex_);
        for (auto& [id, a] : attachments_)
            if (a.plugin == plugin && a.owner == old_instance) ids.push_back(id);
    }
    for (uint64_t id : ids) {
        Attachment snapshot;
        const Route* route = nullptr;
        Params params;
        {
            std::lock_guard lock(conn_mutex_);
            auto it = attachments_.find(id);
            if (it == attachments_.end()) continue;  // closed meanwhile
            bool found = tbl->match("GET", raw_path_of(it->second.request.target), route, params) ==
                             RouteTable::Outcome::Found &&
                         route->kind == it->second.kind && route->owner && route->owner->name() == plugin;
            if (found) {
                it->second.owner = route->owner;
                it->second.route_data = route->route_data;
            }
            snapshot = it->second;
            if (!found) attachments_.erase(it);
        }
        {
            PluginInstance::Call call(*old_instance);
            if (call.ok()) old_instance->close(snapshot.kind, id, 0, OXIOS_CLOSE_DETACHED);
        }
        if (snapshot.owner != old_instance && snapshot.owner) {
            auto& inst = *snapshot.owner;
            PluginInstance::Call call(inst);
            if (!call.ok()) continue;
            RequestView view(snapshot.request, params, snapshot.kind, clients_);
            inst.open(snapshot.kind, snapshot.route_data, id, view.get(), snapshot.last_seq, OXIOS_OPEN_RESUMED);
        } else if (hub_) {
            hub_->close(id, 1012, "service restart: route no longer served");
        }
    }
}

http::Admission PluginManager::admit(const http::HeldRequest& req, oxios_route_kind kind) {
    http::Admission out;
    for (int attempt = 0; attempt < 3; ++attempt) {
        auto m = lookup(req.method, raw_path_of(req.target));
        if (!m.found(kind)) {
            out.status = 404;
            out.body = json_error("not found");
            return out;
        }
        const Route* route = m.route;
        auto& inst = *route->owner;
        PluginInstance::Call call(inst);
        if (!call.ok()) continue;
        RequestView view(req, m.params, kind, clients_);
        oxios_response resp;
        oxios_status st = call_handle(inst, *route, view, resp);
        if (route->stats) route->stats->record(resp.responded ? resp.status : (st == OXIOS_OK ? 101 : 500), 0);
        out.headers = std::move(resp.headers);
        if (resp.responded) {
            out.status = resp.status;
            out.content_type = resp.content_type;
            out.body = std::move(resp.body);
        } else if (st != OXIOS_OK) {
            out.status = 500;
            out.body = json_error("the plugin failed to admit the connection");
        } else {
            out.admitted = true;
        }
        return out;
    }
    out.status = 503;
    out.body = json_error("the plugin is being replaced, retry");
    return out;
}

void PluginManager::opened(uint64_t id, oxios_route_kind kind, const http::HeldRequest& req, uint64_t last_event_id) {
    // A Last-Event-ID the bus never reached (the client saw an earlier host
    // process) would make stream_write drop every event up to it: start over.
    // In a cluster another host may have sent it already: wait for it first.
    if (kind == OXIOS_ROUTE_SSE && last_event_id > 0) {
        kernel_.events_reach(last_event_id);
        bool known = false;
        const uint64_t missed = kernel_.events_since(
            last_event_id - 1, [&](uint64_t seq, std::string_view) { known = known || seq == last_event_id; });
        if (!known && missed == 0) last_event_id = 0;
    }
    for (int attempt = 0; attempt < 3; ++attempt) {
        auto m = lookup(req.method, raw_path_of(req.target));
        if (!m.found(kind)) {
            if (hub_) hub_->close(id, 1012, "route no longer served");
            return;
        }
        const Route* route = m.route;
        auto owner = route->owner;
        {
            std::lock_guard lock(conn_mutex_);
            auto& a = attachments_[id];
            a.kind = kind;
            a.request = req;
            a.plugin = owner->name();
            a.owner = owner;
            a.route_data = route->route_data;
            a.last_seq = last_event_id;
        }
        PluginInstance::Call call(*owner);
        if (!call.ok()) continue;  // replaced meanwhile: the reattach may have missed it
        RequestView view(req, m.params, kind, clients_);
        owner->open(kind, route->route_data, id, view.get(), last_event_id, 0);
        return;
    }
}

void PluginManager::message(uint64_t id, std::string_view data, bool text) {
    std::shared_ptr<PluginInstance> owner;
    {
        std::lock_guard lock(conn_mutex_);
        auto it = attachments_.find(id);
        if (it == attachments_.end()) return;
        owner = it->second.owner;
    }
    for (int attempt = 0; attempt < 3 && owner; ++attempt) {
        PluginInstance::Call call(*owner);
        if (call.ok()) {
            owner->message(id, data, text);
            return;
        }
        // The owner was retired between lookup and call: take the new one.
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        std::lock_guard lock(conn_mutex_);
        auto it = attachments_.find(id);
        if (it == attachments_.end()) return;
        owner = it->second.owner;
    }
}

void PluginManager::writable(uint64_t id) {
    // To the instance holding the stream now (after a reload, maybe not the
    // one that was refused: it catches up from its own position).
    std::shared_ptr<PluginInstance> owner;
    {
        std::lock_guard lock(conn_mutex_);
        auto it = attachments_.find(id);
        if (it == attachments_.end() || it->second.kind != OXIOS_ROUTE_SSE) return;
        owner = it->second.owner;
    }
    if (!owner) return;
    PluginInstance::Call call(*owner);
    // A retiring owner: its successor's stream_open catches up anyway.
    if (call.ok()) owner->stream_writable(id);
}

void PluginManager::closed(uint64_t id, uint16_t code, oxios_close_reason reason) {
    Attachment a;
    {
        std::lock_guard lock(conn_mutex_);
        auto it = attachments_.find(id);
        if (it == attachments_.end()) return;
        a = std::move(it->second);
        attachments_.erase(it);
    }
    if (a.kind == OXIOS_ROUTE_WEBSOCKET) kernel_.cancel_connection(id);
    if (!a.owner) return;
    PluginInstance::Call call(*a.owner);
    if (call.ok()) a.owner->close(a.kind, id, code, reason);
}

oxios_status PluginManager::stream_write(PluginInstance& instance, uint64_t id, uint64_t seq, std::string_view data) {
    if (!hub_) return OXIOS_E_CLOSED;
    // The lock also orders writes of one stream, so seq filtering is exact.
    std::lock_guard lock(conn_mutex_);
    auto it = attachments_.find(id);
    if (it == attachments_.end() || it->second.kind != OXIOS_ROUTE_SSE || it->second.owner.get() != &instance)
        return OXIOS_E_CLOSED;
    if (seq > 0 && seq <= it->second.last_seq) return OXIOS_OK;
    // Backpressure only for a plugin that is told when to write again.
    const oxios_status st = hub_->send(id, data, instance.takes_backpressure());
    if (st == OXIOS_OK && seq > 0) it->second.last_seq = seq;
    return st;
}

oxios_status PluginManager::stream_end(PluginInstance& instance, uint64_t id) {
    if (!hub_) return OXIOS_E_CLOSED;
    {
        std::lock_guard lock(conn_mutex_);
        auto it = attachments_.find(id);
        if (it == attachments_.end() || it->second.owner.get() != &instance) return OXIOS_E_CLOSED;
    }
    return hub_->close(id, 1000, "");
}

oxios_status PluginManager::ws_send(uint64_t id, std::string_view text) {
    if (!hub_) return OXIOS_E_CLOSED;
    {
        std::lock_guard lock(conn_mutex_);
        auto it = attachments_.find(id);
        if (it == attachments_.end() || it->second.kind != OXIOS_ROUTE_WEBSOCKET) return OXIOS_E_CLOSED;
    }
    return hub_->send(id, text);
}

oxios_status PluginManager::ws_close(uint64_t id, uint16_t code, std::string_view reason) {
    if (!hub_) return OXIOS_E_CLOSED;
    {
        std::lock_guard lock(conn_mutex_);
        auto it = attachments_.find(id);
        if (it == attachments_.end() || it->second.kind != OXIOS_ROUTE_WEBSOCKET) return OXIOS_E_CLOSED;
    }
    return hub_->close(id, code, reason);
}

}  // namespace oxios::plugins
