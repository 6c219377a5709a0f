// Mock host harness: implementation. See mock_host.hpp for the interface and
// abi/oxios_plugin.h for the contract every function here honours.
#include "mock_host.hpp"

#include "harness_router.hpp"
#include "harness_util.hpp"

#include <boost/dll/shared_library.hpp>
#include <boost/dll/shared_library_load_mode.hpp>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>

namespace oxios::harness {

using detail::RouteEntry;
using detail::RouteMatch;
using detail::Router;
using detail::str;
using detail::Target;
using detail::view;

namespace {

using Clock = std::chrono::steady_clock;

// Host-wide ids: never reused within the process (abi header, HANDLES).
std::atomic<uint64_t> g_next_conn_id{1};
std::atomic<uint64_t> g_next_instance{1};

constexpr size_t kEventRing = 256;
constexpr auto kDrainDeadline = std::chrono::seconds(10);

std::string to_json(const rapidjson::Value& v) {
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    v.Accept(w);
    return std::string(sb.GetString(), sb.GetSize());
}

rapidjson::Value jstr(std::string_view s, rapidjson::Document::AllocatorType& a) {
    rapidjson::Value v;
    // RapidJSON asserts on a null pointer, which an empty view may carry.
    v.SetString(s.empty() ? "" : s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
    return v;
}

rapidjson::Value jstr_or_null(std::string_view s, rapidjson::Document::AllocatorType& a) {
    if (s.empty()) return rapidjson::Value(rapidjson::kNullType);
    return jstr(s, a);
}

// A single thread running timed tasks in order (FIFO among equal times).
class Scheduler {
public:
    Scheduler() : thread_([this] { run(); }) {}
    ~Scheduler() { shutdown(); }
    void post(std::function<void()> fn) { post_at(Clock::now(), std::move(fn)); }
    void post_at(Clock::time_point at, std::function<void()> fn) {
        {
            std::lock_guard<std::mutex> lock(mu_);
            if (stop_) return;
            tasks_.emplace(at, std::move(fn));
        }
        cv_.notify_all();
    }
    void shutdown() {
        std::multimap<Clock::time_point, std::function<void()>> dropped;
        {
            std::lock_guard<std::mutex> lock(mu_);
            if (stop_) return;
            stop_ = true;
        }
        cv_.notify_all();
        if (thread_.joinable()) thread_.join();
        std::lock_guard<std::mutex> lock(mu_);
        dropped.swap(tasks_);
    }
    bool on_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

private:
    void run() {
        std::unique_lock<std::mutex> lock(mu_);
        while (!stop_) {
            if (tasks_.empty()) {
                cv_.wait(lock);
                continue;
            }
            auto it = tasks_.begin();
            if (it->first > Clock::now()) {
                cv_.wait_until(lock, it->first);
                continue;
            }
            auto fn = std::move(it->second);
            tasks_.erase(it);
            lock.unlock();
            try {
                fn();
            } catch (...) {
            }
            fn = nullptr;
            lock.lock();
        }
    }
    std::mutex mu_;
    std::condition_variable cv_;
    std::multimap<Clock::time_point, std::function<void()>> tasks_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace

// ---------------------------------------------------------------------------
// One loaded plugin instance. Its address is the `oxios_host*` the plugin gets.
// Instances are kept (emptied) until the MockHost dies, so a stray late call
// from a plugin thread is refused instead of touching freed memory.
// ---------------------------------------------------------------------------
struct Instance {
    MockHost::Impl* impl = nullptr;
    uint64_t serial = 0;
    std::string source_path, copy_path, name, version;
    boost::dll::shared_library lib;
    const oxios_plugin_api* api = nullptr;
    void* self = nullptr;
    Router router;  // filled during start, read-only afterwards

    std::atomic<bool> alive{false};     // from create until destroy returned
    std::atomic<bool> in_start{false};  // route_add allowed
    std::mutex route_mu;
    std::string route_error;  // first failed route_add during start

    std::mutex mu;
    std::condition_variable cv;
    int inflight = 0;
    bool accepting = true;

    oxios_host* host() { return reinterpret_cast<oxios_host*>(this); }

    // Counts a call into the plugin; false once the instance stopped.
    bool enter() {
        std::lock_guard<std::mutex> lock(mu);
        if (!accepting) return false;
        ++inflight;
        return true;
    }
    void leave() {
        std::lock_guard<std::mutex> lock(mu);
        if (--inflight == 0) cv.notify_all();
    }
    bool drain(std::chrono::steady_clock::duration deadline) {
        std::unique_lock<std::mutex> lock(mu);
        return cv.wait_for(lock, deadline, [&] { return inflight == 0; });
    }
};

namespace {

// RAII: one counted call into an instance.
class Flight {
public:
    Flight() = default;
    explicit Flight(std::shared_ptr<Instance> inst) {
        if (inst && inst->enter()) inst_ = std::move(inst);
    }
    Flight(Flight&& o) noexcept : inst_(std::move(o.inst_)) {}
    Flight& operator=(Flight&& o) noexcept {
        release();
        inst_ = std::move(o.inst_);
        return *this;
    }
    ~Flight() { release(); }
    explicit operator bool() const { return inst_ != nullptr; }
    Instance* operator->() const { return inst_.get(); }
    const std::shared_ptr<Instance>& get() const { return inst_; }

private:
    void release() {
        if (inst_) inst_->leave();
        inst_.reset();
    }
    std::shared_ptr<Instance> inst_;
};

struct ResponseState {
    bool responded = false;
    Response resp;
};

// Live responders of every MockHost in the process. An `oxios_response*` is a
// token looked up here, never dereferenced, so one used after its handle()
// returned is detected and refused (OXIOS_E_CLOSED) instead of crashing.
std::mutex g_resp_mu;
std::unordered_map<uintptr_t, ResponseState*> g_responses;
uintptr_t g_next_resp = 0;

oxios_status respond_impl(oxios_response* resp, int32_t status, std::string_view ct, std::string_view body) {
    std::lock_guard<std::mutex> lock(g_resp_mu);
    auto it = g_responses.find(reinterpret_cast<uintptr_t>(resp));
    if (it == g_responses.end()) return OXIOS_E_CLOSED;
    ResponseState& s = *it->second;
    if (s.responded) return OXIOS_E_CONFLICT;
    if (status < 100 || status > 599) return OXIOS_E_INVALID;
    s.responded = true;
    s.resp.status = status;
    s.resp.content_type.assign(ct);
    s.resp.body.assign(body);
    return OXIOS_OK;
}

oxios_status response_header_impl(oxios_response* resp, std::string_view name, std::string_view value) {
    std::lock_guard<std::mutex> lock(g_resp_mu);
    auto it = g_responses.find(reinterpret_cast<uintptr_t>(resp));
    if (it == g_responses.end()) return OXIOS_E_CLOSED;
    if (name.empty()) return OXIOS_E_INVALID;
    it->second->resp.headers.emplace_back(std::string(name), std::string(value));
    return OXIOS_OK;
}

// A held connection (WebSocket or SSE stream).
struct Conn {
    uint64_t id = 0;
    bool ws = false;
    Request req;  // the original upgrade request
    Target target;
    // Everything below is guarded by Impl::conn_mu_.
    rules::Params params;
    const RouteEntry* route = nullptr;  // in holder->router
    std::shared_ptr<Instance> holder;
    bool open = true;
    uint16_t close_code = 0;
    std::vector<std::string> frames;  // ws: text frames the plugin sent
    std::string data;                 // sse: bytes written
    uint64_t highest_seq = 0;         // sse: highest event seq written
    size_t read = 0;                  // sse: bytes of data the client consumed (sse_read)
    size_t window = 0;                // sse: unread bytes at which writes are refused (0: never)
    bool want_writable = false;       // sse: a write was refused; sse_read calls stream_writable
    // Serialises plugin callbacks for this connection (ws_message, open,
    // close); never held while waiting for anything but such a callback.
    std::mutex serial;
};

// Owns the views an oxios_request points into.
struct RequestView {
    oxios_request req{};
    std::vector<oxios_pair> headers, params, query;

    void build(const Request& r, const Target& t, const rules::Params& values, uint32_t kind) {
        headers.clear();
        params.clear();
        query.clear();
        headers.reserve(r.headers.size());
        for (const auto& [n, v] : r.headers) headers.push_back({str(n), str(v)});
        for (const auto& [n, v] : values) params.push_back({str(n), str(v)});
        for (const auto& [n, v] : t.query_params) query.push_back({str(n), str(v)});
        req = oxios_request{};
        req.size = sizeof(oxios_request);
        req.route_kind = kind;
        req.method = str(r.method);
        req.path = str(t.path);
        req.raw_target = str(t.raw);
        req.query = str(t.query);
        req.body = str(r.body);
        req.headers = headers.empty() ? nullptr : headers.data();
        req.header_count = static_cast<uint32_t>(headers.size());
        req.params = params.empty() ? nullptr : params.data();
        req.param_count = static_cast<uint32_t>(params.size());
        req.query_params = query.empty() ? nullptr : query.data();
        req.query_count = static_cast<uint32_t>(query.size());
        req.remote_port = r.remote_port;
        req.remote_addr = str(r.remote_addr);
    }
};

Response make_error(int status, std::string_view message) {
    Response r;
    r.status = status;
    r.content_type = "application/json";
    r.body = detail::json_error(message);
    return r;
}

struct Subscription {
    uint64_t id = 0;
    Instance* owner = nullptr;  // alive (current or retired) until its teardown drops this
    oxios_event_fn fn = nullptr;
    void* user = nullptr;
    uint64_t after_seq = 0;  // only events published after subscribing
};

struct Event {
    uint64_t seq;
    std::string json;
};

}  // namespace

// ---------------------------------------------------------------------------
struct MockHost::Impl {
    Impl();
    ~Impl();

    // lifecycle
    std::shared_ptr<Instance> load_instance(const std::string& path);
    void teardown(const std::shared_ptr<Instance>& inst, bool started);
    void load_or_reload(const std::string& path);
    void unload();

    // requests
    struct Prepared {
        Flight flight;
        Target target;
        RouteMatch match;
        std::optional<Response> final;  // answered without the plugin
    };
    Prepared prepare(const Request& r);
    // Runs handle(); returns the response and whether a streaming route admitted.
    Response run_handle(Prepared& p, const Request& r, bool& admitted);
    Response request(const Request& r);
    std::pair<uint64_t, Response> connect(const Request& r, bool ws);
    void open_conn(const std::shared_ptr<Conn>& c, Instance* inst, uint32_t flags);
    std::shared_ptr<Conn> find_conn(uint64_t id) const;
    void close_by_plugin(Instance* inst, uint64_t id, bool ws, uint16_t code);

    // host functions (called through kHostApi)
    void log(Instance* inst, int32_t level, std::string_view message);
    int64_t now_us();
    oxios_status config_get(std::string_view key, std::string& out);
    oxios_status route_add(Instance* inst, const oxios_route* route);
    oxios_status stream_write(Instance* inst, uint64_t stream, uint64_t seq, std::string_view data);
    oxios_status stream_end(Instance* inst, uint64_t stream);
    oxios_status ws_send(uint64_t ws, std::string_view text);
    oxios_status ws_close(Instance* inst, uint64_t ws, uint16_t code);
    oxios_status gateway_submit(const oxios_chat_message* msg);
    oxios_status gateway_call(const oxios_chat_message* msg, uint32_t timeout_ms, oxios_delivery_fn fn, void* user);
    oxios_status session_get(std::string_view id, std::string& out);
    oxios_status session_append(const oxios_exchange* ex);
    oxios_status session_list(uint32_t page, uint32_t limit, std::string& out);
    oxios_status session_delete(std::string_view id);
    oxios_status session_prune(bool force, std::string& out);
    oxios_status events_subscribe(Instance* inst, oxios_event_fn fn, void* user, uint64_t* sub);
    oxios_status events_unsubscribe(uint64_t sub);
    oxios_status events_since(uint64_t after, oxios_event_fn fn, void* user, uint64_t* missed);
    oxios_status events_publish(std::string_view type, std::string_view fields, uint64_t* seq);
    oxios_status token_check(std::string_view token);
    oxios_status call(std::string_view method, std::string_view json_in, std::string& out);

    // gateway internals
    bool copy_message(const oxios_chat_message* msg, ChatMessage& out) const;
    GatewayReply script_reply(const ChatMessage& m);
    void deliver(const std::shared_ptr<ChatMessage>& msg, const GatewayReply& reply, uint32_t kind,
                 const std::string& content, uint64_t duration_ms);

    // events internals
    void event_loop();
    void drop_subscriptions(Instance* owner);

    // ---- state ----
    std::shared_mutex life_mu_;  // load/reload/unload exclusive; connects shared

    mutable std::mutex mu_;  // current_, scripts, records
    std::shared_ptr<Instance> current_;
    std::vector<std::shared_ptr<Instance>> retired_;
    std::function<GatewayReply(const ChatMessage&)> gateway_fn_;
    bool gateway_busy_ = false;
    std::vector<ChatMessage> gateway_messages_;
    std::vector<std::string> tokens_;
    std::optional<int64_t> now_;
    std::map<std::string, CallFn> call_fns_;
    std::vector<std::pair<std::string, std::string>> calls_;
    std::vector<LogLine> logs_;
    bool verbose_ = false;

    mutable std::mutex conn_mu_;
    std::condition_variable conn_cv_;
    std::map<uint64_t, std::shared_ptr<Conn>> conns_;

    mutable std::mutex cfg_mu_;
    rapidjson::Document config_;
    std::atomic<uint64_t> config_gen_{1};

    mutable std::mutex sess_mu_;
    std::map<std::string, rapidjson::Document> sessions_;
    std::optional<int64_t> last_prune_us_;

    std::mutex ev_mu_;
    std::condition_variable ev_cv_;
    std::deque<Event> ring_;
    std::deque<Event> pending_;
    uint64_t last_seq_ = 0;
    uint64_t next_sub_ = 1;
    std::map<uint64_t, Subscription> subs_;
    oxios_status subscribe_status_ = OXIOS_OK;  // under ev_mu_: what events_subscribe answers
    uint64_t running_sub_ = 0;
    bool ev_stop_ = false;
    std::thread ev_thread_;

    std::mutex sleep_mu_;
    std::condition_variable sleep_cv_;
    bool shutting_down_ = false;

    std::filesystem::path temp_dir_;
    Scheduler scheduler_;  // last: its thread may use everything above
};

// ---------------------------------------------------------------------------
// Host functions: C entry points. Each one catches everything.
// ---------------------------------------------------------------------------
namespace {

Instance* inst_of(oxios_host* h) { return reinterpret_cast<Instance*>(h); }
bool usable(Instance* i) { return i != nullptr && i->alive.load(); }

template <typename F>
oxios_status guarded(F&& f) noexcept {
    try {
        return f();
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

void emit(oxios_sink sink, void* user, const std::string& s) {
    if (sink) sink(user, s.data(), s.size());
}

void h_log(oxios_host* host, int32_t level, oxios_str message) {
    try {
        Instance* i = inst_of(host);
        if (!usable(i)) return;
        i->impl->log(i, level, view(message));
    } catch (...) {
    }
}

int64_t h_now_us(oxios_host* host) {
    try {
        Instance* i = inst_of(host);
        if (!usable(i)) return detail::real_now_us();
        return i->impl->now_us();
    } catch (...) {
        return 0;
    }
}

oxios_status h_config_get(oxios_host* host, oxios_str key, oxios_sink sink, void* user) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        std::string out;
        const oxios_status st = i->impl->config_get(view(key), out);
        if (st == OXIOS_OK) emit(sink, user, out);
        return st;
    });
}

uint64_t h_config_generation(oxios_host* host) {
    try {
        Instance* i = inst_of(host);
        if (!usable(i)) return 0;
        return i->impl->config_gen_.load();
    } catch (...) {
        return 0;
    }
}

oxios_status h_route_add(oxios_host* host, const oxios_route* route) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->route_add(i, route);
    });
}

oxios_status h_respond(oxios_response* resp, int32_t status, oxios_str ct, oxios_str body) {
    return guarded([&]() -> oxios_status { return respond_impl(resp, status, view(ct), view(body)); });
}

oxios_status h_response_header(oxios_response* resp, oxios_str name, oxios_str value) {
    return guarded([&]() -> oxios_status { return response_header_impl(resp, view(name), view(value)); });
}

oxios_status h_stream_write(oxios_host* host, uint64_t stream, uint64_t seq, oxios_str data) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->stream_write(i, stream, seq, view(data));
    });
}

