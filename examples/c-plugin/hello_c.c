/* hello_c.so: the hello plugin in C99. One route, GET HELLO_PREFIX/{name}:
 * reads its greeting from the config through the ABI's `call`
 * ("config.get", section "hello"), answers {"message":"<greeting>, <name>!"}
 * and publishes a "hello.greeted" event. */
#include <oxios/oxios_plugin.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct hello {
    const oxios_host_api* api;
    oxios_host* host;
} hello;

/* A bounded string the sinks append to. */
typedef struct buffer {
    char data[4096];
    size_t len;
    int overflow;
} buffer;

static oxios_str str(const char* s, size_t len) {
    oxios_str r;
    r.ptr = s;
    r.len = len;
    return r;
}
static oxios_str cstr(const char* s) { return str(s, strlen(s)); }

static void append(void* user, const char* data, size_t len) {
    buffer* b = (buffer*)user;
    if (b->overflow || len >= sizeof b->data - b->len) {
        b->overflow = 1;
        return;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

/* Skips spaces, then expects `c`. */
static const char* expect(const char* p, char c) {
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') ++p;
    return *p == c ? p + 1 : NULL;
}

/* {"hello":{"greeting":"..."}} in the config (a string without escapes, so it
 * can go back into JSON as it is), else "Hello". A real plugin would use a
 * JSON parser. */
static void greeting(const hello* h, char* out, size_t cap) {
    buffer b; /* on the stack: handle() runs concurrently */
    const char *p, *end;
    b.len = 0;
    b.overflow = 0;
    b.data[0] = '\0';
    strcpy(out, "Hello");
    if (h->api->call(h->host, cstr("config.get"), cstr("{}"), append, &b) != OXIOS_OK || b.overflow) return;
    p = strstr(b.data, "\"hello\"");
    if (!p || !(p = expect(p + 7, ':')) || !(p = expect(p, '{'))) return;
    end = strchr(p, '}');
    p = strstr(p, "\"greeting\"");
    if (!p || !end || p > end || !(p = expect(p + 10, ':')) || !(p = expect(p, '"'))) return;
    end = strpbrk(p, "\"\\");
    if (!end || *end != '"' || (size_t)(end - p) >= cap) return;
    memcpy(out, p, (size_t)(end - p));
    out[end - p] = '\0';
}

/* Names are 1-64 letters, digits, '-' or '_': nothing to escape in JSON. */
static int valid_name(oxios_str name) {
    size_t i;
    if (name.len == 0 || name.len > 64) return 0;
    for (i = 0; i < name.len; ++i) {
        const unsigned char c = (unsigned char)name.ptr[i];
        if (!isalnum(c) && c != '-' && c != '_') return 0;
    }
    return 1;
}

static oxios_status reply(const hello* h, oxios_response* resp, int status, const char* json) {
    return h->api->respond(resp, status, cstr("application/json"), cstr(json));
}

/* --- plugin entry points (the host calls them) ------------------------- */

static oxios_status hello_create(const oxios_host_api* api, oxios_host* host, void** instance) {
    hello* h = (hello*)malloc(sizeof *h);
    if (!h) return OXIOS_E_INTERNAL;
    h->api = api;
    h->host = host;
    *instance = h;
    return OXIOS_OK;
}

static oxios_status hello_start(void* instance) {
    const hello* h = (const hello*)instance;
    oxios_route route;
    memset(&route, 0, sizeof route);
    route.size = sizeof route;
    route.kind = OXIOS_ROUTE_PLAIN;
    route.method = cstr("GET");
    route.pattern = cstr(HELLO_PREFIX "/{name}");
    return h->api->route_add(h->host, &route);
}

/* Concurrent: everything lives on this call's stack. */
static oxios_status hello_handle(void* instance, void* route_data, const oxios_request* req, oxios_response* resp) {
    const hello* h = (const hello*)instance;
    char greet[128], body[256], event[128];
    oxios_str name = str("", 0);
    (void)route_data;
    if (req->param_count == 1) name = req->params[0].value;
    if (!valid_name(name)) return reply(h, resp, 400, "{\"error\":\"name must be 1-64 letters, digits, '-' or '_'\"}");
    greeting(h, greet, sizeof greet);
    strcpy(event, "{\"name\":\"");
    strncat(event, name.ptr, name.len);
    strcat(event, "\"}");
    h->api->events_publish(h->host, cstr("hello.greeted"), cstr(event));
    strcpy(body, "{\"message\":\"");
    strcat(body, greet);
    strcat(body, ", ");
    strncat(body, name.ptr, name.len);
    strcat(body, "!\"}");
    return reply(h, resp, 200, body);
}

static oxios_status hello_stop(void* instance) {
    (void)instance;
    return OXIOS_OK;
}
static void hello_destroy(void* instance) { free(instance); }

static const oxios_plugin_api kApi = {sizeof(oxios_plugin_api),
                                      0,
                                      hello_create,
                                      hello_start,
                                      NULL,
                                      hello_handle,
                                      NULL,
                                      NULL,
                                      NULL,
                                      NULL,
                                      NULL,
                                      NULL,
                                      NULL,
                                      hello_stop,
                                      hello_destroy,
                                      NULL};

static const oxios_plugin_descriptor kDescriptor = {sizeof(oxios_plugin_descriptor),
                                                    OXIOS_ABI_MAJOR,
                                                    OXIOS_ABI_MINOR,
                                                    0,
                                                    {HELLO_NAME, sizeof(HELLO_NAME) - 1},
                                                    {HELLO_VERSION, sizeof(HELLO_VERSION) - 1},
                                                    &kApi};

OXIOS_EXPORT const oxios_plugin_descriptor* oxios_plugin_entry(void) { return &kDescriptor; }
