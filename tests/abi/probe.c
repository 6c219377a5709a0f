/* The ABI probe: a tiny shared library whose exported functions use every
 * type and function-pointer type of oxios_plugin.h, so that libabigail's
 * abidw sees the whole ABI in its debug info. scripts/check-abi builds it
 * (cc -g -shared) and compares it with the baseline abi/oxios_plugin.abi. */
#include "oxios_plugin.h"

OXIOS_EXPORT oxios_status oxios_probe_basic(oxios_str s, oxios_sink sink, oxios_pair pair, oxios_host* host,
                                            oxios_response* resp) {
    (void)s, (void)sink, (void)pair, (void)host, (void)resp;
    return OXIOS_OK;
}

OXIOS_EXPORT void oxios_probe_routes(const oxios_request* req, const oxios_route* route, oxios_route_kind kind) {
    (void)req, (void)route, (void)kind;
}

OXIOS_EXPORT void oxios_probe_gateway(const oxios_chat_message* msg, const oxios_delivery* delivery,
                                      oxios_delivery_kind kind, oxios_delivery_fn fn, const oxios_exchange* ex,
                                      oxios_event_fn event_fn) {
    (void)msg, (void)delivery, (void)kind, (void)fn, (void)ex, (void)event_fn;
}

OXIOS_EXPORT void oxios_probe_apis(const oxios_host_api* host_api, const oxios_plugin_api* plugin_api,
                                   const oxios_plugin_descriptor* descriptor, oxios_plugin_entry_fn entry,
                                   oxios_close_reason reason) {
    (void)host_api, (void)plugin_api, (void)descriptor, (void)entry, (void)reason;
}
