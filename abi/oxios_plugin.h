/*
 * oxios_plugin.h — the stable C ABI between an Oxios host kernel and its plugins.
 *
 * Pure C99; compiles unchanged as C++. Nothing but this header crosses between
 * a host and a plugin, so either side may be built by another compiler.
 *
 * ---------------------------------------------------------------------------
 * VERSIONING
 *   OXIOS_ABI_MAJOR changes when anything existing changes meaning or layout.
 *   A host refuses (logs, never crashes) a plugin whose major differs, and it
 *   checks this BEFORE calling anything else of the plugin.
 *   OXIOS_ABI_MINOR grows when fields or functions are appended at the END of
 *   a struct. Every struct starts with `uint32_t size` (sizeof as the writer
 *   knew it), so a reader can tell which fields are present:
 *     OXIOS_HAS(ptr, type, field) is true when `field` lies inside ptr->size.
 *
 * OWNERSHIP
 *   Strings and buffers cross as (pointer, length) views (`oxios_str`), NOT
 *   NUL-terminated, valid only for the duration of the call that passes them.
 *   Copy what you keep. What one side allocates, the same side frees: results
 *   come back through caller-provided sinks (`oxios_sink`), never as memory
 *   for the other side to free.
 *
 * ERRORS
 *   Every call that can fail returns an `oxios_status`. No C++ exception ever
 *   crosses this boundary: each entry point (on both sides) catches
 *   everything and turns it into OXIOS_E_INTERNAL.
 *
 * HANDLES
 *   Streams (SSE) and WebSockets are named by 64-bit ids that the host never
 *   reuses within a process. A call naming a closed or unknown id is refused
 *   with OXIOS_E_CLOSED; it is never undefined behaviour.
 *   `oxios_response*` is valid only inside the `handle` call that received it.
 *
 * THREADING (summary; each function says more)
 *   - create, start, stop, destroy, export_state, import_state: called by the
 *     host's plugin manager, one at a time per instance, never concurrently
 *     with each other for the same instance.
 *   - handle, stream_open, ws_open, ws_message, deliver, stream_writable,
 *     event callbacks: may
 *     arrive concurrently from any host thread, between start and stop.
 *     ws_message calls for ONE connection are serialised (never concurrent
 *     with each other), in the order frames arrived.
 *   - Every host function is safe to call from any thread, at any time between
 *     create and the return of destroy, unless its comment says otherwise.
 *
 * HOT RELOAD
 *   A host may replace a plugin instance with a new one (new .so) while
 *   clients stay connected: the new instance is created and started, then
 *   every live stream and WebSocket is re-attached to it (open callback with
 *   OXIOS_OPEN_RESUMED and the original upgrade request), then the old
 *   instance is stopped after its running calls finish. Plugins therefore keep
 *   no per-connection state that they cannot rebuild from the open callback;
 *   anything else worth keeping crosses as an opaque blob (export_state ->
 *   import_state). Gateway deliveries are self-contained (they carry the
 *   original message), so whichever instance is current can finish them.
 * ---------------------------------------------------------------------------
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

/* Name of the single symbol a plugin exports (see oxios_plugin_entry_fn). */
#define OXIOS_PLUGIN_ENTRY_SYMBOL "oxios_plugin_entry"

#define OXIOS_HAS(ptr, type, field) \
    ((ptr) != 0 && (ptr)->size >= offsetof(type, field) + sizeof(((type*)0)->field))

/* ------------------------------------------------------------------------- */
/* Basic types                                                                */
/* ------------------------------------------------------------------------- */

