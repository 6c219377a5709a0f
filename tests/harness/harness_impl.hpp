// Private to the mock host harness: the types its files share (one loaded
// instance, held connections, the request view) and MockHost::Impl, whose
// members are defined by job: harness_loader (loading with the host's checks),
// harness_dispatch (routes, requests), harness_streams, harness_gateway,
// harness_store (config, sessions), harness_bus (events), harness_host_api
// (the C entry points) and mock_host.cpp (security, long tail, records).
#pragma once

#include "mock_host.hpp"

#include "harness_router.hpp"
#include "harness_util.hpp"

#include <boost/dll/shared_library.hpp>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

namespace oxios::harness {

using detail::RouteEntry;
using detail::RouteMatch;
using detail::Router;
using detail::str;
using detail::Target;
using detail::view;

using Clock = std::chrono::steady_clock;

// Host-wide ids: never reused within the process (abi header, HANDLES).
inline std::atomic<uint64_t> g_next_conn_id{1};
inline std::atomic<uint64_t> g_next_instance{1};

constexpr size_t kEventRing = 256;
constexpr auto kDrainDeadline = std::chrono::seconds(10);

inline std::string to_json(const rapidjson::Value& v) {
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    v.Accept(w);
    return std::string(sb.GetString(), sb.GetSize());
}

inline rapidjson::Value jstr(std::string_view s, rapidjson::Document::AllocatorType& a) {
    rapidjson::Value v;
    // RapidJSON asserts on a null pointer, which an empty view may carry.
    v.SetString(s.empty() ? "" : s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
    return v;
}

inline rapidjson::Value jstr_or_null(std::string_view s, rapidjson::Document::AllocatorType& a) {
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
inline std::mutex g_resp_mu;
inline std::unordered_map<uintptr_t, ResponseState*> g_responses;
inline uintptr_t g_next_resp = 0;

inline oxios_status respond_impl(oxios_response* resp, int32_t status, std::string_view ct, std::string_view body) {
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

inline oxios_status response_header_impl(oxios_response* resp, std::string_view name, std::string_view value) {
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

inline Response make_error(int status, std::string_view message) {
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

// The host API given to every plugin instance (harness_host_api.cpp).
extern const oxios_host_api kHostApi;

}  // namespace oxios::harness
