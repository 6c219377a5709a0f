/*
 * oxios_plugin.h — the stable C ABI between an Oxios host kernel and its plugins.
 *
 * Pure C99; compiles unchanged as C++. Nothing but this header crosses between
 * a host and a plugin, so either side may be built by another compiler.
 *
 * VERSIONING
 *   OXIOS_ABI_MAJOR changes when anything existing changes meaning or layout;
 *   a host refuses (logs, never crashes) a plugin of another major, checked
 *   BEFORE calling anything else of it. OXIOS_ABI_MINOR grows when fields are
 *   appended at the END of a struct; each addition sits in a block marked
 *   "ABI 1.<minor>". Every struct but oxios_str/oxios_pair starts with
 *   `uint32_t size` (sizeof as its writer knew it): test a field with
 *   OXIOS_HAS(ptr, type, field) before reading it. scripts/check-abi guards this.
 * OWNERSHIP
 *   Strings and buffers cross as (pointer, length) views (`oxios_str`), NOT
 *   NUL-terminated, valid only during the call that passes them: copy what you
 *   keep. What one side allocates, the same side frees: results come back
 *   through caller-provided sinks (`oxios_sink`).
 * ERRORS: a call that can fail returns an `oxios_status`. No C++ exception
 *   crosses this boundary: every entry point, on both sides, catches
 *   everything and returns OXIOS_E_INTERNAL.
 * HANDLES: streams (SSE) and WebSockets are 64-bit ids, never reused in a
 *   process; naming a closed or unknown one returns OXIOS_E_CLOSED, never UB.
 * THREADING
 *   create, start, import_state, export_state, stop, destroy: one at a time
 *   per instance. handle, stream_*, ws_*, deliver and event callbacks:
 *   concurrent, any host thread, between start and stop (ws_message is
 *   serialised per socket). Host functions: any thread, between create and
 *   the return of destroy, unless said otherwise.
 * HOT RELOAD
 *   A new instance (new .so) is created and started, every live stream and
 *   WebSocket is re-attached to it (open callback with OXIOS_OPEN_RESUMED and
 *   the original request), then the old one is stopped once its running calls
 *   end. Keep no per-connection state you cannot rebuild from the open
 *   callback; hand the rest over with export_state -> import_state.
 *
 * EACH FUNCTION is documented in one form: what it does, then
 *   <param>: <meaning>   (parameters not obvious from their names)
 *   returns: <status> (<when>); ...   ("-" for void; OXIOS_ prefixes dropped)
 *   thread:  <who calls it, when>
 *   Host-implemented callbacks are in oxios_host_api; plugin-implemented
 *   entry points in oxios_plugin_api and oxios_plugin_entry.
 */
#ifndef OXIOS_PLUGIN_H
#define OXIOS_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OXIOS_ABI_MAJOR 1u
#define OXIOS_ABI_MINOR 1u

/* Name of the single symbol a plugin exports (see oxios_plugin_entry). */
#define OXIOS_PLUGIN_ENTRY_SYMBOL "oxios_plugin_entry"

#define OXIOS_HAS(ptr, type, field) ((ptr) != 0 && (ptr)->size >= offsetof(type, field) + sizeof(((type*)0)->field))

/* ==== Basic types ======================================================== */

typedef int32_t oxios_status;
enum {
    OXIOS_OK = 0,
    OXIOS_E_INVALID = 1,     /* bad argument or input (HTTP 400)            */
    OXIOS_E_NOT_FOUND = 2,   /* no such thing (404)                         */
    OXIOS_E_CONFLICT = 3,    /* already exists / route conflict (409)       */
    OXIOS_E_BUSY = 4,        /* queue full, try later (503)                 */
    OXIOS_E_TIMEOUT = 5,     /* deadline passed (504)                       */
    OXIOS_E_UNSUPPORTED = 6, /* unknown method / feature not present (501)  */
    OXIOS_E_CLOSED = 7,      /* handle closed, unknown or stale             */
    OXIOS_E_DENIED = 8,      /* not allowed (401/403)                       */
    OXIOS_E_TOO_LARGE = 9,   /* over a size limit (413)                     */
    OXIOS_E_IO = 10,         /* storage failure (500)                       */
    OXIOS_E_UPSTREAM = 11,   /* an engine or remote service failed (502)    */
    OXIOS_E_ABI = 12,        /* ABI version or struct size mismatch         */
    OXIOS_E_INTERNAL = 13    /* anything else, including a caught exception */
};

