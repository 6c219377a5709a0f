/*
 * layout_figures.h — the pinned ABI layout of abi/oxios_plugin.h on x86_64
 * LP64, as one X-macro list shared by the C99 check (layout_c99.c) and the
 * C++ check (layout_test.cpp).
 *
 * Changing any figure here is an ABI change: it needs OXIOS_ABI_MAJOR bumped
 * (or, for a field appended at the END of a struct, OXIOS_ABI_MINOR) and a
 * deliberate edit of this file. Every struct of the header is listed with its
 * size, and every one of its fields with offset and size, in declaration order.
 *
 *   S(type, sizeof)                 one struct
 *   F(type, field, offset, size)    one of its fields
 *   E(name, value)                  one enumerator / macro value
 */
#ifndef OXIOS_TESTS_LAYOUT_FIGURES_H
#define OXIOS_TESTS_LAYOUT_FIGURES_H

#define OXIOS_ABI_STRUCT_LAYOUT(S, F)             \
    S(oxios_str, 16)                              \
    F(oxios_str, ptr, 0, 8)                       \
    F(oxios_str, len, 8, 8)                       \
                                                  \
    S(oxios_pair, 32)                             \
    F(oxios_pair, name, 0, 16)                    \
    F(oxios_pair, value, 16, 16)                  \
                                                  \
    S(oxios_request, 144)                         \
    F(oxios_request, size, 0, 4)                  \
    F(oxios_request, route_kind, 4, 4)            \
    F(oxios_request, method, 8, 16)               \
    F(oxios_request, path, 24, 16)                \
    F(oxios_request, raw_target, 40, 16)          \
    F(oxios_request, query, 56, 16)               \
    F(oxios_request, body, 72, 16)                \
    F(oxios_request, headers, 88, 8)              \
    F(oxios_request, header_count, 96, 4)         \
    F(oxios_request, param_count, 100, 4)         \
    F(oxios_request, params, 104, 8)              \
    F(oxios_request, query_params, 112, 8)        \
    F(oxios_request, query_count, 120, 4)         \
    F(oxios_request, remote_port, 124, 2)         \
    F(oxios_request, reserved0, 126, 2)           \
    F(oxios_request, remote_addr, 128, 16)        \
                                                  \
    S(oxios_route, 48)                            \
    F(oxios_route, size, 0, 4)                    \
    F(oxios_route, kind, 4, 4)                    \
    F(oxios_route, method, 8, 16)                 \
    F(oxios_route, pattern, 24, 16)               \
    F(oxios_route, route_data, 40, 8)             \
                                                  \
    S(oxios_chat_message, 96)                     \
    F(oxios_chat_message, size, 0, 4)             \
    F(oxios_chat_message, reserved0, 4, 4)        \
    F(oxios_chat_message, id, 8, 16)              \
    F(oxios_chat_message, content, 24, 16)        \
    F(oxios_chat_message, user_id, 40, 16)        \
    F(oxios_chat_message, session_id, 56, 16)     \
    F(oxios_chat_message, space_id, 72, 16)       \
    F(oxios_chat_message, connection, 88, 8)      \
                                                  \
    S(oxios_delivery, 160)                        \
    F(oxios_delivery, size, 0, 4)                 \
    F(oxios_delivery, kind, 4, 4)                 \
    F(oxios_delivery, message, 8, 8)              \
    F(oxios_delivery, content, 16, 16)            \
    F(oxios_delivery, session_id, 32, 16)         \
    F(oxios_delivery, space_id, 48, 16)           \
    F(oxios_delivery, phase, 64, 16)              \
    F(oxios_delivery, seed_id, 80, 16)            \
    F(oxios_delivery, space_tag, 96, 16)          \
    F(oxios_delivery, evaluation_passed, 112, 4)  \
    F(oxios_delivery, error, 116, 4)              \
    F(oxios_delivery, duration_ms, 120, 8)        \
    F(oxios_delivery, prompt_tokens, 128, 8)      \
    F(oxios_delivery, completion_tokens, 136, 8)  \
    F(oxios_delivery, agent_id, 144, 16)          \
                                                  \
    S(oxios_exchange, 136)                        \
    F(oxios_exchange, size, 0, 4)                 \
    F(oxios_exchange, evaluation_passed, 4, 4)    \
    F(oxios_exchange, session_id, 8, 16)          \
    F(oxios_exchange, user_id, 24, 16)            \
    F(oxios_exchange, space_id, 40, 16)           \
    F(oxios_exchange, user_content, 56, 16)       \
    F(oxios_exchange, reply_content, 72, 16)      \
    F(oxios_exchange, seed_id, 88, 16)            \
    F(oxios_exchange, phase, 104, 16)             \
    F(oxios_exchange, user_time_us, 120, 8)       \
    F(oxios_exchange, reply_time_us, 128, 8)      \
                                                  \
    S(oxios_host_api, 208)                        \
    F(oxios_host_api, size, 0, 4)                 \
    F(oxios_host_api, abi_major, 4, 4)            \
    F(oxios_host_api, abi_minor, 8, 4)            \
    F(oxios_host_api, reserved0, 12, 4)           \
    F(oxios_host_api, log, 16, 8)                 \
    F(oxios_host_api, now_us, 24, 8)              \
    F(oxios_host_api, config_get, 32, 8)          \
    F(oxios_host_api, config_generation, 40, 8)   \
    F(oxios_host_api, route_add, 48, 8)           \
    F(oxios_host_api, respond, 56, 8)             \
    F(oxios_host_api, response_header, 64, 8)     \
    F(oxios_host_api, stream_write, 72, 8)        \
    F(oxios_host_api, stream_end, 80, 8)          \
    F(oxios_host_api, ws_send, 88, 8)             \
    F(oxios_host_api, ws_close, 96, 8)            \
    F(oxios_host_api, gateway_submit, 104, 8)     \
    F(oxios_host_api, gateway_call, 112, 8)       \
    F(oxios_host_api, session_get, 120, 8)        \
    F(oxios_host_api, session_append, 128, 8)     \
    F(oxios_host_api, session_list, 136, 8)       \
    F(oxios_host_api, session_delete, 144, 8)     \
    F(oxios_host_api, session_prune, 152, 8)      \
    F(oxios_host_api, events_subscribe, 160, 8)   \
    F(oxios_host_api, events_unsubscribe, 168, 8) \
    F(oxios_host_api, events_since, 176, 8)       \
    F(oxios_host_api, events_publish, 184, 8)     \
    F(oxios_host_api, token_check, 192, 8)        \
    F(oxios_host_api, call, 200, 8)               \
                                                  \
    S(oxios_plugin_api, 120)                      \
    F(oxios_plugin_api, size, 0, 4)               \
    F(oxios_plugin_api, reserved0, 4, 4)          \
    F(oxios_plugin_api, create, 8, 8)             \
    F(oxios_plugin_api, start, 16, 8)             \
    F(oxios_plugin_api, import_state, 24, 8)      \
    F(oxios_plugin_api, handle, 32, 8)            \
    F(oxios_plugin_api, stream_open, 40, 8)       \
    F(oxios_plugin_api, stream_close, 48, 8)      \
    F(oxios_plugin_api, ws_open, 56, 8)           \
    F(oxios_plugin_api, ws_message, 64, 8)        \
    F(oxios_plugin_api, ws_close, 72, 8)          \
    F(oxios_plugin_api, deliver, 80, 8)           \
    F(oxios_plugin_api, export_state, 88, 8)      \
    F(oxios_plugin_api, stop, 96, 8)              \
    F(oxios_plugin_api, destroy, 104, 8)          \
    F(oxios_plugin_api, stream_writable, 112, 8)  \
                                                  \
    S(oxios_plugin_descriptor, 56)                \
    F(oxios_plugin_descriptor, size, 0, 4)        \
    F(oxios_plugin_descriptor, abi_major, 4, 4)   \
    F(oxios_plugin_descriptor, abi_minor, 8, 4)   \
    F(oxios_plugin_descriptor, reserved0, 12, 4)  \
    F(oxios_plugin_descriptor, name, 16, 16)      \
    F(oxios_plugin_descriptor, version, 32, 16)   \
    F(oxios_plugin_descriptor, api, 48, 8)

