// hello.so: an Oxios plugin with one route, GET /api/hello/{name}. It reads
// its greeting from the host's config through the ABI's generic `call`
// ("config.get", section "hello"), answers {"message":"<greeting>, <name>!"}
// and publishes a "hello.greeted" event on the kernel's bus.
#include <oxios/oxios_plugin.h>

#include <cctype>
#include <new>
#include <regex>
#include <string>
#include <string_view>

namespace {

oxios_str str(std::string_view s) { return {s.data(), s.size()}; }

// What create() receives; the host keeps both valid until destroy() returns.
struct Hello {
    const oxios_host_api* api;
    oxios_host* host;
};

void append(void* user, const char* data, size_t len) { static_cast<std::string*>(user)->append(data, len); }

// {"hello":{"greeting":"..."}} in the config, else "Hello". A real plugin
// would use a JSON parser; this pattern reads a flat section and a string
// without escapes, so the value can go back into JSON as it is.
std::string greeting(const Hello& h) {
    std::string config;
    if (h.api->call(h.host, str("config.get"), str("{}"), append, &config) != OXIOS_OK) return "Hello";
    static const std::regex pattern(R"re("hello"\s*:\s*\{[^{}]*"greeting"\s*:\s*"([^"\\]*)")re");
    std::smatch m;
    return std::regex_search(config, m, pattern) ? m[1].str() : "Hello";
}

// Names are 1-64 letters, digits, '-' or '_': nothing to escape in JSON.
bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
    return true;
}

oxios_status reply(const Hello& h, oxios_response* resp, int status, const std::string& json) {
    return h.api->respond(resp, status, str("application/json"), str(json));
}

// --- plugin entry points (the host calls them) ---------------------------

oxios_status hello_create(const oxios_host_api* api, oxios_host* host, void** instance) {
    // Nothing may throw across the ABI: allocation failure is a status.
    auto* h = new (std::nothrow) Hello{api, host};
    if (!h) return OXIOS_E_INTERNAL;
    *instance = h;
    return OXIOS_OK;
}

oxios_status hello_start(void* instance) {
    auto* h = static_cast<Hello*>(instance);
    oxios_route route{};
    route.size = sizeof route;
    route.kind = OXIOS_ROUTE_PLAIN;
    route.method = str("GET");
    route.pattern = str("/api/hello/{name}");
    return h->api->route_add(h->host, &route);  // CONFLICT when another plugin has it
}

oxios_status hello_handle(void* instance, void*, const oxios_request* req, oxios_response* resp) try {
    const auto& h = *static_cast<Hello*>(instance);
    const std::string_view name =
        req->param_count == 1 ? std::string_view(req->params[0].value.ptr, req->params[0].value.len) : "";
    if (!valid_name(name)) return reply(h, resp, 400, R"({"error":"name must be 1-64 letters, digits, '-' or '_'"})");
    const std::string who(name);
    h.api->events_publish(h.host, str("hello.greeted"), str(R"({"name":")" + who + "\"}"));
    return reply(h, resp, 200, R"({"message":")" + greeting(h) + ", " + who + "!\"}");
} catch (...) {
    return OXIOS_E_INTERNAL;  // the host answers 500
}

oxios_status hello_stop(void*) { return OXIOS_OK; }
void hello_destroy(void* instance) { delete static_cast<Hello*>(instance); }

const oxios_plugin_api kApi = [] {
    oxios_plugin_api api{};
    api.size = sizeof api;
    api.create = hello_create;
    api.start = hello_start;
    api.handle = hello_handle;
    api.stop = hello_stop;
    api.destroy = hello_destroy;
    return api;
}();

const oxios_plugin_descriptor kDescriptor = {sizeof(oxios_plugin_descriptor),
                                             OXIOS_ABI_MAJOR,
                                             OXIOS_ABI_MINOR,
                                             0,
                                             {"hello", 5},
                                             {HELLO_VERSION, sizeof(HELLO_VERSION) - 1},
                                             &kApi};

}  // namespace

extern "C" OXIOS_EXPORT const oxios_plugin_descriptor* oxios_plugin_entry(void) { return &kDescriptor; }