/* A borrowed byte view. Not NUL-terminated. {0,0} is the empty/absent value. */
typedef struct oxios_str {
    const char* ptr;
    size_t len;
} oxios_str;

/* A result sink: the callee calls it zero or more times, synchronously, before
 * returning; the caller concatenates. The data is valid only during the call. */
typedef void (*oxios_sink)(void* user, const char* data, size_t len);

typedef struct oxios_pair {
    oxios_str name;
    oxios_str value;
} oxios_pair;

typedef struct oxios_host oxios_host;         /* opaque; one per instance */
typedef struct oxios_response oxios_response; /* valid inside handle() only */

/* ==== Requests and routes ================================================ */

typedef enum oxios_route_kind {
    OXIOS_ROUTE_PLAIN = 0,    /* request -> one response                     */
    OXIOS_ROUTE_SSE = 1,      /* admitted by handle(), then a held stream     */
    OXIOS_ROUTE_WEBSOCKET = 2 /* admitted by handle(), then a WebSocket       */
} oxios_route_kind;

/* One HTTP request, as the host parsed it. Every view is valid for the call it
 * is passed to (for stream_open/ws_open: that call only). */
typedef struct oxios_request {
    uint32_t size;
    uint32_t route_kind;  /* oxios_route_kind of the matched route       */
    oxios_str method;     /* "GET", ...                                  */
    oxios_str path;       /* percent-decoded path, no query              */
    oxios_str raw_target; /* the request target exactly as sent          */
    oxios_str query;      /* raw query string without '?'                */
    oxios_str body;
    const oxios_pair* headers; /* names as sent; compare case-insensitively   */
    uint32_t header_count;
    uint32_t param_count;
    const oxios_pair* params;       /* path parameters: {id}, {*path} (decoded)    */
    const oxios_pair* query_params; /* decoded query parameters, in order      */
    uint32_t query_count;
    uint16_t remote_port;
    uint16_t reserved0;
    oxios_str remote_addr; /* client IP as text: the peer's, or behind a
                              trusted proxy its X-Forwarded-For client's */
} oxios_request;

/* Registration of one route; see oxios_host_api.route_add. */
typedef struct oxios_route {
    uint32_t size;
    uint32_t kind;     /* oxios_route_kind                            */
    oxios_str method;  /* "GET", "POST", "PUT", "DELETE", "OPTIONS"; "*" = any */
    oxios_str pattern; /* "/api/sessions/{id}", "/api/workspace/file/{*path}" */
    void* route_data;  /* passed back to handle/stream_open/ws_open   */
} oxios_route;

/* ==== Kernel gateway: chat messages and their deliveries ================= */

typedef struct oxios_chat_message {
    uint32_t size;
    uint32_t reserved0;
    oxios_str id; /* unique message id chosen by the plugin      */
    oxios_str content;
    oxios_str user_id;
    oxios_str session_id; /* empty: the engine assigns a new UUID v4     */
    oxios_str space_id;   /* empty: the active space, if any             */
    uint64_t connection;  /* WebSocket id that asked, 0 for none. The host
                             cancels the message when that socket closes. */
} oxios_chat_message;

typedef enum oxios_delivery_kind {
    OXIOS_DELIVERY_TOKEN = 1, /* a chunk of the reply (content = the chunk)  */
    OXIOS_DELIVERY_REPLY = 2, /* the final reply (content = the whole reply) */
    OXIOS_DELIVERY_ERROR = 3  /* the message failed (content = error text)   */
} oxios_delivery_kind;

/* One outgoing delivery. Self-contained: it carries the original message, so
 * whichever plugin instance is current when it arrives can finish it. Every
 * submitted message gets zero or more TOKEN deliveries, then exactly one
 * REPLY or ERROR. */
typedef struct oxios_delivery {
    uint32_t size;
    uint32_t kind; /* oxios_delivery_kind                         */
    const oxios_chat_message* message;
    oxios_str content;
    oxios_str session_id;      /* the session the exchange belongs to          */
    oxios_str space_id;        /* empty = none                                */
    oxios_str phase;           /* "execute", ... ; empty = unknown            */
    oxios_str seed_id;         /* empty = none                                */
    oxios_str space_tag;       /* empty = none                                */
    int32_t evaluation_passed; /* 1, 0, or -1 unknown                         */
    oxios_status error;        /* ERROR: OXIOS_E_TIMEOUT, _BUSY, _UPSTREAM...  */
    uint64_t duration_ms;
    int64_t prompt_tokens;     /* -1 when unknown                             */
    int64_t completion_tokens; /* -1 when unknown                             */
    oxios_str agent_id;        /* the agent that served it; empty if none      */
} oxios_delivery;