oxios_status h_stream_end(oxios_host* host, uint64_t stream) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->stream_end(i, stream);
    });
}

oxios_status h_ws_send(oxios_host* host, uint64_t ws, oxios_str text) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->ws_send(ws, view(text));
    });
}

oxios_status h_ws_close(oxios_host* host, uint64_t ws, uint16_t code, oxios_str /*reason*/) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->ws_close(i, ws, code);
    });
}

oxios_status h_gateway_submit(oxios_host* host, const oxios_chat_message* msg) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->gateway_submit(msg);
    });
}

oxios_status h_gateway_call(oxios_host* host, const oxios_chat_message* msg, uint32_t timeout_ms,
                            oxios_delivery_fn fn, void* user) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->gateway_call(msg, timeout_ms, fn, user);
    });
}

oxios_status h_session_get(oxios_host* host, oxios_str id, oxios_sink sink, void* user) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        std::string out;
        const oxios_status st = i->impl->session_get(view(id), out);
        if (st == OXIOS_OK) emit(sink, user, out);
        return st;
    });
}

oxios_status h_session_append(oxios_host* host, const oxios_exchange* ex) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->session_append(ex);
    });
}

oxios_status h_session_list(oxios_host* host, uint32_t page, uint32_t limit, oxios_sink sink, void* user) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        std::string out;
        const oxios_status st = i->impl->session_list(page, limit, out);
        if (st == OXIOS_OK) emit(sink, user, out);
        return st;
    });
}

