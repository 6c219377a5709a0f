// The kernel services a host offers its plugins: config, gateway + engines,
// state store, event bus, security, and the long-tail services behind `call`.
// Knows no transport (never includes host/http) and no plugin (never calls into
// one): host/plugins translates between this and the C ABI.
#pragma once

#include "oxios_plugin.h"  // status codes only

#include <oxios/version.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace oxios::kernel {

using Status = oxios_status;

// Result of an operation that produces text: status + JSON (or raw bytes for
// the methods METHODS.md marks raw). On error, body is {"error":"..."}.
struct Result {
    Status status = OXIOS_OK;
    std::string body;
    bool ok() const { return status == OXIOS_OK; }
};

// ---------------------------------------------------------------- config ---
class Config;        // host/kernel/config/config.hpp
class SessionStore;  // host/kernel/session_store.hpp

// ---------------------------------------------------------------- gateway ---
struct ChatMessage {
    std::string id, content, user_id, session_id, space_id;
    uint64_t connection = 0;  // WebSocket id that asked (0 = none)
    bool no_space = false;    // host-initiated chat (cron): no space resolved or bumped
};

struct Delivery {
    oxios_delivery_kind kind = OXIOS_DELIVERY_REPLY;
    std::shared_ptr<const ChatMessage> message;
    std::string content;  // token chunk, whole reply, or error text
    std::string session_id, space_id, phase, seed_id, space_tag, agent_id;
    int evaluation_passed = -1;  // 1, 0, -1
    Status error = OXIOS_OK;     // for ERROR
    uint64_t duration_ms = 0;
    int64_t prompt_tokens = -1, completion_tokens = -1;
};

// Called for every delivery of a submitted message, from a kernel thread.
using DeliverySink = std::function<void(const Delivery&)>;

// ------------------------------------------------------------------ events ---
// fn(seq, json) — json is the full raw event {"id","timestamp","type",...}.
using EventFn = std::function<void(uint64_t seq, std::string_view json)>;

class Kernel {
public:
    struct Options {
        std::string config_path;         // "" = defaults only, nothing written
        std::string workspace_override;  // --workspace; "" = config's kernel.workspace
        std::string host_version = OXIOS_VERSION;
    };

    // Loads and validates the config (throws std::runtime_error with a clear
    // message on a bad config), opens the workspace, builds the session index.
    explicit Kernel(const Options& options);
    ~Kernel();  // stops worker threads, cancels pending messages
    Kernel(const Kernel&) = delete;
    Kernel& operator=(const Kernel&) = delete;

    // Stop accepting messages, finish or fail those in flight (deliver an
    // ERROR for each), within `deadline_ms`. Idempotent.
    void shutdown(uint32_t deadline_ms = 5000);
    // Before shutdown, while connections are still open: refuses new chat
    // messages and lets the ones in flight finish (up to deadline_ms).
    void drain(uint32_t deadline_ms);

    // --- config ---
    // JSON of a dotted key ("" = whole config, unhidden except engine.api_key).
    std::optional<std::string> config_get(std::string_view dotted_key) const;
    uint64_t config_generation() const;
    std::string workspace() const;  // absolute path
    uint16_t port() const;
    std::string bind_host() const;

    // --- gateway ---
    // Queues a message; every delivery goes to `sink` (tokens, then one REPLY
    // or ERROR). OXIOS_E_BUSY when the queue is full (sink never called then).
    // The gateway enforces gateway.reply_timeout_secs: on timeout it delivers
    // an ERROR with OXIOS_E_TIMEOUT.
    Status submit(ChatMessage msg, DeliverySink sink);
    // For a caller that blocks until the final delivery: may serve the
    // message on the calling thread (Gateway::call).
    Status call_chat(ChatMessage msg, DeliverySink sink);
    // Cancels every message submitted with this connection id (socket closed).
    void cancel_connection(uint64_t connection);
    size_t queue_depth() const;
    size_t in_flight() const;

    // --- session store (ids validated: ^[A-Za-z0-9_-]{1,128}$) ---
    Result session_get(std::string_view id);
    Status session_append(const oxios_exchange& exchange);  // durable on return
    Result session_list(uint32_t page, uint32_t limit);     // {"items","total"}
    Status session_delete(std::string_view id);
    Result session_prune(bool force);  // {"count","config"}
    SessionStore& session_store();     // --export/--import-sessions

    // --- event bus ---
    uint64_t events_subscribe(EventFn fn);
    void events_unsubscribe(uint64_t subscription);  // fn not running after return
    // Calls fn for buffered events with seq > after_seq; returns missed count.
    uint64_t events_since(uint64_t after_seq, const EventFn& fn);
    // With the cluster's event log: brings this host's bus up to `seq`, which
    // another host may have sent already (reads the log now). True at once
    // without a log.
    bool events_reach(uint64_t seq);
    // fields_json: JSON object of extra fields. Returns the new event's seq.
    uint64_t events_publish(std::string_view type, std::string_view fields_json);
    // Records a host action in the audit log, actor "host" (docs/api-operator.md, "Security");
    // a refused one (allowed false) says why in `reason`.
    void audit_record(std::string_view action, std::string_view resource, bool allowed = true,
                      std::string_view reason = {});

    // --- security ---
    bool token_valid(std::string_view token) const;  // constant-time

    // --- long tail (abi/METHODS.md) ---
    Result call(std::string_view method, std::string_view json_in);

    // Information the host's plugin manager adds to system.status.
    using StatusProvider = std::function<std::string()>;  // returns a JSON object
    void set_plugins_status_provider(StatusProvider provider);
    using MetricsProvider = std::function<std::string()>;  // Prometheus text
    void set_http_metrics_provider(MetricsProvider provider);

    uint64_t uptime_secs() const;
    const std::string& version() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace oxios::kernel