typedef void (*oxios_delivery_fn)(void* user, const oxios_delivery* delivery);

/* A finished exchange, persisted through session_append. */
typedef struct oxios_exchange {
    uint32_t size;
    int32_t evaluation_passed; /* 1, 0, -1 unknown (stored as null)           */
    oxios_str session_id;
    oxios_str user_id;
    oxios_str space_id; /* stored in metadata.space_id when not empty   */
    oxios_str user_content;
    oxios_str reply_content;
    oxios_str seed_id;     /* empty = null                                */
    oxios_str phase;       /* phase_reached                               */
    int64_t user_time_us;  /* unix time of the user message, microseconds */
    int64_t reply_time_us; /* unix time of the reply, microseconds        */
} oxios_exchange;

/* Kernel events: `json` is the whole raw event {"id","timestamp","type",...}
 * (unsanitised); `seq` is the bus's sequence number, strictly increasing by 1. */
typedef void (*oxios_event_fn)(void* user, uint64_t seq, const char* json, size_t len);

enum { OXIOS_LOG_DEBUG = 0, OXIOS_LOG_INFO = 1, OXIOS_LOG_WARN = 2, OXIOS_LOG_ERROR = 3 };

/* Flags of stream_open / ws_open. */
enum { OXIOS_OPEN_RESUMED = 1u };

/* Reasons given to stream_close / ws_close. */
typedef enum oxios_close_reason {
    OXIOS_CLOSE_PEER = 1,     /* the client went away or closed             */
    OXIOS_CLOSE_SHUTDOWN = 2, /* host shutdown (WebSocket 1001)             */
    OXIOS_CLOSE_DETACHED = 3, /* reload: the connection moved to a newer
                                 instance and stays open; only this instance
                                 loses it                                   */
    OXIOS_CLOSE_ERROR = 4,    /* protocol error, overflow, silence timeout   */
    OXIOS_CLOSE_BY_PLUGIN = 5 /* the plugin asked (ws_close/stream_end)      */
} oxios_close_reason;

/* ========================================================================= */
/* HOST-IMPLEMENTED CALLBACKS: the host offers them, a plugin instance calls  */
/* them with the `host` handle of create(). Each may also return INTERNAL.   */
/* ========================================================================= */