oxios_status h_session_delete(oxios_host* host, oxios_str id) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->session_delete(view(id));
    });
}

oxios_status h_session_prune(oxios_host* host, int32_t force, oxios_sink sink, void* user) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        std::string out;
        const oxios_status st = i->impl->session_prune(force != 0, out);
        if (st == OXIOS_OK) emit(sink, user, out);
        return st;
    });
}

oxios_status h_events_subscribe(oxios_host* host, oxios_event_fn fn, void* user, uint64_t* sub) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->events_subscribe(i, fn, user, sub);
    });
}

oxios_status h_events_unsubscribe(oxios_host* host, uint64_t sub) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->events_unsubscribe(sub);
    });
}

oxios_status h_events_since(oxios_host* host, uint64_t after, oxios_event_fn fn, void* user, uint64_t* missed) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->events_since(after, fn, user, missed);
    });
}

oxios_status h_events_publish(oxios_host* host, oxios_str type, oxios_str fields) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->events_publish(view(type), view(fields), nullptr);
    });
}

oxios_status h_token_check(oxios_host* host, oxios_str token) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        return i->impl->token_check(view(token));
    });
}

oxios_status h_call(oxios_host* host, oxios_str method, oxios_str json_in, oxios_sink sink, void* user) {
    return guarded([&]() -> oxios_status {
        Instance* i = inst_of(host);
        if (!usable(i)) return OXIOS_E_CLOSED;
        std::string out;
        const oxios_status st = i->impl->call(view(method), view(json_in), out);
        emit(sink, user, out);
        return st;
    });
}

const oxios_host_api kHostApi = {
    sizeof(oxios_host_api),
    OXIOS_ABI_MAJOR,
    OXIOS_ABI_MINOR,
    0,
    h_log,
    h_now_us,
    h_config_get,
    h_config_generation,
    h_route_add,
    h_respond,
    h_response_header,
    h_stream_write,
    h_stream_end,
    h_ws_send,
    h_ws_close,
    h_gateway_submit,
    h_gateway_call,
    h_session_get,
    h_session_append,
    h_session_list,
    h_session_delete,
    h_session_prune,
    h_events_subscribe,
    h_events_unsubscribe,
    h_events_since,
    h_events_publish,
    h_token_check,
    h_call,
};

}  // namespace

// ---------------------------------------------------------------------------
// Impl: construction
// ---------------------------------------------------------------------------
MockHost::Impl::Impl() {
    config_.SetObject();
    verbose_ = std::getenv("OXIOS_HARNESS_VERBOSE") != nullptr;
    temp_dir_ = std::filesystem::temp_directory_path() /
                ("oxios-harness-" + std::to_string(::getpid()) + "-" + detail::uuid_v4().substr(0, 8));
    ev_thread_ = std::thread([this] { event_loop(); });
}

MockHost::Impl::~Impl() {
    {
        std::lock_guard<std::mutex> lock(sleep_mu_);
        shutting_down_ = true;
    }
    sleep_cv_.notify_all();
    scheduler_.shutdown();
    {
        std::lock_guard<std::mutex> lock(ev_mu_);
        ev_stop_ = true;
    }
    ev_cv_.notify_all();
    if (ev_thread_.joinable()) ev_thread_.join();
    std::error_code ec;
    std::filesystem::remove_all(temp_dir_, ec);
}

