// Mock host harness: held streams and WebSockets, both sides.
#include "harness_impl.hpp"

namespace oxios::harness {

// ---------------------------------------------------------------------------
// Host functions: streams and WebSockets
// ---------------------------------------------------------------------------
oxios_status MockHost::Impl::stream_write(Instance* inst, uint64_t stream, uint64_t seq, std::string_view data) {
    {
        std::lock_guard<std::mutex> lock(conn_mu_);
        auto it = conns_.find(stream);
        if (it == conns_.end()) return OXIOS_E_CLOSED;
        Conn& c = *it->second;
        if (c.ws || !c.open || c.holder.get() != inst) return OXIOS_E_CLOSED;
        if (seq > 0 && seq <= c.highest_seq) return OXIOS_OK;  // already written: a replay never repeats
        // Backpressure as the host does it: only for a plugin that has stream_writable.
        const bool refuses = OXIOS_HAS(inst->api, oxios_plugin_api, stream_writable) && inst->api->stream_writable;
        if (refuses && c.window > 0 && c.data.size() - c.read >= c.window) {
            c.want_writable = true;
            return OXIOS_E_BUSY;
        }
        if (seq > 0) c.highest_seq = seq;
        c.data.append(data);
    }
    conn_cv_.notify_all();
    return OXIOS_OK;
}

oxios_status MockHost::Impl::stream_end(Instance* inst, uint64_t stream) {
    {
        std::lock_guard<std::mutex> lock(conn_mu_);
        auto it = conns_.find(stream);
        if (it == conns_.end()) return OXIOS_E_CLOSED;
        Conn& c = *it->second;
        if (c.ws || !c.open || c.holder.get() != inst) return OXIOS_E_CLOSED;
        c.open = false;
    }
    conn_cv_.notify_all();
    close_by_plugin(inst, stream, false, 0);
    return OXIOS_OK;
}

oxios_status MockHost::Impl::ws_send(uint64_t ws, std::string_view text) {
    {
        std::lock_guard<std::mutex> lock(conn_mu_);
        auto it = conns_.find(ws);
        if (it == conns_.end()) return OXIOS_E_CLOSED;
        Conn& c = *it->second;
        if (!c.ws || !c.open) return OXIOS_E_CLOSED;
        c.frames.emplace_back(text);
    }
    conn_cv_.notify_all();
    return OXIOS_OK;
}

oxios_status MockHost::Impl::ws_close(Instance* inst, uint64_t ws, uint16_t code) {
    {
        std::lock_guard<std::mutex> lock(conn_mu_);
        auto it = conns_.find(ws);
        if (it == conns_.end()) return OXIOS_E_CLOSED;
        Conn& c = *it->second;
        if (!c.ws || !c.open) return OXIOS_E_CLOSED;
        c.open = false;
        c.close_code = code ? code : 1000;
    }
    conn_cv_.notify_all();
    close_by_plugin(inst, ws, true, code ? code : 1000);
    return OXIOS_OK;
}

// ---------------------------------------------------------------------------
// Public interface: WebSockets and SSE
// ---------------------------------------------------------------------------
std::pair<uint64_t, Response> MockHost::ws_connect(const std::string& target, Headers headers) {
    Request r;
    r.method = "GET";
    r.target = target;
    r.headers = std::move(headers);
    return impl_->connect(r, true);
}

void MockHost::ws_client_send(uint64_t ws, const std::string& text) {
    auto c = impl_->find_conn(ws);
    if (!c || !c->ws) throw std::invalid_argument("no such WebSocket: " + std::to_string(ws));
    std::lock_guard<std::mutex> serial(c->serial);  // ws_message calls are serialised per socket
    std::shared_ptr<Instance> holder;
    {
        std::lock_guard<std::mutex> lock(impl_->conn_mu_);
        if (!c->open) return;  // a closed socket carries nothing
        holder = c->holder;
    }
    Flight f(holder);
    if (!f || !f->api->ws_message) return;
    try {
        f->api->ws_message(f->self, ws, text.data(), text.size(), 1);
    } catch (...) {
        impl_->log(f.get().get(), OXIOS_LOG_ERROR, "ws_message threw across the ABI");
    }
}

void MockHost::ws_client_close(uint64_t ws, uint16_t code) {
    auto c = impl_->find_conn(ws);
    if (!c || !c->ws) return;
    std::lock_guard<std::mutex> serial(c->serial);
    std::shared_ptr<Instance> holder;
    {
        std::lock_guard<std::mutex> lock(impl_->conn_mu_);
        if (!c->open) return;
        c->open = false;
        c->close_code = code;
        holder = c->holder;
    }
    impl_->conn_cv_.notify_all();
    Flight f(holder);
    if (!f || !f->api->ws_close) return;
    try {
        f->api->ws_close(f->self, ws, code, OXIOS_CLOSE_PEER);
    } catch (...) {
    }
}

std::vector<std::string> MockHost::ws_frames(uint64_t ws) const {
    std::lock_guard<std::mutex> lock(impl_->conn_mu_);
    auto it = impl_->conns_.find(ws);
    return it == impl_->conns_.end() ? std::vector<std::string>{} : it->second->frames;
}

std::vector<std::string> MockHost::ws_wait_frames(uint64_t ws, size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(impl_->conn_mu_);
    auto it = impl_->conns_.find(ws);
    if (it == impl_->conns_.end()) return {};
    auto c = it->second;
    impl_->conn_cv_.wait_for(lock, timeout, [&] { return c->frames.size() >= n; });
    return c->frames;
}

bool MockHost::ws_open(uint64_t ws) const {
    std::lock_guard<std::mutex> lock(impl_->conn_mu_);
    auto it = impl_->conns_.find(ws);
    return it != impl_->conns_.end() && it->second->ws && it->second->open;
}

uint16_t MockHost::ws_close_code(uint64_t ws) const {
    std::lock_guard<std::mutex> lock(impl_->conn_mu_);
    auto it = impl_->conns_.find(ws);
    return it == impl_->conns_.end() ? 0 : it->second->close_code;
}

std::pair<uint64_t, Response> MockHost::sse_connect(const std::string& target, Headers headers) {
    Request r;
    r.method = "GET";
    r.target = target;
    r.headers = std::move(headers);
    return impl_->connect(r, false);
}

std::string MockHost::sse_data(uint64_t stream) const {
    std::lock_guard<std::mutex> lock(impl_->conn_mu_);
    auto it = impl_->conns_.find(stream);
    return it == impl_->conns_.end() ? std::string() : it->second->data;
}

std::string MockHost::sse_wait(uint64_t stream, const std::string& needle, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(impl_->conn_mu_);
    auto it = impl_->conns_.find(stream);
    if (it == impl_->conns_.end()) return {};
    auto c = it->second;
    impl_->conn_cv_.wait_for(lock, timeout, [&] { return c->data.find(needle) != std::string::npos; });
    return c->data;
}

bool MockHost::sse_open(uint64_t stream) const {
    std::lock_guard<std::mutex> lock(impl_->conn_mu_);
    auto it = impl_->conns_.find(stream);
    return it != impl_->conns_.end() && !it->second->ws && it->second->open;
}

void MockHost::sse_set_window(uint64_t stream, size_t bytes) {
    std::lock_guard<std::mutex> lock(impl_->conn_mu_);
    auto it = impl_->conns_.find(stream);
    if (it != impl_->conns_.end()) it->second->window = bytes;
}

std::string MockHost::sse_read(uint64_t stream) {
    auto c = impl_->find_conn(stream);
    if (!c || c->ws) return {};
    std::string out;
    bool notify = false;
    std::shared_ptr<Instance> holder;
    {
        std::lock_guard<std::mutex> lock(impl_->conn_mu_);
        out = c->data.substr(c->read);
        c->read = c->data.size();
        notify = c->open && c->want_writable;
        c->want_writable = false;
        holder = c->holder;
    }
    if (!notify) return out;
    std::lock_guard<std::mutex> serial(c->serial);
    Flight f(holder);
    if (f && OXIOS_HAS(f->api, oxios_plugin_api, stream_writable) && f->api->stream_writable) {
        try {
            f->api->stream_writable(f->self, stream);
        } catch (...) {
        }
    }
    return out;
}

void MockHost::sse_client_close(uint64_t stream) {
    auto c = impl_->find_conn(stream);
    if (!c || c->ws) return;
    std::lock_guard<std::mutex> serial(c->serial);
    std::shared_ptr<Instance> holder;
    {
        std::lock_guard<std::mutex> lock(impl_->conn_mu_);
        if (!c->open) return;
        c->open = false;
        holder = c->holder;
    }
    impl_->conn_cv_.notify_all();
    Flight f(holder);
    if (!f || !f->api->stream_close) return;
    try {
        f->api->stream_close(f->self, stream, OXIOS_CLOSE_PEER);
    } catch (...) {
    }
}

}  // namespace oxios::harness