typedef struct oxios_host_api {
    uint32_t size;
    uint32_t abi_major;
    uint32_t abi_minor;
    uint32_t reserved0;

    /* Writes a log line attributed to this plugin.
     *   level: OXIOS_LOG_*;  message: the text
     *   returns: -   thread: any */
    void (*log)(oxios_host* host, int32_t level, oxios_str message);

    /* Wall clock (scriptable in the test harness).
     *   returns: microseconds since the Unix epoch   thread: any */
    int64_t (*now_us)(oxios_host* host);

    /* Looks up a config value and writes its JSON to sink. Secrets are
     * included (to check tokens) except engine.api_key, which never leaves.
     *   key: dotted ("security.auth_enabled"), "" = the whole config
     *   sink, user: receive the JSON value
     *   returns: OK; NOT_FOUND (absent)   thread: any */
    oxios_status (*config_get)(oxios_host* host, oxios_str key, oxios_sink sink, void* user);

    /* A counter that grows at every config change, to cache what was read.
     *   returns: the generation (one atomic load)   thread: any */
    uint64_t (*config_generation)(oxios_host* host);

    /* Registers a route. Patterns: literal segments, `{name}` (one segment),
     * a final `{*name}` (the rest, may be empty); literal beats `{name}`
     * beats `{*name}`.
     *   route: method, pattern, kind and route_data (copied)
     *   returns: OK; INVALID (bad pattern, outside start); CONFLICT (same
     *            method + pattern shape registered by any plugin: start()
     *            should then fail)
     *   thread: only during start() */
    oxios_status (*route_add)(oxios_host* host, const oxios_route* route);

    /* Sets status, content type and body of the response, once.
     *   resp: from handle();  status: 100-599;  content_type, body: copied
     *   returns: OK; CONFLICT (already responded); INVALID; CLOSED (stale resp)
     *   thread: the one running handle() */
    oxios_status (*respond)(oxios_response* resp, int32_t status, oxios_str content_type, oxios_str body);
    /* Adds a response header, before or after respond(). For an admitted
     * SSE/WebSocket route these headers go on the 200/101.
     *   resp: from handle();  name, value: copied
     *   returns: OK; INVALID (bad name/value); CLOSED (stale resp)
     *   thread: the one running handle() */
    oxios_status (*response_header)(oxios_response* resp, oxios_str name, oxios_str value);

    /* Writes bytes to a held stream. Never blocks. The host remembers the
     * highest seq written and drops (returns OK, writes nothing) an event
     * whose seq is not above it, so a replay after a reload never repeats.
     *   stream: its id;  seq: bus seq of the event, 0 = other bytes (always
     *   written);  data: copied
     *   returns: OK; CLOSED (not held by this instance); BUSY (ABI 1.1
     *            backpressure, only for a plugin with stream_writable: the
     *            unsent bytes are above the high-water mark; nothing written,
     *            seq not counted; stream_writable follows once drained. A
     *            plugin without it is never refused: past the hard limit
     *            the connection is closed instead)
     *   thread: any */
    oxios_status (*stream_write)(oxios_host* host, uint64_t stream, uint64_t seq, oxios_str data);
    /* Ends a stream; the connection closes after its queued bytes.
     *   returns: OK; CLOSED   thread: any */
    oxios_status (*stream_end)(oxios_host* host, uint64_t stream);

    /* Queues one text frame on a WebSocket; never blocks. A full queue closes
     * that connection (1008). Any instance may send to any open WebSocket.
     *   ws: its id;  text: copied
     *   returns: OK; CLOSED (gone)   thread: any */
    oxios_status (*ws_send)(oxios_host* host, uint64_t ws, oxios_str text);
    /* Closes a WebSocket.
     *   ws: its id;  code: close code;  reason: copied
     *   returns: OK; CLOSED   thread: any */
    oxios_status (*ws_close)(oxios_host* host, uint64_t ws, uint16_t code, oxios_str reason);

    /* Queues a message for the kernel (copied). Deliveries (tokens, then one
     * reply or error) arrive later through oxios_plugin_api.deliver of the
     * instance current at that moment.
     *   returns: OK; BUSY (queue full: no delivery follows); INVALID (msg
     *            NULL or its size below this header's)   thread: any */
    oxios_status (*gateway_submit)(oxios_host* host, const oxios_chat_message* msg);

    /* Submits a message and waits for its final delivery, passed to fn on the
     * calling thread before returning (tokens are not passed). With
     * timeout_ms 0 the host may serve it on the calling thread; the gateway's
     * timeout then returns once the engine stopped (within about a second).
     *   timeout_ms: 0 = gateway.reply_timeout_secs;  fn, user: the delivery
     *   returns: OK (fn got a REPLY); the delivery's error (ERROR); BUSY;
     *            TIMEOUT (fn not called)
     *   thread: any; blocks */
    oxios_status (*gateway_call)(oxios_host* host, const oxios_chat_message* msg, uint32_t timeout_ms,
                                 oxios_delivery_fn fn, void* user);

    /* Session store (ids match ^[A-Za-z0-9_-]{1,128}$, else INVALID).
     * Every session_* call may also return BUSY: the state store cannot be
     * reached right now (PostgreSQL backend during an outage); nothing was
     * read or stored and the sink got nothing. A web channel answers 503
     * {"error":"state store unavailable"}. The backend is the host's choice:
     * a plugin sees the same documents from either.
     * session_get writes the session file's JSON to sink.
     *   returns: OK; INVALID; NOT_FOUND   thread: any */
    oxios_status (*session_get)(oxios_host* host, oxios_str id, oxios_sink sink, void* user);
    /* Appends one exchange, creating the session if needed; updates of one
     * session are serialised.
     *   returns: OK once durable; INVALID; IO   thread: any */
    oxios_status (*session_append)(oxios_host* host, const oxios_exchange* exchange);
    /* Writes {"items":[summary...],"total":N}, newest updated_at first, from
     * an index (reads no session document).
     *   page: 1-based;  limit: per page
     *   returns: OK; IO   thread: any */
    oxios_status (*session_list)(oxios_host* host, uint32_t page, uint32_t limit, oxios_sink sink, void* user);
    /* Deletes a session.
     *   returns: OK; INVALID; NOT_FOUND; IO   thread: any */
    oxios_status (*session_delete)(oxios_host* host, oxios_str id);
    /* Prunes by TTL then count; writes
     * {"count":N,"config":{"max_sessions","ttl_hours"}}.
     *   force: 0 = only if the last prune is older than an hour
     *   returns: OK; IO   thread: any */
    oxios_status (*session_prune)(oxios_host* host, int32_t force, oxios_sink sink, void* user);

    /* Subscribes to kernel events: fn runs on a host thread, one event at a
     * time per subscription, in seq order.
     *   fn, user: the callback;  subscription: receives the handle
     *   returns: OK; INVALID (fn or subscription NULL)   thread: any */
    oxios_status (*events_subscribe)(oxios_host* host, oxios_event_fn fn, void* user, uint64_t* subscription);
    /* After it returns, fn is not running and will not be called again.
     *   returns: OK (an unknown handle too)   thread: any, not inside fn */
    oxios_status (*events_unsubscribe)(oxios_host* host, uint64_t subscription);
    /* Calls fn synchronously for every buffered event with seq > after_seq,
     * in order.
     *   missed: receives how many such events are no longer buffered
     *   returns: OK; INVALID (fn NULL)   thread: any */
    oxios_status (*events_since)(oxios_host* host, uint64_t after_seq, oxios_event_fn fn, void* user, uint64_t* missed);
    /* Publishes an event; the bus adds id, timestamp and type.
     *   type: the event type;  fields_json: a JSON object of extra fields
     *   returns: OK; INVALID (empty type)   thread: any */
    oxios_status (*events_publish)(oxios_host* host, oxios_str type, oxios_str fields_json);

    /* Checks a web API token (configured keys and env OXIOS_API_KEY; never
     * the LLM provider key), in time constant in the token's content.
     *   returns: OK (valid); DENIED   thread: any */
    oxios_status (*token_check)(oxios_host* host, oxios_str token);

    /* One versioned call for the other kernel services.
     *   method: "seeds.list", ... (catalogue: abi/METHODS.md, share/doc/oxios)
     *   json_in: its JSON argument object ("{}" when none)
     *   sink, user: the JSON result on OK, {"error":"..."} on an error
     *   returns: OK; UNSUPPORTED (unknown method); the method's errors
     *   thread: any */
    oxios_status (*call)(oxios_host* host, oxios_str method, oxios_str json_in, oxios_sink sink, void* user);
} oxios_host_api;