// ---------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------
std::shared_ptr<Instance> MockHost::Impl::load_instance(const std::string& path) {
    auto inst = std::make_shared<Instance>();
    inst->impl = this;
    inst->serial = g_next_instance.fetch_add(1);
    inst->source_path = path;
    const std::string what = "cannot load plugin '" + path + "': ";

    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw std::runtime_error(what + (std::filesystem::exists(path, ec) ? "not a regular file" : "file not found"));

    // A private, uniquely named copy: the original may be overwritten in place
    // while this one is mapped, and a new inode defeats dlopen's path cache.
    std::filesystem::create_directories(temp_dir_, ec);
    const auto stem = std::filesystem::path(path).stem().string();
    const auto copy = temp_dir_ / (stem + "-" + std::to_string(inst->serial) + "-" +
                                   detail::uuid_v4().substr(0, 8) + ".so");
    if (!std::filesystem::copy_file(path, copy, std::filesystem::copy_options::overwrite_existing, ec))
        throw std::runtime_error(what + "cannot copy to " + copy.string() + ": " + ec.message());
    inst->copy_path = copy.string();

    auto fail = [&](const std::string& why) -> std::runtime_error {
        try {
            if (inst->lib.is_loaded()) inst->lib.unload();
        } catch (...) {
        }
        std::error_code rm;
        std::filesystem::remove(inst->copy_path, rm);
        log(nullptr, OXIOS_LOG_ERROR, what + why);
        return std::runtime_error(what + why);
    };

    try {
        inst->lib.load(boost::dll::fs::path(inst->copy_path),
                       boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const std::exception& e) {
        throw fail(std::string("dlopen failed (not a loadable shared object?): ") + e.what());
    }
    // The host's checks, in its order and words (oxios/rules/descriptor.hpp).
    if (!inst->lib.has(OXIOS_PLUGIN_ENTRY_SYMBOL)) throw fail(rules::no_entry_reason());
    const oxios_plugin_descriptor* d = nullptr;
    std::string threw;
    try {
        auto& entry = inst->lib.get<const oxios_plugin_descriptor*()>(OXIOS_PLUGIN_ENTRY_SYMBOL);
        d = entry();
    } catch (const std::exception& e) {
        threw = e.what();
    } catch (...) {
        threw = "unknown exception";
    }
    if (!threw.empty()) throw fail(rules::step_failure("entry", OXIOS_OK, threw));
    if (auto v = rules::check_descriptor(d); !v.ok()) throw fail(v.reason);
    const oxios_plugin_api* api = d->api;
    inst->name.assign(view(d->name));
    inst->version.assign(view(d->version));
    inst->api = api;

    // create
    inst->alive = true;
    oxios_status st = OXIOS_E_INTERNAL;
    try {
        st = api->create(&kHostApi, inst->host(), &inst->self);
    } catch (const std::exception& e) {
        threw = e.what();
    } catch (...) {
        threw = "unknown exception";
    }
    if (!threw.empty() || st != OXIOS_OK) {
        inst->alive = false;
        drop_subscriptions(inst.get());
        {
            std::lock_guard<std::mutex> lock(mu_);
            retired_.push_back(inst);
        }
        throw fail(rules::step_failure("create", st, threw));
    }

    // start
    inst->in_start = true;
    threw.clear();
    try {
        st = api->start(inst->self);
    } catch (const std::exception& e) {
        threw = e.what();
    } catch (...) {
        threw = "unknown exception";
    }
    inst->in_start = false;
    std::string route_error;
    {
        std::lock_guard<std::mutex> lock(inst->route_mu);
        route_error = inst->route_error;
    }
    if (!threw.empty() || st != OXIOS_OK || !route_error.empty()) {
        const bool started = threw.empty() && st == OXIOS_OK;
        teardown(inst, started);
        const std::string why = rules::step_failure("start", st, threw, route_error);
        log(nullptr, OXIOS_LOG_ERROR, what + why);
        throw std::runtime_error(what + why);
    }
    return inst;
}

// Stops (if started), destroys and unloads an instance that is no longer
// current and holds no connection. Keeps the emptied Instance for stray calls.
void MockHost::Impl::teardown(const std::shared_ptr<Instance>& inst, bool started) {
    bool drained = inst->drain(kDrainDeadline);
    if (started && drained) {
        try {
            const oxios_status st = inst->api->stop(inst->self);
            if (st != OXIOS_OK)
                log(nullptr, OXIOS_LOG_WARN, "plugin stop returned " + std::string(detail::status_name(st)));
        } catch (...) {
            log(nullptr, OXIOS_LOG_WARN, "plugin stop threw");
        }
    }
    {
        std::lock_guard<std::mutex> lock(inst->mu);
        inst->accepting = false;
    }
    drop_subscriptions(inst.get());
    drained = drained && inst->drain(kDrainDeadline);
    if (!drained) {
        // Calls still running inside: unloading would pull the code from under
        // them. Leak the instance rather than crash, and say so.
        log(nullptr, OXIOS_LOG_ERROR,
            "plugin '" + inst->name + "' did not drain within its deadline; left loaded");
        std::lock_guard<std::mutex> lock(mu_);
        retired_.push_back(inst);
        return;
    }
    try {
        inst->api->destroy(inst->self);
    } catch (...) {
        log(nullptr, OXIOS_LOG_WARN, "plugin destroy threw");
    }
    inst->alive = false;
    inst->self = nullptr;
    inst->router.clear();
    inst->api = nullptr;
    try {
        inst->lib.unload();
    } catch (...) {
    }
    std::error_code ec;
    std::filesystem::remove(inst->copy_path, ec);
    std::lock_guard<std::mutex> lock(mu_);
    retired_.push_back(inst);
}

void MockHost::Impl::load_or_reload(const std::string& path) {
    std::unique_lock<std::shared_mutex> life(life_mu_);
    std::shared_ptr<Instance> old;
    {
        std::lock_guard<std::mutex> lock(mu_);
        old = current_;
    }
    auto neu = load_instance(path);  // throws: the old one keeps serving
    if (old) {
        // Hand-over state.
        std::string blob;
        bool exported = false;
        if (old->api->export_state) {
            try {
                const oxios_status st = old->api->export_state(
                    old->self, [](void* u, const char* p, size_t n) { static_cast<std::string*>(u)->append(p, n); },
                    &blob);
                exported = st == OXIOS_OK;
                if (!exported)
                    log(nullptr, OXIOS_LOG_WARN, std::string("export_state returned ") + detail::status_name(st));
            } catch (...) {
                log(nullptr, OXIOS_LOG_WARN, "export_state threw");
            }
        }
        if (exported && neu->api->import_state) {
            oxios_status st = OXIOS_E_INTERNAL;
            try {
                st = neu->api->import_state(neu->self, blob.data(), blob.size());
            } catch (...) {
            }
            if (st != OXIOS_OK) {
                teardown(neu, true);
                const std::string why = "cannot reload plugin '" + path + "': import_state failed: " +
                                        detail::status_name(st);
                log(nullptr, OXIOS_LOG_ERROR, why);
                throw std::runtime_error(why);
            }
        }
    }
    {
        std::lock_guard<std::mutex> lock(mu_);
        current_ = neu;
    }
    if (!old) return;

    // Re-attach every live connection held by the old instance.
    std::vector<std::shared_ptr<Conn>> conns;
    {
        std::lock_guard<std::mutex> lock(conn_mu_);
        for (auto& [id, c] : conns_)
            if (c->open && c->holder == old) conns.push_back(c);
    }
    for (const auto& c : conns) {
        std::lock_guard<std::mutex> serial(c->serial);
        RouteMatch m;
        const auto res = neu->router.match(c->req.method, c->target.segments, m);
        const uint32_t want = c->ws ? OXIOS_ROUTE_WEBSOCKET : OXIOS_ROUTE_SSE;
        bool moved = false;
        {
            std::lock_guard<std::mutex> lock(conn_mu_);
            if (!c->open) continue;
            if (res == Router::Result::Found && m.route->kind == want) {
                c->holder = neu;
                c->route = m.route;
                c->params = m.params;
                moved = true;
            } else {
                // The new plugin no longer serves this route.
                c->open = false;
                c->close_code = 1012;
            }
        }
        conn_cv_.notify_all();
        if (moved) open_conn(c, neu.get(), OXIOS_OPEN_RESUMED);
        Flight f(old);
        if (f) {
            const uint32_t reason = moved ? OXIOS_CLOSE_DETACHED : OXIOS_CLOSE_SHUTDOWN;
            try {
                if (c->ws && old->api->ws_close)
                    old->api->ws_close(old->self, c->id, moved ? 0 : 1012, reason);
                else if (!c->ws && old->api->stream_close)
                    old->api->stream_close(old->self, c->id, reason);
            } catch (...) {
            }
        }
    }
    teardown(old, true);
}

void MockHost::Impl::unload() {
    std::unique_lock<std::shared_mutex> life(life_mu_);
    std::shared_ptr<Instance> old;
    {
        std::lock_guard<std::mutex> lock(mu_);
        old.swap(current_);
    }
    if (!old) return;
    std::vector<std::shared_ptr<Conn>> conns;
    {
        std::lock_guard<std::mutex> lock(conn_mu_);
        for (auto& [id, c] : conns_)
            if (c->open) conns.push_back(c);
    }
    for (const auto& c : conns) {
        std::lock_guard<std::mutex> serial(c->serial);
        std::shared_ptr<Instance> holder;
        {
            std::lock_guard<std::mutex> lock(conn_mu_);
            if (!c->open) continue;
            c->open = false;
            c->close_code = c->ws ? 1001 : 0;
            holder = c->holder;
        }
        conn_cv_.notify_all();
        Flight f(holder);
        if (!f) continue;
        try {
            if (c->ws && f->api->ws_close)
                f->api->ws_close(f->self, c->id, 1001, OXIOS_CLOSE_SHUTDOWN);
            else if (!c->ws && f->api->stream_close)
                f->api->stream_close(f->self, c->id, OXIOS_CLOSE_SHUTDOWN);
        } catch (...) {
        }
    }
    teardown(old, true);
}

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
        case Router::Result::Found: break;
        case Router::Result::NotFound: p.final = make_error(404, "not found"); break;
        case Router::Result::MethodNotAllowed: p.final = make_error(405, "method not allowed"); break;
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
// Host functions: logging, time, config, routes
// ---------------------------------------------------------------------------
void MockHost::Impl::log(Instance* inst, int32_t level, std::string_view message) {
    bool verbose;
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (inst) logs_.push_back(LogLine{level, std::string(message)});
        verbose = verbose_;
    }
    if (verbose) {
        static const char* names[] = {"debug", "info", "warn", "error"};
        const char* lv = (level >= 0 && level <= 3) ? names[level] : "log";
        std::fprintf(stderr, "[oxios-harness] %s %s: %.*s\n", inst ? inst->name.c_str() : "(host)", lv,
                     static_cast<int>(message.size()), message.data());
    }
}