typedef int32_t oxios_status;
enum {
    OXIOS_OK = 0,
    OXIOS_E_INVALID = 1,      /* bad argument or input (HTTP 400)            */
    OXIOS_E_NOT_FOUND = 2,    /* no such thing (404)                         */
    OXIOS_E_CONFLICT = 3,     /* already exists / route conflict (409)       */
    OXIOS_E_BUSY = 4,         /* queue full, try later (503)                 */
    OXIOS_E_TIMEOUT = 5,      /* deadline passed (504)                       */
    OXIOS_E_UNSUPPORTED = 6,  /* unknown method / feature not present (501)  */
    OXIOS_E_CLOSED = 7,       /* handle closed, unknown or stale             */
    OXIOS_E_DENIED = 8,       /* not allowed (401/403)                       */
    OXIOS_E_TOO_LARGE = 9,    /* over a size limit (413)                     */
    OXIOS_E_IO = 10,          /* storage failure (500)                       */
    OXIOS_E_UPSTREAM = 11,    /* an engine or remote service failed (502)    */
    OXIOS_E_ABI = 12,         /* ABI version or struct size mismatch         */
    OXIOS_E_INTERNAL = 13     /* anything else, including a caught exception */
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

/* Opaque types: the host defines them, the plugin only passes pointers back. */
typedef struct oxios_host oxios_host;           /* one per plugin instance */
typedef struct oxios_response oxios_response;   /* valid inside handle() only */

/* ------------------------------------------------------------------------- */
/* Requests and routes                                                        */
/* ------------------------------------------------------------------------- */

typedef enum oxios_route_kind {
    OXIOS_ROUTE_PLAIN = 0,     /* request -> one response                     */
    OXIOS_ROUTE_SSE = 1,       /* admitted by handle(), then a held stream     */
    OXIOS_ROUTE_WEBSOCKET = 2  /* admitted by handle(), then a WebSocket       */
} oxios_route_kind;

/* One HTTP request, as the host parsed it. Every view is valid for the call it
 * is passed to (for stream_open/ws_open: that call only). */
typedef struct oxios_request {
    uint32_t size;
    uint32_t route_kind;        /* oxios_route_kind of the matched route       */
    oxios_str method;           /* "GET", ...                                  */
    oxios_str path;             /* percent-decoded path, no query              */
    oxios_str raw_target;       /* the request target exactly as sent          */
    oxios_str query;            /* raw query string without '?'                */
    oxios_str body;
    const oxios_pair* headers;  /* names as sent; compare case-insensitively   */
    uint32_t header_count;
    uint32_t param_count;
    const oxios_pair* params;   /* path parameters: {id}, {*path} (decoded)    */
    const oxios_pair* query_params; /* decoded query parameters, in order      */
    uint32_t query_count;
    uint16_t remote_port;
    uint16_t reserved0;
    oxios_str remote_addr;      /* peer IP as text                             */
} oxios_request;

/* Registration of one route; see oxios_host_api.route_add. */
typedef struct oxios_route {
    uint32_t size;
    uint32_t kind;              /* oxios_route_kind                            */
    oxios_str method;           /* "GET", "POST", "PUT", "DELETE", "OPTIONS"; "*" = any */
    oxios_str pattern;          /* "/api/sessions/{id}", "/api/workspace/file/{*path}" */
    void* route_data;           /* passed back to handle/stream_open/ws_open   */
} oxios_route;

/* ------------------------------------------------------------------------- */
/* Kernel gateway: chat messages and their deliveries                         */
/* ------------------------------------------------------------------------- */

typedef struct oxios_chat_message {
    uint32_t size;
    uint32_t reserved0;
    oxios_str id;               /* unique message id chosen by the plugin      */
    oxios_str content;
    oxios_str user_id;
    oxios_str session_id;       /* empty: the engine assigns a new UUID v4     */
    oxios_str space_id;         /* empty: the active space, if any             */
    uint64_t connection;        /* WebSocket id that asked, 0 for none. The host
                                   cancels the message when that socket closes. */
} oxios_chat_message;

typedef enum oxios_delivery_kind {
    OXIOS_DELIVERY_TOKEN = 1,   /* a chunk of the reply (content = the chunk)  */
    OXIOS_DELIVERY_REPLY = 2,   /* the final reply (content = the whole reply) */
    OXIOS_DELIVERY_ERROR = 3    /* the message failed (content = error text)   */
} oxios_delivery_kind;

/* One outgoing delivery. Self-contained: it carries the original message, so
 * whichever plugin instance is current when it arrives can finish it. Every
 * submitted message gets zero or more TOKEN deliveries, then exactly one
 * REPLY or ERROR. */
typedef struct oxios_delivery {
    uint32_t size;
    uint32_t kind;              /* oxios_delivery_kind                         */
    const oxios_chat_message* message;
    oxios_str content;
    oxios_str session_id;       /* the session the exchange belongs to          */
    oxios_str space_id;         /* empty = none                                */
    oxios_str phase;            /* "execute", ... ; empty = unknown            */
    oxios_str seed_id;          /* empty = none                                */
    oxios_str space_tag;        /* empty = none                                */
    int32_t evaluation_passed;  /* 1, 0, or -1 unknown                         */
    oxios_status error;         /* ERROR: OXIOS_E_TIMEOUT, _BUSY, _UPSTREAM...  */
    uint64_t duration_ms;
    int64_t prompt_tokens;      /* -1 when unknown                             */
    int64_t completion_tokens;  /* -1 when unknown                             */
    oxios_str agent_id;         /* the agent that served it; empty if none      */
} oxios_delivery;

typedef void (*oxios_delivery_fn)(void* user, const oxios_delivery* delivery);

/* A finished exchange, persisted through session_append. */
typedef struct oxios_exchange {
    uint32_t size;
    int32_t evaluation_passed;  /* 1, 0, -1 unknown (stored as null)           */
    oxios_str session_id;
    oxios_str user_id;
    oxios_str space_id;         /* stored in metadata.space_id when not empty   */
    oxios_str user_content;
    oxios_str reply_content;
    oxios_str seed_id;          /* empty = null                                */
    oxios_str phase;            /* phase_reached                               */
    int64_t user_time_us;       /* unix time of the user message, microseconds */
    int64_t reply_time_us;      /* unix time of the reply, microseconds        */
} oxios_exchange;

/* Kernel events: `json` is the whole raw event {"id","timestamp","type",...}
 * (unsanitised); `seq` is the bus's sequence number, strictly increasing by 1. */
typedef void (*oxios_event_fn)(void* user, uint64_t seq, const char* json, size_t len);

/* ------------------------------------------------------------------------- */
/* Host API: what the host offers a plugin instance                           */
/* ------------------------------------------------------------------------- */

enum { OXIOS_LOG_DEBUG = 0, OXIOS_LOG_INFO = 1, OXIOS_LOG_WARN = 2, OXIOS_LOG_ERROR = 3 };

/* Flags of stream_open / ws_open. */
enum { OXIOS_OPEN_RESUMED = 1u };

/* Reasons given to stream_close / ws_close. */
typedef enum oxios_close_reason {
    OXIOS_CLOSE_PEER = 1,       /* the client went away or closed             */
    OXIOS_CLOSE_SHUTDOWN = 2,   /* host shutdown (WebSocket 1001)             */
    OXIOS_CLOSE_DETACHED = 3,   /* reload: the connection moved to a newer
                                   instance and stays open; only this instance
                                   loses it                                   */
    OXIOS_CLOSE_ERROR = 4,      /* protocol error, overflow, silence timeout   */
    OXIOS_CLOSE_BY_PLUGIN = 5   /* the plugin asked (ws_close/stream_end)      */
} oxios_close_reason;

typedef struct oxios_host_api {
    uint32_t size;
    uint32_t abi_major;
    uint32_t abi_minor;
    uint32_t reserved0;

    /* -- identity, time, logging ------------------------------------------ */

    /* Writes a log line attributed to this plugin. Any thread. */
    void (*log)(oxios_host* host, int32_t level, oxios_str message);

    /* Wall clock, microseconds since the Unix epoch (scriptable in the test
     * harness). Any thread. */
    int64_t (*now_us)(oxios_host* host);

    /* -- configuration ------------------------------------------------------ */

    /* Looks up a dotted key ("security.auth_enabled", "" = whole config) and
     * writes its JSON value to `sink`. Secrets are included (the plugin needs
     * them to check tokens) except engine.api_key, which never leaves the
     * host. OXIOS_E_NOT_FOUND when absent. Any thread. */
    oxios_status (*config_get)(oxios_host* host, oxios_str key, oxios_sink sink, void* user);

    /* A counter that grows every time the config changes, so a plugin can
     * cache what it read. Any thread; cheap (one atomic load). */
    uint64_t (*config_generation)(oxios_host* host);

    /* -- routes ------------------------------------------------------------- */

    /* Registers a route. Only valid during start(). Path patterns are literal
     * segments, `{name}` (one segment) and a final `{*name}` (the rest, may be
     * empty). Literal segments win over `{name}`, which wins over `{*name}`.
     * OXIOS_E_CONFLICT when the same method + pattern shape is already
     * registered (by this or another plugin): start() should then fail. */
    oxios_status (*route_add)(oxios_host* host, const oxios_route* route);

    /* -- responding (inside handle() only) ---------------------------------- */

    /* Sets status, content type and body of the response. May be called once;
     * a second call returns OXIOS_E_CONFLICT. Thread: the one running handle(). */
    oxios_status (*respond)(oxios_response* resp, int32_t status, oxios_str content_type,
                            oxios_str body);
    /* Adds a response header (before or after respond, inside handle()).
     * For an admitted SSE/WebSocket route these headers go on the 200/101. */
    oxios_status (*response_header)(oxios_response* resp, oxios_str name, oxios_str value);

    /* -- streams (SSE) ------------------------------------------------------- */

    /* Writes bytes to a held stream. `seq` > 0 marks an event with that bus
     * sequence number: the host remembers the highest seq written and drops
     * (returns OK without writing) an event whose seq is not above it, so a
     * replay after a reload never repeats. seq 0 = other bytes (comments,
     * resync), always written. Only the instance that currently holds the
     * stream may write (else OXIOS_E_CLOSED). Never blocks. Any thread.
     * Backpressure (since minor 1, only for a plugin that provides
     * stream_writable): while the connection's unsent bytes are above the
     * host's high-water mark, the write is refused with OXIOS_E_BUSY and
     * nothing is written or remembered (the seq is not counted as written);
     * the host then calls stream_writable once the queue has drained, and
     * the plugin writes what it held back. A plugin without stream_writable
     * (minor 0) is never refused: a queue past the host's hard limit closes
     * that connection instead. */
    oxios_status (*stream_write)(oxios_host* host, uint64_t stream, uint64_t seq, oxios_str data);
    /* Ends a stream (the connection is closed after queued bytes). Any thread. */
    oxios_status (*stream_end)(oxios_host* host, uint64_t stream);

    /* -- WebSocket ------------------------------------------------------------ */

    /* Queues one text frame on a WebSocket. Never blocks; a full per-connection
     * queue closes that connection (1008). Any instance may send to any open
     * WebSocket (an old instance finishing a delivery during its drain too).
     * OXIOS_E_CLOSED when the socket is gone. Any thread. */
    oxios_status (*ws_send)(oxios_host* host, uint64_t ws, oxios_str text);
    /* Closes a WebSocket with a close code and reason. Any thread. */
    oxios_status (*ws_close)(oxios_host* host, uint64_t ws, uint16_t code, oxios_str reason);

    /* -- gateway -------------------------------------------------------------- */

    /* Queues a message for the kernel. Deliveries (tokens, then one reply or
     * error) arrive later through oxios_plugin_api.deliver of the instance
     * that is current at that moment. OXIOS_E_BUSY when the queue is full (no
     * delivery will follow then). The message is copied. Any thread. */
    oxios_status (*gateway_submit)(oxios_host* host, const oxios_chat_message* msg);

    /* Submits a message and waits (up to timeout_ms, 0 = the configured
     * gateway.reply_timeout_secs) for its final delivery, which is passed to
     * `fn` on the calling thread before this returns; tokens are not passed.
     * Returns OXIOS_OK when fn got a REPLY, the delivery's error for an ERROR,
     * OXIOS_E_BUSY (queue full) or OXIOS_E_TIMEOUT (no reply in time; fn is
     * not called then). Any thread; blocks. With timeout_ms 0 the host may
     * serve the message on the calling thread (when the gateway has a free
     * slot and nothing is queued); the gateway's timeout then returns once
     * the engine has stopped on its cancellation (within about a second). */
    oxios_status (*gateway_call)(oxios_host* host, const oxios_chat_message* msg,
                                 uint32_t timeout_ms, oxios_delivery_fn fn, void* user);

    /* -- session store ------------------------------------------------------ */
    /* Session ids must match ^[A-Za-z0-9_-]{1,128}$, else OXIOS_E_INVALID.   */

    /* Writes the session file's JSON to sink. OXIOS_E_NOT_FOUND. Any thread. */
    oxios_status (*session_get)(oxios_host* host, oxios_str id, oxios_sink sink, void* user);
    /* Appends one exchange, creating the session if needed. Updates on one
     * session are serialised; returns after the write is durable. Any thread. */
    oxios_status (*session_append)(oxios_host* host, const oxios_exchange* exchange);
    /* Writes {"items":[summary...],"total":N} (newest updated_at first) for a
     * 1-based page. From the in-memory index; reads no session file. */
    oxios_status (*session_list)(oxios_host* host, uint32_t page, uint32_t limit,
                                 oxios_sink sink, void* user);
    /* Deletes a session. OXIOS_E_NOT_FOUND, OXIOS_E_INVALID. Any thread. */
    oxios_status (*session_delete)(oxios_host* host, oxios_str id);
    /* Prunes by TTL then count. force=0: only if the last prune is older than
     * an hour (auto-prune). Writes {"count":N,"config":{"max_sessions","ttl_hours"}}. */
    oxios_status (*session_prune)(oxios_host* host, int32_t force, oxios_sink sink, void* user);

    /* -- event bus ----------------------------------------------------------- */

    /* Subscribes to kernel events. fn is called from a host thread, one event
     * at a time per subscription, in seq order. *subscription receives a
     * handle for events_unsubscribe. Any thread. */
    oxios_status (*events_subscribe)(oxios_host* host, oxios_event_fn fn, void* user,
                                     uint64_t* subscription);
    /* After this returns, fn is not running and will not be called again. Must
     * not be called from inside fn. */
    oxios_status (*events_unsubscribe)(oxios_host* host, uint64_t subscription);
    /* Calls fn synchronously for every buffered event with seq > after_seq, in
     * order. *missed receives how many such events are no longer buffered. */
    oxios_status (*events_since)(oxios_host* host, uint64_t after_seq, oxios_event_fn fn,
                                 void* user, uint64_t* missed);
    /* Publishes an event: `fields_json` is a JSON object of extra fields; the
     * bus adds id, timestamp and type. Any thread. */
    oxios_status (*events_publish)(oxios_host* host, oxios_str type, oxios_str fields_json);

    /* -- security ---------------------------------------------------------- */

    /* OXIOS_OK when `token` is a valid web API token (configured keys and env
     * OXIOS_API_KEY; never the LLM provider key), else OXIOS_E_DENIED.
     * Constant-time in the token's content. Any thread. */
    oxios_status (*token_check)(oxios_host* host, oxios_str token);

    /* -- the long tail --------------------------------------------------------- */

    /* One versioned call for the other kernel services: `method` names a
     * service operation ("seeds.list", ...; catalogue in abi/METHODS.md),
     * `json_in` its JSON argument object ({} when none). On OXIOS_OK the sink
     * gets the JSON result; on an error status it gets {"error":"..."} with a
     * human-readable message. OXIOS_E_UNSUPPORTED for an unknown method. */
    oxios_status (*call)(oxios_host* host, oxios_str method, oxios_str json_in,
                         oxios_sink sink, void* user);
} oxios_host_api;

/* ------------------------------------------------------------------------- */
/* Plugin API: what a plugin offers the host                                  */
/* ------------------------------------------------------------------------- */

typedef struct oxios_plugin_api {
    uint32_t size;
    uint32_t reserved0;

    /* Creates an instance. `api` and `host` stay valid until destroy returns.
     * No routes yet, no threads needed. *instance receives the plugin's
     * opaque instance pointer. Called once per instance. */
    oxios_status (*create)(const oxios_host_api* api, oxios_host* host, void** instance);

    /* Registers routes (route_add) and subscribes to what it needs. Any
     * failure makes the host destroy the instance; the old one keeps serving. */
    oxios_status (*start)(void* instance);

    /* Imports the blob an older instance exported (after start, before it
     * serves). An unreadable blob must be ignored, not fatal. Optional (NULL). */
    oxios_status (*import_state)(void* instance, const char* data, size_t len);

    /* Serves one request on its matched route. For PLAIN routes it must call
     * respond() (no respond = 500). For SSE/WEBSOCKET routes it is the
     * admission step: respond() with an error refuses the connection; returning
     * OXIOS_OK without respond() admits it, and stream_open/ws_open follows.
     * Concurrent, any host thread. A non-OK return without respond() = 500. */
    oxios_status (*handle)(void* instance, void* route_data, const oxios_request* req,
                           oxios_response* resp);

    /* A stream was admitted (or re-attached, flags & OXIOS_OPEN_RESUMED).
     * `last_seq` is the highest event seq written to it so far (or, when
     * fresh, the client's Last-Event-ID, 0 if none). From this call until
     * stream_close, the instance may stream_write to it. Concurrent. */
    oxios_status (*stream_open)(void* instance, void* route_data, uint64_t stream,
                                const oxios_request* req, uint64_t last_seq, uint32_t flags);
    /* The instance loses the stream (oxios_close_reason). After this returns
     * the instance must not write to it. Concurrent with other streams. */
    void (*stream_close)(void* instance, uint64_t stream, uint32_t reason);

    /* A WebSocket was admitted (or re-attached: flags & OXIOS_OPEN_RESUMED). */
    oxios_status (*ws_open)(void* instance, void* route_data, uint64_t ws,
                            const oxios_request* req, uint32_t flags);
    /* One complete message. is_text: 1 text, 0 binary. Serialised per socket.
     * The host enforces no size limit beyond its 1 MiB frame cap; the plugin
     * applies its own. */
    void (*ws_message)(void* instance, uint64_t ws, const char* data, size_t len,
                       int32_t is_text);
    /* The instance loses the socket (reason; code is the close code, 0 if none). */
    void (*ws_close)(void* instance, uint64_t ws, uint16_t code, uint32_t reason);

    /* A gateway delivery for a message submitted with gateway_submit (by this
     * or an earlier instance). Concurrent, any host thread. */
    void (*deliver)(void* instance, const oxios_delivery* delivery);

    /* Before the instance is stopped for a reload: write state worth keeping
     * to sink (opaque, the plugin's own format). Optional (NULL). */
    oxios_status (*export_state)(void* instance, oxios_sink sink, void* user);

    /* Stops: unsubscribe, join the plugin's own threads. No call arrives
     * after it returns except destroy. Must return within a few seconds. */
    oxios_status (*stop)(void* instance);

    /* Frees the instance. Nothing of it may run afterwards. */
    void (*destroy)(void* instance);

    /* -- since minor 1 (check with OXIOS_HAS) -------------------------------- */

    /* A stream that refused a stream_write with OXIOS_E_BUSY has drained
     * to the host's low-water mark: the instance holding it now may write
     * again (the events it held back, from its own position). Called after
     * a refusal, at most once per drain (rarely also without one: treat it
     * as a hint), on a host I/O thread, never concurrently with itself for
     * the same stream but concurrently with event callbacks and
     * stream_open/stream_close (also before a RESUMED stream_open returns:
     * ignore a stream you do not know); it may call stream_write, but should return quickly (hand
     * a long catch-up to a thread of its own: the I/O thread writes other
     * connections meanwhile). After a reload it goes to the
     * instance holding the stream, which may not be the one that was
     * refused: an instance that has nothing to catch up ignores it.
     * Optional (NULL): the host then never refuses this plugin's writes. */
    void (*stream_writable)(void* instance, uint64_t stream);
} oxios_plugin_api;

typedef struct oxios_plugin_descriptor {
    uint32_t size;
    uint32_t abi_major;         /* must equal the host's OXIOS_ABI_MAJOR       */
    uint32_t abi_minor;
    uint32_t reserved0;
    oxios_str name;             /* "web"                                       */
    oxios_str version;          /* "0.4.0"                                     */
    const oxios_plugin_api* api;
} oxios_plugin_descriptor;

/* The one exported symbol. Returns a pointer to static data valid while the
 * library is loaded, or NULL if the plugin cannot run. Must not allocate
 * resources or start threads. */
typedef const oxios_plugin_descriptor* (*oxios_plugin_entry_fn)(void);

#if defined(_WIN32)
#define OXIOS_EXPORT __declspec(dllexport)
#else
#define OXIOS_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* OXIOS_PLUGIN_H */