/* ========================================================================= */
/* PLUGIN-IMPLEMENTED ENTRY POINTS: a plugin fills this table, the host calls */
/* them. `instance` is what create() returned. Optional ones may be NULL.     */
/* ========================================================================= */

typedef struct oxios_plugin_api {
    uint32_t size;
    uint32_t reserved0;

    /* Creates an instance: no routes yet, no threads needed.
     *   api, host: stay valid until destroy returns;  instance: receives it
     *   returns: OK; any error refuses the plugin   thread: manager, once */
    oxios_status (*create)(const oxios_host_api* api, oxios_host* host, void** instance);

    /* Registers routes (route_add) and subscribes to what it needs.
     *   returns: OK; any error destroys the instance (the old one serves on)
     *   thread: manager */
    oxios_status (*start)(void* instance);

    /* Optional. Imports what an older instance exported (after start, before
     * it serves). An unreadable blob must be ignored, not fatal.
     *   data, len: the blob   returns: OK; ignored otherwise   thread: manager */
    oxios_status (*import_state)(void* instance, const char* data, size_t len);

    /* Serves one request on its matched route. PLAIN: must respond() (none
     * = 500). SSE/WEBSOCKET: admission: respond() with an error refuses;
     * OK without respond() admits, and stream_open/ws_open follows.
     *   route_data: from route_add;  req: the request;  resp: for respond()
     *   returns: OK; an error without respond() = 500
     *   thread: concurrent, any host thread */
    oxios_status (*handle)(void* instance, void* route_data, const oxios_request* req, oxios_response* resp);

    /* A stream was admitted, or re-attached (flags & OXIOS_OPEN_RESUMED);
     * from now until stream_close the instance may stream_write to it.
     *   last_seq: highest event seq written so far (fresh: the client's
     *   Last-Event-ID, 0 if none)
     *   returns: OK; an error closes the stream   thread: concurrent */
    oxios_status (*stream_open)(void* instance, void* route_data, uint64_t stream, const oxios_request* req,
                                uint64_t last_seq, uint32_t flags);
    /* The instance loses the stream; afterwards it must not write to it.
     *   reason: oxios_close_reason   returns: -   thread: concurrent */
    void (*stream_close)(void* instance, uint64_t stream, uint32_t reason);

    /* A WebSocket was admitted (or re-attached: flags & OXIOS_OPEN_RESUMED).
     *   returns: OK; an error closes the socket   thread: concurrent */
    oxios_status (*ws_open)(void* instance, void* route_data, uint64_t ws, const oxios_request* req, uint32_t flags);
    /* One complete message (the host caps frames at 1 MiB; the plugin applies
     * its own limit).
     *   is_text: 1 text, 0 binary   returns: -   thread: serialised per socket */
    void (*ws_message)(void* instance, uint64_t ws, const char* data, size_t len, int32_t is_text);
    /* The instance loses the socket.
     *   code: close code, 0 if none;  reason: oxios_close_reason
     *   returns: -   thread: concurrent */
    void (*ws_close)(void* instance, uint64_t ws, uint16_t code, uint32_t reason);

    /* A gateway delivery for a message submitted with gateway_submit by this
     * or an earlier instance.
     *   returns: -   thread: concurrent, any host thread */
    void (*deliver)(void* instance, const oxios_delivery* delivery);

    /* Optional. Before a reload stops this instance: state worth keeping.
     *   sink, user: receive an opaque blob in the plugin's own format
     *   returns: OK; an error hands nothing over   thread: manager */
    oxios_status (*export_state)(void* instance, oxios_sink sink, void* user);

    /* Stops: unsubscribe, join the plugin's own threads; no call but destroy
     * arrives afterwards.
     *   returns: OK, within a few seconds   thread: manager */
    oxios_status (*stop)(void* instance);

    /* Frees the instance; nothing of it may run afterwards.
     *   returns: -   thread: manager */
    void (*destroy)(void* instance);

    /* ---- ABI 1.1 (OXIOS_ABI_MINOR 1): test with OXIOS_HAS ---------------- */

    /* Optional (NULL: writes are never refused). A stream that refused a
     * stream_write with BUSY drained to the low-water mark: write what was
     * held back, from the instance's own position; return quickly (a long
     * catch-up belongs on a thread of its own). A hint: rarely sent without
     * a refusal, and after a reload to the instance now holding the stream
     * (also before its RESUMED stream_open returned): ignore what you lack.
     *   returns: -   thread: a host I/O thread, not concurrently with itself
     *   for one stream; concurrent with events and stream_open/close */
    void (*stream_writable)(void* instance, uint64_t stream);
    /* ---- end of ABI 1.1 --------------------------------------------------- */
} oxios_plugin_api;

typedef struct oxios_plugin_descriptor {
    uint32_t size;
    uint32_t abi_major; /* must equal the host's OXIOS_ABI_MAJOR       */
    uint32_t abi_minor;
    uint32_t reserved0;
    oxios_str name;    /* "web": not empty, unique in a host          */
    oxios_str version; /* "0.4.0"                                     */
    const oxios_plugin_api* api;
} oxios_plugin_descriptor;

/* The type of the entry point, for a host resolving it with dlsym. */
typedef const oxios_plugin_descriptor* (*oxios_plugin_entry_fn)(void);

#if defined(_WIN32)
#define OXIOS_EXPORT __declspec(dllexport)
#else
#define OXIOS_EXPORT __attribute__((visibility("default")))
#endif

/* The one symbol a plugin exports (PLUGIN-IMPLEMENTED). Declared here: a
 * definition with another signature does not compile, a misspelled one
 * does not link with oxios_add_plugin (its version script).
 *   returns: static data valid while the library is loaded, or NULL if the
 *            plugin cannot run
 *   thread: the loader, before anything else; must not allocate resources
 *           or start threads */
OXIOS_EXPORT const oxios_plugin_descriptor* oxios_plugin_entry(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* OXIOS_PLUGIN_H */