int64_t MockHost::Impl::now_us() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (now_) return *now_;
    }
    return detail::real_now_us();
}

oxios_status MockHost::Impl::config_get(std::string_view key, std::string& out) {
    std::vector<std::string_view> parts;
    if (!key.empty()) {
        std::string_view rest = key;
        for (;;) {
            const auto dot = rest.find('.');
            parts.push_back(rest.substr(0, dot));
            if (dot == std::string_view::npos) break;
            rest = rest.substr(dot + 1);
        }
    }
    // engine.api_key never leaves the host.
    if (parts.size() >= 2 && parts[0] == "engine" && parts[1] == "api_key") return OXIOS_E_NOT_FOUND;
    std::lock_guard<std::mutex> lock(cfg_mu_);
    const rapidjson::Value* v = &config_;
    for (auto part : parts) {
        if (!v->IsObject()) return OXIOS_E_NOT_FOUND;
        // A Value, not a StringRef: FindMember(StringRef) would decay to
        // const char* and take strlen, reading past this part of the key.
        const rapidjson::Value name(rapidjson::StringRef(part.empty() ? "" : part.data(), part.size()));
        auto it = v->FindMember(name);
        if (it == v->MemberEnd()) return OXIOS_E_NOT_FOUND;
        v = &it->value;
    }
    rapidjson::Document copy;
    copy.CopyFrom(*v, copy.GetAllocator());
    rapidjson::Value* engine = nullptr;
    if (parts.empty() && copy.IsObject() && copy.HasMember("engine")) engine = &copy["engine"];
    if (parts.size() == 1 && parts[0] == "engine") engine = &copy;
    if (engine && engine->IsObject()) engine->RemoveMember("api_key");
    out = to_json(copy);
    return OXIOS_OK;
}

oxios_status MockHost::Impl::route_add(Instance* inst, const oxios_route* route) {
    if (!inst->in_start.load()) return OXIOS_E_INVALID;  // only during start()
    std::string why;
    std::lock_guard<std::mutex> lock(inst->route_mu);
    const oxios_status st = inst->router.add(route, &why);
    // A refused route fails the start even if the plugin ignores the status.
    if (st != OXIOS_OK && inst->route_error.empty()) inst->route_error = why;
    return st;
}

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
// Host functions: gateway
// ---------------------------------------------------------------------------
bool MockHost::Impl::copy_message(const oxios_chat_message* msg, ChatMessage& out) const {
    if (!msg || msg->size < offsetof(oxios_chat_message, space_id) + sizeof(oxios_str)) return false;
    out.id.assign(view(msg->id));
    out.content.assign(view(msg->content));
    out.user_id.assign(view(msg->user_id));
    out.session_id.assign(view(msg->session_id));
    out.space_id.assign(view(msg->space_id));
    out.connection = OXIOS_HAS(msg, oxios_chat_message, connection) ? msg->connection : 0;
    return true;
}

GatewayReply MockHost::Impl::script_reply(const ChatMessage& m) {
    std::function<GatewayReply(const ChatMessage&)> fn;
    {
        std::lock_guard<std::mutex> lock(mu_);
        fn = gateway_fn_;
    }
    GatewayReply r;
    if (fn) {
        try {
            r = fn(m);
        } catch (const std::exception& e) {
            r = GatewayReply{};
            r.error = OXIOS_E_INTERNAL;
            r.error_text = std::string("gateway script threw: ") + e.what();
        }
    }
    if (r.content.empty() && r.error == OXIOS_OK) r.content = "echo: " + m.content;
    if (r.session_id.empty()) r.session_id = m.session_id.empty() ? detail::uuid_v4() : m.session_id;
    if (r.space_id.empty()) r.space_id = m.space_id;
    return r;
}

namespace {
oxios_chat_message abi_message(const ChatMessage& m) {
    oxios_chat_message c{};
    c.size = sizeof(oxios_chat_message);
    c.id = str(m.id);
    c.content = str(m.content);
    c.user_id = str(m.user_id);
    c.session_id = str(m.session_id);
    c.space_id = str(m.space_id);
    c.connection = m.connection;
    return c;
}

oxios_delivery abi_delivery(const oxios_chat_message* msg, const GatewayReply& r, uint32_t kind,
                            const std::string& content, uint64_t duration_ms) {
    oxios_delivery d{};
    d.size = sizeof(oxios_delivery);
    d.kind = kind;
    d.message = msg;
    d.content = str(content);
    d.session_id = str(r.session_id);
    d.space_id = str(r.space_id);
    d.phase = str(r.phase);
    d.seed_id = str(r.seed_id);
    d.space_tag = str(r.space_tag);
    d.evaluation_passed = r.evaluation_passed;
    d.error = kind == OXIOS_DELIVERY_ERROR ? r.error : OXIOS_OK;
    d.duration_ms = duration_ms;
    d.prompt_tokens = -1;
    d.completion_tokens = -1;
    return d;
}
}  // namespace

void MockHost::Impl::deliver(const std::shared_ptr<ChatMessage>& msg, const GatewayReply& reply, uint32_t kind,
                             const std::string& content, uint64_t duration_ms) {
    Flight f;
    {
        std::lock_guard<std::mutex> lock(mu_);
        f = Flight(current_);  // whichever instance is current now
    }
    if (!f) {
        log(nullptr, OXIOS_LOG_WARN, "gateway delivery for message '" + msg->id + "' dropped: no plugin loaded");
        return;
    }
    if (!f->api->deliver) return;
    const oxios_chat_message m = abi_message(*msg);
    const oxios_delivery d = abi_delivery(&m, reply, kind, content, duration_ms);
    try {
        f->api->deliver(f->self, &d);
    } catch (...) {
        log(f.get().get(), OXIOS_LOG_ERROR, "deliver threw across the ABI");
    }
}