/* Scalar typedefs and enum types whose size is part of the ABI. */
#define OXIOS_ABI_SCALAR_LAYOUT(T) \
    T(oxios_status, 4)             \
    T(oxios_route_kind, 4)         \
    T(oxios_delivery_kind, 4)      \
    T(oxios_close_reason, 4)       \
    T(oxios_sink, 8)               \
    T(oxios_delivery_fn, 8)        \
    T(oxios_event_fn, 8)           \
    T(oxios_plugin_entry_fn, 8)

/* Enumerator and macro values: wire-visible numbers, never renumbered. */
#define OXIOS_ABI_VALUES(E)     \
    E(OXIOS_ABI_MAJOR, 1)       \
    E(OXIOS_OK, 0)              \
    E(OXIOS_E_INVALID, 1)       \
    E(OXIOS_E_NOT_FOUND, 2)     \
    E(OXIOS_E_CONFLICT, 3)      \
    E(OXIOS_E_BUSY, 4)          \
    E(OXIOS_E_TIMEOUT, 5)       \
    E(OXIOS_E_UNSUPPORTED, 6)   \
    E(OXIOS_E_CLOSED, 7)        \
    E(OXIOS_E_DENIED, 8)        \
    E(OXIOS_E_TOO_LARGE, 9)     \
    E(OXIOS_E_IO, 10)           \
    E(OXIOS_E_UPSTREAM, 11)     \
    E(OXIOS_E_ABI, 12)          \
    E(OXIOS_E_INTERNAL, 13)     \
    E(OXIOS_ROUTE_PLAIN, 0)     \
    E(OXIOS_ROUTE_SSE, 1)       \
    E(OXIOS_ROUTE_WEBSOCKET, 2) \
    E(OXIOS_DELIVERY_TOKEN, 1)  \
    E(OXIOS_DELIVERY_REPLY, 2)  \
    E(OXIOS_DELIVERY_ERROR, 3)  \
    E(OXIOS_LOG_DEBUG, 0)       \
    E(OXIOS_LOG_INFO, 1)        \
    E(OXIOS_LOG_WARN, 2)        \
    E(OXIOS_LOG_ERROR, 3)       \
    E(OXIOS_OPEN_RESUMED, 1)    \
    E(OXIOS_CLOSE_PEER, 1)      \
    E(OXIOS_CLOSE_SHUTDOWN, 2)  \
    E(OXIOS_CLOSE_DETACHED, 3)  \
    E(OXIOS_CLOSE_ERROR, 4)     \
    E(OXIOS_CLOSE_BY_PLUGIN, 5)

/* The figures as the compiling language computes them, exported from the C
 * object so the C++ test can compare both compilers' views at run time. */
typedef struct oxios_layout_figure {
    const char* what; /* "sizeof(oxios_str)", "offsetof(oxios_str, ptr)", ... */
    size_t value;
} oxios_layout_figure;

#ifdef __cplusplus
extern "C" {
#endif
/* Implemented in layout_c99.c: *figures receives a static table; returns its
 * length. */
size_t oxios_abi_layout_c(const oxios_layout_figure** figures);
/* OXIOS_HAS(&req, oxios_request, remote_addr) evaluated by the C compiler for
 * a request whose size field is `size`. */
int oxios_abi_has_remote_addr_c(uint32_t size);
#ifdef __cplusplus
}
#endif

#endif /* OXIOS_TESTS_LAYOUT_FIGURES_H */
