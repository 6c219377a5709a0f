// Mock host harness: loads any Oxios plugin .so through the same C ABI as the
// real host (abi/oxios_plugin.h), with the host's own checks and routing rules
// (oxios_rules), and implements the host API with in-memory, scriptable fakes
// of the kernel services. Requests are dispatched directly (no sockets).
//
// Plugin authors can link `oxios_harness` to test their own plugins.
#pragma once

#include "oxios_plugin.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace oxios::harness {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
    std::string method = "GET";
    std::string target = "/";  // path + optional ?query, as on the wire (percent-encoded)
    std::string body;
    Headers headers;
    std::string remote_addr = "127.0.0.1";
    uint16_t remote_port = 50000;
};

struct Response {
    int status = 0;
    std::string content_type;
    std::string body;
    Headers headers;
    // Case-insensitive header lookup ("" when absent).
    std::string header(const std::string& name) const;
};

// What the scripted gateway answers for a message.
struct GatewayReply {
    std::vector<std::string> tokens;  // TOKEN deliveries before the final one
    std::string content;              // final reply (REPLY); default "echo: <content>"
    std::string session_id;           // "" = message's id, or a new UUID v4 if none
    std::string space_id;
    std::string phase = "execute";
    std::string seed_id, space_tag;
    int evaluation_passed = 1;
    oxios_status error = OXIOS_OK;  // != OK -> ERROR delivery with error_text
    std::string error_text;
    std::chrono::milliseconds delay{0};  // before the final delivery
    bool never = false;                  // never deliver (to test timeouts)
};

struct ChatMessage {
    std::string id, content, user_id, session_id, space_id;
    uint64_t connection = 0;
};

struct LogLine {
    int level;
    std::string message;
};

class MockHost {
public:
    MockHost();
    ~MockHost();  // unloads the plugin if loaded
    MockHost(const MockHost&) = delete;
    MockHost& operator=(const MockHost&) = delete;

    // ---- plugin lifecycle ----
    // Loads the .so (a private copy), checks it as oxios-host does
    // (oxios/rules/descriptor.hpp) before any other call, creates and starts
    // an instance. Throws std::runtime_error whose
    // what() says why on any failure (the harness survives it).
    // With a plugin already loaded it behaves as reload().
    void load(const std::string& so_path);
    // Hot reload: loads a new instance of `so_path`, moves exported state and
    // every open stream / WebSocket to it (resumed), then stops and unloads the
    // old one. On failure throws and the old instance keeps serving.
    void reload(const std::string& so_path);
    void unload();
    bool loaded() const;
    std::string plugin_name() const;
    std::string plugin_version() const;
    // Path of the private copy the current instance was loaded from ("" when
    // none); it is deleted, and gone from /proc/self/maps, after an unload.
    std::string plugin_copy_path() const;

    // ---- requests ----
    Response request(const Request& req);
    Response get(const std::string& target, Headers headers = {});
    Response post(const std::string& target, const std::string& body, Headers headers = {});
    Response put(const std::string& target, const std::string& body, Headers headers = {});
    Response del(const std::string& target, Headers headers = {});
    // Registered routes as "METHOD pattern kind".
    std::vector<std::string> routes() const;

    // ---- WebSocket (in memory) ----
    // Runs admission (handle) for a WEBSOCKET route; on admission returns
    // {id, response with status 101}; otherwise {0, the refusal}.
    std::pair<uint64_t, Response> ws_connect(const std::string& target, Headers headers = {});
    void ws_client_send(uint64_t ws, const std::string& text);  // -> plugin ws_message
    void ws_client_close(uint64_t ws, uint16_t code = 1000);
    std::vector<std::string> ws_frames(uint64_t ws) const;  // frames the plugin sent
    // Waits until at least n frames were sent to ws; returns them.
    std::vector<std::string> ws_wait_frames(uint64_t ws, size_t n,
                                            std::chrono::milliseconds timeout = std::chrono::seconds(5));
    bool ws_open(uint64_t ws) const;
    uint16_t ws_close_code(uint64_t ws) const;  // 0 while open

    // ---- SSE (in memory) ----
    std::pair<uint64_t, Response> sse_connect(const std::string& target, Headers headers = {});
    std::string sse_data(uint64_t stream) const;  // everything written so far
    std::string sse_wait(uint64_t stream, const std::string& needle,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));
    void sse_client_close(uint64_t stream);
    // Backpressure, as the host applies it to a plugin with stream_writable:
    // while `bytes` or more written bytes are unread, stream_write answers
    // OXIOS_E_BUSY (0, the default: never). sse_read returns the unread
    // bytes, marks them read and, if a write was refused, calls the plugin's
    // stream_writable on this thread before returning.
    void sse_set_window(uint64_t stream, size_t bytes);
    std::string sse_read(uint64_t stream);
    bool sse_open(uint64_t stream) const;  // false once closed by either side or unknown

    // ---- scripted kernel services ----
    // Config: the whole JSON document ("{}" by default); bumps the generation.
    void set_config(const std::string& json);
    std::string config() const;
    // Gateway: scripts the reply per message (default: echo). Deliveries
    // happen on a harness thread (submit) or the caller's thread (call).
    void set_gateway(std::function<GatewayReply(const ChatMessage&)> fn);
    void set_gateway_busy(bool busy);                   // submit/call answer OXIOS_E_BUSY
    std::vector<ChatMessage> gateway_messages() const;  // every message submitted
    // Session store: id -> session JSON (file format of docs/api.md).
    std::map<std::string, std::string> sessions() const;
    void put_session(const std::string& id, const std::string& json);
    // Events: publishes to subscribers and the replay buffer (capacity 256).
    uint64_t publish_event(const std::string& type, const std::string& fields_json = "{}");
    // Bus subscriptions held now (every instance).
    size_t event_subscriptions() const;
    // events_subscribe answers this (OXIOS_OK: subscribes).
    void set_events_subscribe_status(oxios_status status);
    // Tokens accepted by token_check.
    void set_tokens(std::vector<std::string> tokens);
    // Clock: fixed wall clock (µs since epoch); unset = real time.
    void set_now_us(std::optional<int64_t> now);
    // Long-tail call: scripted per method; unscripted -> OXIOS_E_UNSUPPORTED.
    using CallFn = std::function<std::pair<oxios_status, std::string>(const std::string& json_in)>;
    void set_call(const std::string& method, CallFn fn);
    std::vector<std::pair<std::string, std::string>> calls() const;  // (method, json_in) seen
    std::vector<LogLine> logs() const;
    // Forgets what the records above keep (calls, logs, gateway messages) and
    // every closed WebSocket/SSE connection, so a long run (the fuzz targets)
    // stays flat in memory without reloading the plugin.
    void clear_records();

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace oxios::harness