oxios_status MockHost::Impl::gateway_submit(const oxios_chat_message* msg) {
    auto m = std::make_shared<ChatMessage>();
    if (!copy_message(msg, *m)) return OXIOS_E_INVALID;
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (gateway_busy_) return OXIOS_E_BUSY;
        gateway_messages_.push_back(*m);
    }
    auto reply = std::make_shared<const GatewayReply>(script_reply(*m));
    if (reply->never) return OXIOS_OK;
    const auto now = Clock::now();
    for (const auto& t : reply->tokens)
        scheduler_.post_at(now, [this, m, reply, t] { deliver(m, *reply, OXIOS_DELIVERY_TOKEN, t, 0); });
    const auto ms = static_cast<uint64_t>(reply->delay.count());
    scheduler_.post_at(now + reply->delay, [this, m, reply, ms] {
        if (reply->error != OXIOS_OK)
            deliver(m, *reply, OXIOS_DELIVERY_ERROR, reply->error_text, ms);
        else
            deliver(m, *reply, OXIOS_DELIVERY_REPLY, reply->content, ms);
    });
    return OXIOS_OK;
}

oxios_status MockHost::Impl::gateway_call(const oxios_chat_message* msg, uint32_t timeout_ms, oxios_delivery_fn fn,
                                          void* user) {
    ChatMessage m;
    if (!copy_message(msg, m)) return OXIOS_E_INVALID;
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (gateway_busy_) return OXIOS_E_BUSY;
        gateway_messages_.push_back(m);
    }
    if (timeout_ms == 0) {
        int64_t secs = 120;
        std::string v;
        if (config_get("gateway.reply_timeout_secs", v) == OXIOS_OK) {
            rapidjson::Document d;
            d.Parse(v.c_str());
            if (!d.HasParseError() && d.IsNumber() && d.GetDouble() > 0) secs = static_cast<int64_t>(d.GetDouble());
        }
        timeout_ms = static_cast<uint32_t>(std::min<int64_t>(secs * 1000, UINT32_MAX));
    }
    const GatewayReply reply = script_reply(m);
    const auto timeout = std::chrono::milliseconds(timeout_ms);
    const bool times_out = reply.never || reply.delay > timeout;
    {
        std::unique_lock<std::mutex> lock(sleep_mu_);
        sleep_cv_.wait_for(lock, times_out ? timeout : reply.delay, [&] { return shutting_down_; });
        if (shutting_down_ && !times_out) return OXIOS_E_TIMEOUT;
    }
    if (times_out) return OXIOS_E_TIMEOUT;
    const oxios_chat_message am = abi_message(m);
    const bool failed = reply.error != OXIOS_OK;
    const std::string& content = failed ? reply.error_text : reply.content;
    const oxios_delivery d = abi_delivery(&am, reply, failed ? OXIOS_DELIVERY_ERROR : OXIOS_DELIVERY_REPLY, content,
                                          static_cast<uint64_t>(reply.delay.count()));
    if (fn) fn(user, &d);
    return failed ? reply.error : OXIOS_OK;
}

