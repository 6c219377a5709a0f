// Mock host harness: route dispatch (requests, WebSocket and SSE admission).
#include "harness_impl.hpp"

#include <algorithm>

namespace oxios::harness {

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------
MockHost::Impl::Prepared MockHost::Impl::prepare(const Request& r) {
    Prepared p;
    std::string error;
    if (!detail::parse_target(r.target, p.target, error)) {
        p.final = make_error(400, error);
        return p;
    }
    {
        std::lock_guard<std::mutex> lock(mu_);
        p.flight = Flight(current_);
    }
    if (!p.flight) {
        p.final = make_error(503, "no plugin loaded");
        return p;
    }
    switch (p.flight->router.match(r.method, p.target.segments, p.match)) {
        case Router::Result::Found:
            break;
        case Router::Result::NotFound:
            p.final = make_error(404, "not found");
            break;
        case Router::Result::MethodNotAllowed:
            p.final = make_error(405, "method not allowed");
            break;
    }
    return p;
}

Response MockHost::Impl::run_handle(Prepared& p, const Request& r, bool& admitted) {
    admitted = false;
    Instance* inst = p.flight.get().get();
    const RouteEntry* route = p.match.route;
    RequestView rv;
    rv.build(r, p.target, p.match.params, route->kind);

    ResponseState state;
    uintptr_t token;
    {
        std::lock_guard<std::mutex> lock(g_resp_mu);
        // Distinct, never reused, not an address of ours.
        g_next_resp += 16;
        token = (uintptr_t{0x0A} << 40) + g_next_resp + 8;
        g_responses.emplace(token, &state);
    }
    oxios_status st = OXIOS_E_INTERNAL;
    std::string threw;
    try {
        st = inst->api->handle(inst->self, route->route_data, &rv.req, reinterpret_cast<oxios_response*>(token));
    } catch (const std::exception& e) {
        threw = e.what();
    } catch (...) {
        threw = "unknown exception";
    }
    {
        std::lock_guard<std::mutex> lock(g_resp_mu);
        g_responses.erase(token);
    }
    if (!threw.empty()) {
        log(inst, OXIOS_LOG_ERROR, "handle threw across the ABI: " + threw);
        return make_error(500, "internal error");
    }
    if (state.responded) return std::move(state.resp);
    if (st != OXIOS_OK) return make_error(500, std::string("handler failed: ") + detail::status_name(st));
    if (route->kind == OXIOS_ROUTE_PLAIN) return make_error(500, "handler did not respond");
    admitted = true;
    Response ok = std::move(state.resp);
    if (route->kind == OXIOS_ROUTE_WEBSOCKET) {
        ok.status = 101;
    } else {
        ok.status = 200;
        ok.content_type = "text/event-stream";
    }
    return ok;
}

Response MockHost::Impl::request(const Request& r) {
    Prepared p = prepare(r);
    if (p.final) return std::move(*p.final);
    if (p.match.route->kind == OXIOS_ROUTE_WEBSOCKET)
        return make_error(426, "this route needs a WebSocket upgrade (use ws_connect)");
    if (p.match.route->kind == OXIOS_ROUTE_SSE) {
        // A plain request to a stream: open it, take what the plugin writes
        // while opening, then hang up (like `curl --max-time`).
        p = Prepared{};
        auto [id, resp] = connect(r, false);
        if (id != 0) {
            {
                std::lock_guard<std::mutex> lock(conn_mu_);
                if (auto it = conns_.find(id); it != conns_.end()) resp.body = it->second->data;
            }
            // close as the client would
            auto c = find_conn(id);
            if (c) {
                std::lock_guard<std::mutex> serial(c->serial);
                std::shared_ptr<Instance> holder;
                {
                    std::lock_guard<std::mutex> lock(conn_mu_);
                    if (c->open) {
                        c->open = false;
                        holder = c->holder;
                    }
                }
                Flight f(holder);
                if (f && f->api->stream_close) {
                    try {
                        f->api->stream_close(f->self, id, OXIOS_CLOSE_PEER);
                    } catch (...) {
                    }
                }
            }
        }
        return resp;
    }
    bool admitted = false;
    return run_handle(p, r, admitted);
}

std::shared_ptr<Conn> MockHost::Impl::find_conn(uint64_t id) const {
    std::lock_guard<std::mutex> lock(conn_mu_);
    auto it = conns_.find(id);
    return it == conns_.end() ? nullptr : it->second;
}

// Calls ws_open / stream_open of `inst` for c (c->serial held by the caller).
void MockHost::Impl::open_conn(const std::shared_ptr<Conn>& c, Instance* inst, uint32_t flags) {
    RequestView rv;
    void* route_data = nullptr;
    uint64_t last_seq = 0;
    {
        std::lock_guard<std::mutex> lock(conn_mu_);
        rv.build(c->req, c->target, c->params, c->route->kind);
        route_data = c->route->route_data;
        last_seq = c->highest_seq;
    }
    oxios_status st = OXIOS_E_UNSUPPORTED;
    try {
        if (c->ws && inst->api->ws_open)
            st = inst->api->ws_open(inst->self, route_data, c->id, &rv.req, flags);
        else if (!c->ws && inst->api->stream_open)
            st = inst->api->stream_open(inst->self, route_data, c->id, &rv.req, last_seq, flags);
    } catch (...) {
        st = OXIOS_E_INTERNAL;
    }
    if (st != OXIOS_OK) {
        log(inst, OXIOS_LOG_WARN,
            std::string(c->ws ? "ws_open" : "stream_open") + " failed: " + detail::status_name(st) +
                "; connection closed");
        {
            std::lock_guard<std::mutex> lock(conn_mu_);
            if (c->open) {
                c->open = false;
                if (c->ws) c->close_code = 1011;
            }
        }
        conn_cv_.notify_all();
    }
}

std::pair<uint64_t, Response> MockHost::Impl::connect(const Request& r, bool ws) {
    std::shared_lock<std::shared_mutex> life(life_mu_);
    Prepared p = prepare(r);
    if (p.final) return {0, std::move(*p.final)};
    const uint32_t want = ws ? OXIOS_ROUTE_WEBSOCKET : OXIOS_ROUTE_SSE;
    if (p.match.route->kind != want) {
        if (p.match.route->kind != OXIOS_ROUTE_PLAIN)
            return {0, make_error(400, ws ? "not a WebSocket route" : "not an SSE route")};
        bool admitted = false;
        return {0, run_handle(p, r, admitted)};
    }
    bool admitted = false;
    Response resp = run_handle(p, r, admitted);
    if (!admitted) return {0, std::move(resp)};

    auto c = std::make_shared<Conn>();
    c->id = g_next_conn_id.fetch_add(1);
    c->ws = ws;
    c->req = r;
    c->target = p.target;
    c->route = p.match.route;
    c->params = p.match.params;
    c->holder = p.flight.get();
    if (!ws) {
        for (const auto& [n, v] : r.headers) {
            if (!detail::iequals(n, "Last-Event-ID")) continue;
            try {
                size_t used = 0;
                const unsigned long long n64 = std::stoull(v, &used);
                if (used == v.size()) c->highest_seq = n64;
            } catch (...) {
            }
        }
    }
    std::lock_guard<std::mutex> serial(c->serial);
    {
        std::lock_guard<std::mutex> lock(conn_mu_);
        conns_.emplace(c->id, c);
    }
    open_conn(c, p.flight.get().get(), 0);
    return {c->id, std::move(resp)};
}

void MockHost::Impl::close_by_plugin(Instance* /*inst*/, uint64_t id, bool ws, uint16_t code) {
    std::shared_ptr<Conn> c;
    std::shared_ptr<Instance> holder;
    {
        std::lock_guard<std::mutex> lock(conn_mu_);
        auto it = conns_.find(id);
        if (it == conns_.end()) return;
        c = it->second;
        holder = c->holder;
    }
    // The holder loses the connection: tell it asynchronously (the plugin may
    // hold its own locks while it calls ws_close/stream_end).
    Flight f(holder);
    if (!f) return;
    scheduler_.post([c, ws, code, f = std::make_shared<Flight>(std::move(f))]() {
        std::lock_guard<std::mutex> serial(c->serial);
        Instance* i = f->get().get();
        try {
            if (ws && i->api->ws_close)
                i->api->ws_close(i->self, c->id, code, OXIOS_CLOSE_BY_PLUGIN);
            else if (!ws && i->api->stream_close)
                i->api->stream_close(i->self, c->id, OXIOS_CLOSE_BY_PLUGIN);
        } catch (...) {
        }
    });
}

// ---------------------------------------------------------------------------
// Public interface: requests
// ---------------------------------------------------------------------------
std::string Response::header(const std::string& name) const {
    for (const auto& [n, v] : headers)
        if (detail::iequals(n, name)) return v;
    return {};
}

Response MockHost::request(const Request& req) { return impl_->request(req); }

Response MockHost::get(const std::string& target, Headers headers) {
    Request r;
    r.method = "GET";
    r.target = target;
    r.headers = std::move(headers);
    return request(r);
}

Response MockHost::post(const std::string& target, const std::string& body, Headers headers) {
    Request r;
    r.method = "POST";
    r.target = target;
    r.body = body;
    r.headers = std::move(headers);
    return request(r);
}

Response MockHost::put(const std::string& target, const std::string& body, Headers headers) {
    Request r;
    r.method = "PUT";
    r.target = target;
    r.body = body;
    r.headers = std::move(headers);
    return request(r);
}

Response MockHost::del(const std::string& target, Headers headers) {
    Request r;
    r.method = "DELETE";
    r.target = target;
    r.headers = std::move(headers);
    return request(r);
}

std::vector<std::string> MockHost::routes() const {
    std::shared_ptr<Instance> inst;
    {
        std::lock_guard<std::mutex> lock(impl_->mu_);
        inst = impl_->current_;
    }
    std::vector<std::string> out;
    if (!inst) return out;
    static const char* kinds[] = {"plain", "sse", "websocket"};
    for (const auto& e : inst->router.entries())
        out.push_back(e->method + " " + e->pattern + " " + (e->kind <= 2 ? kinds[e->kind] : "?"));
    return out;
}

}  // namespace oxios::harness