// ---------------------------------------------------------------------------
// Host functions: session store (API.md "Session file")
// ---------------------------------------------------------------------------
namespace {
std::string member_string(const rapidjson::Value& o, const char* name) {
    if (!o.IsObject()) return {};
    auto it = o.FindMember(name);
    if (it == o.MemberEnd() || !it->value.IsString()) return {};
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

// metadata.space_id as a JSON value (null when absent).
rapidjson::Value space_of(const rapidjson::Value& session, rapidjson::Document::AllocatorType& a) {
    if (session.IsObject()) {
        auto md = session.FindMember("metadata");
        if (md != session.MemberEnd() && md->value.IsObject()) {
            auto sp = md->value.FindMember("space_id");
            if (sp != md->value.MemberEnd()) return rapidjson::Value(sp->value, a);
        }
    }
    return rapidjson::Value(rapidjson::kNullType);
}
}  // namespace

oxios_status MockHost::Impl::session_get(std::string_view id, std::string& out) {
    if (!detail::valid_session_id(id)) return OXIOS_E_INVALID;
    std::lock_guard<std::mutex> lock(sess_mu_);
    auto it = sessions_.find(std::string(id));
    if (it == sessions_.end()) return OXIOS_E_NOT_FOUND;
    rapidjson::Document d;
    d.CopyFrom(it->second, d.GetAllocator());
    if (d.IsObject()) {
        rapidjson::Value sp = space_of(d, d.GetAllocator());
        d.RemoveMember("space_id");
        d.AddMember("space_id", sp, d.GetAllocator());
    }
    out = to_json(d);
    return OXIOS_OK;
}

oxios_status MockHost::Impl::session_append(const oxios_exchange* ex) {
    if (!ex || ex->size < offsetof(oxios_exchange, reply_time_us) + sizeof(int64_t)) return OXIOS_E_INVALID;
    const std::string id(view(ex->session_id));
    if (!detail::valid_session_id(id)) return OXIOS_E_INVALID;
    const int64_t now = now_us();
    const std::string user_ts = detail::rfc3339_us(ex->user_time_us ? ex->user_time_us : now);
    const std::string reply_ts = detail::rfc3339_us(ex->reply_time_us ? ex->reply_time_us : now);

    std::lock_guard<std::mutex> lock(sess_mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
        rapidjson::Document d;
        auto& a = d.GetAllocator();
        d.SetObject();
        d.AddMember("id", jstr(id, a), a);
        const std::string_view user = view(ex->user_id);
        d.AddMember("user_id", jstr(user.empty() ? std::string_view("default") : user, a), a);
        d.AddMember("user_messages", rapidjson::Value(rapidjson::kArrayType), a);
        d.AddMember("agent_responses", rapidjson::Value(rapidjson::kArrayType), a);
        d.AddMember("created_at", jstr(user_ts, a), a);
        d.AddMember("updated_at", jstr(user_ts, a), a);
        d.AddMember("active_seed_id", rapidjson::Value(rapidjson::kNullType), a);
        d.AddMember("metadata", rapidjson::Value(rapidjson::kObjectType), a);
        it = sessions_.emplace(id, std::move(d)).first;
    }
    rapidjson::Document& d = it->second;
    auto& a = d.GetAllocator();
    if (!d.IsObject()) d.SetObject();
    auto ensure_array = [&](const char* name) -> rapidjson::Value& {
        auto m = d.FindMember(name);
        if (m == d.MemberEnd()) {
            d.AddMember(rapidjson::StringRef(name), rapidjson::Value(rapidjson::kArrayType), a);
            m = d.FindMember(name);
        }
        if (!m->value.IsArray()) m->value.SetArray();
        return m->value;
    };
    rapidjson::Value um(rapidjson::kObjectType);
    um.AddMember("content", jstr(view(ex->user_content), a), a);
    um.AddMember("timestamp", jstr(user_ts, a), a);
    ensure_array("user_messages").PushBack(um, a);

    rapidjson::Value ar(rapidjson::kObjectType);
    ar.AddMember("content", jstr(view(ex->reply_content), a), a);
    ar.AddMember("session_id", jstr(id, a), a);
    ar.AddMember("seed_id", jstr_or_null(view(ex->seed_id), a), a);
    ar.AddMember("phase_reached", jstr_or_null(view(ex->phase), a), a);
    rapidjson::Value passed;
    if (ex->evaluation_passed == 1)
        passed.SetBool(true);
    else if (ex->evaluation_passed == 0)
        passed.SetBool(false);
    ar.AddMember("evaluation_passed", passed, a);
    ar.AddMember("timestamp", jstr(reply_ts, a), a);
    ensure_array("agent_responses").PushBack(ar, a);

    if (auto m = d.FindMember("updated_at"); m != d.MemberEnd())
        m->value = jstr(reply_ts, a);
    else
        d.AddMember("updated_at", jstr(reply_ts, a), a);
    if (!view(ex->seed_id).empty()) {
        if (auto m = d.FindMember("active_seed_id"); m != d.MemberEnd())
            m->value = jstr(view(ex->seed_id), a);
        else
            d.AddMember("active_seed_id", jstr(view(ex->seed_id), a), a);
    }
    if (!view(ex->space_id).empty()) {
        auto md = d.FindMember("metadata");
        if (md == d.MemberEnd()) {
            d.AddMember("metadata", rapidjson::Value(rapidjson::kObjectType), a);
            md = d.FindMember("metadata");
        }
        if (!md->value.IsObject()) md->value.SetObject();
        md->value.RemoveMember("space_id");
        md->value.AddMember("space_id", jstr(view(ex->space_id), a), a);
    }
    return OXIOS_OK;
}

oxios_status MockHost::Impl::session_list(uint32_t page, uint32_t limit, std::string& out) {
    if (page == 0) page = 1;
    rapidjson::Document d;
    auto& a = d.GetAllocator();
    d.SetObject();
    rapidjson::Value items(rapidjson::kArrayType);
    std::lock_guard<std::mutex> lock(sess_mu_);
    std::vector<std::pair<std::string, const std::string*>> order;  // (updated_at, id)
    order.reserve(sessions_.size());
    for (const auto& [id, s] : sessions_) order.emplace_back(member_string(s, "updated_at"), &id);
    std::sort(order.begin(), order.end(), [](const auto& x, const auto& y) {
        if (x.first != y.first) return x.first > y.first;
        return *x.second < *y.second;
    });
    const uint64_t start = static_cast<uint64_t>(page - 1) * limit;
    for (uint64_t i = start; i < order.size() && i < start + limit; ++i) {
        const rapidjson::Value& s = sessions_.at(*order[i].second);
        rapidjson::Value item(rapidjson::kObjectType);
        item.AddMember("id", jstr(*order[i].second, a), a);
        const std::string user = member_string(s, "user_id");
        item.AddMember("user_id", jstr(user.empty() ? std::string("default") : user, a), a);
        item.AddMember("space_id", space_of(s, a), a);
        uint64_t count = 0;
        if (s.IsObject())
            if (auto m = s.FindMember("user_messages"); m != s.MemberEnd() && m->value.IsArray())
                count = m->value.Size();
        item.AddMember("message_count", count, a);
        rapidjson::Value seed(rapidjson::kNullType);
        if (s.IsObject())
            if (auto m = s.FindMember("active_seed_id"); m != s.MemberEnd()) seed.CopyFrom(m->value, a);
        item.AddMember("active_seed_id", seed, a);
        item.AddMember("created_at", jstr(member_string(s, "created_at"), a), a);
        item.AddMember("updated_at", jstr(order[i].first, a), a);
        items.PushBack(item, a);
    }
    d.AddMember("items", items, a);
    d.AddMember("total", static_cast<uint64_t>(sessions_.size()), a);
    out = to_json(d);
    return OXIOS_OK;
}

oxios_status MockHost::Impl::session_delete(std::string_view id) {
    if (!detail::valid_session_id(id)) return OXIOS_E_INVALID;
    std::lock_guard<std::mutex> lock(sess_mu_);
    return sessions_.erase(std::string(id)) ? OXIOS_OK : OXIOS_E_NOT_FOUND;
}

oxios_status MockHost::Impl::session_prune(bool force, std::string& out) {
    auto config_int = [&](const char* key, int64_t def) {
        std::string v;
        if (config_get(key, v) != OXIOS_OK) return def;
        rapidjson::Document d;
        d.Parse(v.c_str());
        return (!d.HasParseError() && d.IsInt64() && d.GetInt64() >= 0) ? d.GetInt64() : def;
    };
    const int64_t max_sessions = config_int("session.max_sessions", 100);
    const int64_t ttl_hours = config_int("session.ttl_hours", 168);
    const int64_t now = now_us();
    uint64_t count = 0;
    {
        std::lock_guard<std::mutex> lock(sess_mu_);
        const bool due = force || !last_prune_us_ || now - *last_prune_us_ >= int64_t{3600} * 1000000;
        if (due) {
            last_prune_us_ = now;
            // In memory the harness prunes by count only: keep the newest
            // max_sessions (0 disables).
            if (max_sessions > 0 && sessions_.size() > static_cast<size_t>(max_sessions)) {
                std::vector<std::pair<std::string, std::string>> order;  // (updated_at, id)
                for (const auto& [id, s] : sessions_) order.emplace_back(member_string(s, "updated_at"), id);
                std::sort(order.begin(), order.end(), [](const auto& x, const auto& y) {
                    if (x.first != y.first) return x.first > y.first;
                    return x.second < y.second;
                });
                for (size_t i = static_cast<size_t>(max_sessions); i < order.size(); ++i) {
                    sessions_.erase(order[i].second);
                    ++count;
                }
            }
        }
    }
    rapidjson::Document d;
    auto& a = d.GetAllocator();
    d.SetObject();
    d.AddMember("count", count, a);
    rapidjson::Value cfg(rapidjson::kObjectType);
    cfg.AddMember("max_sessions", max_sessions, a);
    cfg.AddMember("ttl_hours", ttl_hours, a);
    d.AddMember("config", cfg, a);
    out = to_json(d);
    return OXIOS_OK;
}

// ---------------------------------------------------------------------------
// Host functions: event bus
// ---------------------------------------------------------------------------
oxios_status MockHost::Impl::events_subscribe(Instance* inst, oxios_event_fn fn, void* user, uint64_t* sub) {
    if (!fn) return OXIOS_E_INVALID;
    std::lock_guard<std::mutex> lock(ev_mu_);
    if (subscribe_status_ != OXIOS_OK) return subscribe_status_;
    Subscription s;
    s.id = next_sub_++;
    s.owner = inst;
    s.fn = fn;
    s.user = user;
    s.after_seq = last_seq_;
    subs_.emplace(s.id, s);
    if (sub) *sub = s.id;
    return OXIOS_OK;
}

oxios_status MockHost::Impl::events_unsubscribe(uint64_t sub) {
    std::unique_lock<std::mutex> lock(ev_mu_);
    if (subs_.erase(sub) == 0) return OXIOS_E_NOT_FOUND;
    const bool on_dispatcher = std::this_thread::get_id() == ev_thread_.get_id();
    if (!on_dispatcher) ev_cv_.wait(lock, [&] { return running_sub_ != sub; });
    return OXIOS_OK;
}

void MockHost::Impl::drop_subscriptions(Instance* owner) {
    std::unique_lock<std::mutex> lock(ev_mu_);
    for (auto it = subs_.begin(); it != subs_.end();) {
        if (it->second.owner == owner) {
            const uint64_t id = it->first;
            it = subs_.erase(it);
            if (std::this_thread::get_id() != ev_thread_.get_id())
                ev_cv_.wait(lock, [&] { return running_sub_ != id; });
            it = subs_.begin();
        } else {
            ++it;
        }
    }
}

oxios_status MockHost::Impl::events_since(uint64_t after, oxios_event_fn fn, void* user, uint64_t* missed) {
    std::vector<Event> copy;
    uint64_t lost = 0;
    {
        std::lock_guard<std::mutex> lock(ev_mu_);
        if (!ring_.empty() && ring_.front().seq > after + 1) lost = ring_.front().seq - after - 1;
        for (const auto& e : ring_)
            if (e.seq > after) copy.push_back(e);
    }
    if (missed) *missed = lost;
    if (fn)
        for (const auto& e : copy) fn(user, e.seq, e.json.data(), e.json.size());
    return OXIOS_OK;
}

oxios_status MockHost::Impl::events_publish(std::string_view type, std::string_view fields, uint64_t* seq_out) {
    if (type.empty()) return OXIOS_E_INVALID;
    rapidjson::Document f;
    if (!fields.empty()) {
        f.Parse(fields.data(), fields.size());
        if (f.HasParseError() || !f.IsObject()) return OXIOS_E_INVALID;
    } else {
        f.SetObject();
    }
    rapidjson::Document d;
    auto& a = d.GetAllocator();
    d.SetObject();
    d.AddMember("id", jstr(detail::uuid_v4(), a), a);
    d.AddMember("timestamp", jstr(detail::rfc3339_us(now_us()), a), a);
    d.AddMember("type", jstr(type, a), a);
    for (auto& m : f.GetObject()) {
        const std::string_view n(m.name.GetString(), m.name.GetStringLength());
        if (n == "id" || n == "timestamp" || n == "type") continue;
        d.AddMember(rapidjson::Value(m.name, a), rapidjson::Value(m.value, a), a);
    }
    std::string json = to_json(d);
    {
        std::lock_guard<std::mutex> lock(ev_mu_);
        const uint64_t seq = ++last_seq_;
        ring_.push_back(Event{seq, json});
        while (ring_.size() > kEventRing) ring_.pop_front();
        pending_.push_back(Event{seq, std::move(json)});
        if (seq_out) *seq_out = seq;
    }
    ev_cv_.notify_all();
    return OXIOS_OK;
}

void MockHost::Impl::event_loop() {
    std::unique_lock<std::mutex> lock(ev_mu_);
    for (;;) {
        ev_cv_.wait(lock, [&] { return ev_stop_ || !pending_.empty(); });
        if (ev_stop_) return;
        const Event e = std::move(pending_.front());
        pending_.pop_front();
        // Subscribers in id order; each one sees events one at a time, in seq order.
        uint64_t after_id = 0;
        for (;;) {
            auto it = subs_.upper_bound(after_id);
            while (it != subs_.end() && it->second.after_seq >= e.seq) ++it;
            if (it == subs_.end()) break;
            const Subscription s = it->second;
            after_id = s.id;
            Instance* owner = s.owner;
            if (!owner || !owner->enter()) continue;
            running_sub_ = s.id;
            lock.unlock();
            try {
                s.fn(s.user, e.seq, e.json.data(), e.json.size());
            } catch (...) {
            }
            owner->leave();
            lock.lock();
            running_sub_ = 0;
            ev_cv_.notify_all();
        }
    }
}

// ---------------------------------------------------------------------------
// Host functions: security, long tail
// ---------------------------------------------------------------------------
oxios_status MockHost::Impl::token_check(std::string_view token) {
    std::vector<std::string> tokens;
    {
        std::lock_guard<std::mutex> lock(mu_);
        tokens = tokens_;
    }
    bool ok = false;
    for (const auto& t : tokens) {
        const bool eq = !t.empty() && detail::constant_time_equal(t, token);
        ok = ok || eq;  // no early exit: every configured token is compared
    }
    return (ok && !token.empty()) ? OXIOS_OK : OXIOS_E_DENIED;
}

oxios_status MockHost::Impl::call(std::string_view method, std::string_view json_in, std::string& out) {
    CallFn fn;
    {
        std::lock_guard<std::mutex> lock(mu_);
        calls_.emplace_back(std::string(method), std::string(json_in));
        if (auto it = call_fns_.find(std::string(method)); it != call_fns_.end()) fn = it->second;
    }
    if (!fn) {
        out = detail::json_error("unsupported method: " + std::string(method));
        return OXIOS_E_UNSUPPORTED;
    }
    try {
        auto [st, json] = fn(std::string(json_in));
        out = std::move(json);
        return st;
    } catch (const std::exception& e) {
        out = detail::json_error(e.what());
        return OXIOS_E_INTERNAL;
    }
}

// ---------------------------------------------------------------------------
// Public interface
// ---------------------------------------------------------------------------
std::string Response::header(const std::string& name) const {
    for (const auto& [n, v] : headers)
        if (detail::iequals(n, name)) return v;
    return {};
}

MockHost::MockHost() : impl_(std::make_unique<Impl>()) {}

MockHost::~MockHost() {
    try {
        impl_->unload();
    } catch (...) {
    }
}

void MockHost::load(const std::string& so_path) { impl_->load_or_reload(so_path); }
void MockHost::reload(const std::string& so_path) { impl_->load_or_reload(so_path); }
void MockHost::unload() { impl_->unload(); }

bool MockHost::loaded() const {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    return impl_->current_ != nullptr;
}

std::string MockHost::plugin_name() const {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    return impl_->current_ ? impl_->current_->name : std::string();
}

std::string MockHost::plugin_version() const {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    return impl_->current_ ? impl_->current_->version : std::string();
}

std::string MockHost::plugin_copy_path() const {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    return impl_->current_ ? impl_->current_->copy_path : std::string();
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

void MockHost::set_config(const std::string& json) {
    rapidjson::Document d;
    d.Parse(json.c_str(), json.size());
    if (d.HasParseError() || !d.IsObject()) throw std::invalid_argument("set_config: not a JSON object");
    {
        std::lock_guard<std::mutex> lock(impl_->cfg_mu_);
        impl_->config_.Swap(d);
    }
    impl_->config_gen_.fetch_add(1);
}

std::string MockHost::config() const {
    std::lock_guard<std::mutex> lock(impl_->cfg_mu_);
    return to_json(impl_->config_);
}

void MockHost::set_gateway(std::function<GatewayReply(const ChatMessage&)> fn) {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    impl_->gateway_fn_ = std::move(fn);
}

void MockHost::set_gateway_busy(bool busy) {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    impl_->gateway_busy_ = busy;
}

std::vector<ChatMessage> MockHost::gateway_messages() const {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    return impl_->gateway_messages_;
}

std::map<std::string, std::string> MockHost::sessions() const {
    std::lock_guard<std::mutex> lock(impl_->sess_mu_);
    std::map<std::string, std::string> out;
    for (const auto& [id, d] : impl_->sessions_) out.emplace(id, to_json(d));
    return out;
}

void MockHost::put_session(const std::string& id, const std::string& json) {
    if (!detail::valid_session_id(id)) throw std::invalid_argument("put_session: invalid session id");
    rapidjson::Document d;
    d.Parse(json.c_str(), json.size());
    if (d.HasParseError() || !d.IsObject()) throw std::invalid_argument("put_session: not a JSON object");
    std::lock_guard<std::mutex> lock(impl_->sess_mu_);
    impl_->sessions_[id] = std::move(d);
}

uint64_t MockHost::publish_event(const std::string& type, const std::string& fields_json) {
    uint64_t seq = 0;
    const oxios_status st = impl_->events_publish(type, fields_json, &seq);
    if (st != OXIOS_OK) throw std::invalid_argument("publish_event: empty type or fields not a JSON object");
    return seq;
}

void MockHost::set_tokens(std::vector<std::string> tokens) {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    impl_->tokens_ = std::move(tokens);
}

void MockHost::set_now_us(std::optional<int64_t> now) {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    impl_->now_ = now;
}

void MockHost::set_call(const std::string& method, CallFn fn) {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    if (fn)
        impl_->call_fns_[method] = std::move(fn);
    else
        impl_->call_fns_.erase(method);
}

std::vector<std::pair<std::string, std::string>> MockHost::calls() const {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    return impl_->calls_;
}

void MockHost::set_events_subscribe_status(oxios_status status) {
    std::lock_guard<std::mutex> lock(impl_->ev_mu_);
    impl_->subscribe_status_ = status;
}

size_t MockHost::event_subscriptions() const {
    std::lock_guard<std::mutex> lock(impl_->ev_mu_);
    return impl_->subs_.size();
}

std::vector<LogLine> MockHost::logs() const {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    return impl_->logs_;
}

void MockHost::clear_records() {
    {
        std::lock_guard<std::mutex> lock(impl_->mu_);
        impl_->calls_.clear();
        impl_->logs_.clear();
        impl_->gateway_messages_.clear();
    }
    std::lock_guard<std::mutex> lock(impl_->conn_mu_);
    for (auto it = impl_->conns_.begin(); it != impl_->conns_.end();)
        it = it->second->open ? std::next(it) : impl_->conns_.erase(it);
}

}  // namespace oxios::harness
