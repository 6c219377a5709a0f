// A small plugin that exercises the mock host harness itself (tests/harness_tests).
// Built as harness_test_plugin.so; it speaks only the C ABI (abi/oxios_plugin.h).
//
// Environment knobs read in start() (for the refusal tests):
//   OXIOS_TEST_DUP_ROUTE=fail    registers GET /hello twice, start fails on CONFLICT
//   OXIOS_TEST_DUP_ROUTE=ignore  registers it twice, ignores the CONFLICT
//   OXIOS_TEST_FAIL_START=1      start returns OXIOS_E_INTERNAL
#include "oxios_plugin.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#ifndef HARNESS_TEST_VERSION
#define HARNESS_TEST_VERSION "1.0.0"
#endif

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

std::string_view sv(oxios_str s) { return (s.ptr && s.len) ? std::string_view(s.ptr, s.len) : std::string_view(); }
oxios_str os(std::string_view s) { return oxios_str{s.data(), s.size()}; }
void put(Writer& w, std::string_view s) {
    w.String(s.empty() ? "" : s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

template <typename F>
std::string json(F&& f) {
    rapidjson::StringBuffer sb;
    Writer w(sb);
    f(w);
    return std::string(sb.GetString(), sb.GetSize());
}

void append_sink(void* user, const char* data, size_t len) { static_cast<std::string*>(user)->append(data, len); }

enum RouteId : uintptr_t {
    R_HELLO = 1,
    R_ITEM_PARAM,
    R_ITEM_LITERAL,
    R_FILES,
    R_ECHO,
    R_ANY_STAR,
    R_ANY_POST,
    R_TWICE,
    R_NORESPOND,
    R_FAIL,
    R_STALE_KEEP,
    R_STALE_USE,
    R_CHAT,
    R_CHAT_SYNC,
    R_DELIVERIES,
    R_CLOSES,
    R_STATE,
    R_PUBLISH,
    R_CONFIG,
    R_LATE_ROUTE,
    R_WS,
    R_EVENTS,
    R_SESSION_APPEND,
    R_SESSION_GET,
    R_SESSION_LIST,
    R_SESSION_DELETE,
    R_SESSION_PRUNE,
    R_TOKEN,
    R_CALL,
    R_LOG,
    R_NOW,
};

struct Plugin {
    const oxios_host_api* api = nullptr;
    oxios_host* host = nullptr;
    std::mutex mu;
    std::vector<std::string> deliveries;  // JSON objects
    std::vector<std::string> closes;      // JSON objects
    std::set<uint64_t> streams;
    uint64_t sub = 0;
    std::string imported;
    std::atomic<int> served{0};
    std::atomic<int> msg_counter{0};
    oxios_response* stale = nullptr;

    oxios_status respond(oxios_response* r, int status, const std::string& body,
                         std::string_view ct = "application/json") {
        return api->respond(r, status, os(ct), os(body));
    }
};

std::string query_param(const oxios_request* req, std::string_view name) {
    for (uint32_t i = 0; i < req->query_count; ++i)
        if (sv(req->query_params[i].name) == name) return std::string(sv(req->query_params[i].value));
    return {};
}

bool has_query(const oxios_request* req, std::string_view name) {
    for (uint32_t i = 0; i < req->query_count; ++i)
        if (sv(req->query_params[i].name) == name) return true;
    return false;
}

std::string param(const oxios_request* req, std::string_view name) {
    for (uint32_t i = 0; i < req->param_count; ++i)
        if (sv(req->params[i].name) == name) return std::string(sv(req->params[i].value));
    return {};
}

void on_event(void* user, uint64_t seq, const char* data, size_t len) {
    auto* p = static_cast<Plugin*>(user);
    const std::string frame = "id: " + std::to_string(seq) + "\ndata: " + std::string(data, len) + "\n\n";
    // Under the same lock as a stream's replay: a stream goes live only once
    // its replay is written, so a live event can never overtake the replay.
    std::lock_guard<std::mutex> lock(p->mu);
    for (uint64_t s : p->streams) p->api->stream_write(p->host, s, seq, os(frame));
}

struct Replay {
    Plugin* p;
    uint64_t stream;
};
void on_replay(void* user, uint64_t seq, const char* data, size_t len) {
    auto* r = static_cast<Replay*>(user);
    const std::string frame = "id: " + std::to_string(seq) + "\ndata: " + std::string(data, len) + "\n\n";
    r->p->api->stream_write(r->p->host, r->stream, seq, os(frame));
}

// ---------------------------------------------------------------------------
oxios_status p_create(const oxios_host_api* api, oxios_host* host, void** instance) {
    try {
        if (!api || api->size < sizeof(oxios_host_api) || api->abi_major != OXIOS_ABI_MAJOR) return OXIOS_E_ABI;
        auto* p = new Plugin;
        p->api = api;
        p->host = host;
        *instance = p;
        return OXIOS_OK;
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

oxios_status add(Plugin* p, uint32_t kind, const char* method, const char* pattern, RouteId id) {
    oxios_route r{};
    r.size = sizeof r;
    r.kind = kind;
    r.method = os(method);
    r.pattern = os(pattern);
    r.route_data = reinterpret_cast<void*>(static_cast<uintptr_t>(id));
    return p->api->route_add(p->host, &r);
}

oxios_status p_start(void* instance) {
    try {
        auto* p = static_cast<Plugin*>(instance);
        const char* fail_start = std::getenv("OXIOS_TEST_FAIL_START");
        if (fail_start && std::strcmp(fail_start, "1") == 0) return OXIOS_E_INTERNAL;
        struct R {
            uint32_t kind;
            const char* method;
            const char* pattern;
            RouteId id;
        };
        static const R routes[] = {
            {OXIOS_ROUTE_PLAIN, "GET", "/hello", R_HELLO},
            {OXIOS_ROUTE_PLAIN, "GET", "/items/{id}", R_ITEM_PARAM},
            {OXIOS_ROUTE_PLAIN, "GET", "/items/special", R_ITEM_LITERAL},
            {OXIOS_ROUTE_PLAIN, "GET", "/files/{*path}", R_FILES},
            {OXIOS_ROUTE_PLAIN, "GET", "/echo", R_ECHO},
            {OXIOS_ROUTE_PLAIN, "POST", "/echo", R_ECHO},
            {OXIOS_ROUTE_PLAIN, "*", "/any", R_ANY_STAR},
            {OXIOS_ROUTE_PLAIN, "POST", "/any", R_ANY_POST},
            {OXIOS_ROUTE_PLAIN, "POST", "/twice", R_TWICE},
            {OXIOS_ROUTE_PLAIN, "GET", "/norespond", R_NORESPOND},
            {OXIOS_ROUTE_PLAIN, "GET", "/fail", R_FAIL},
            {OXIOS_ROUTE_PLAIN, "GET", "/stale/keep", R_STALE_KEEP},
            {OXIOS_ROUTE_PLAIN, "GET", "/stale/use", R_STALE_USE},
            {OXIOS_ROUTE_PLAIN, "POST", "/chat", R_CHAT},
            {OXIOS_ROUTE_PLAIN, "POST", "/chat/sync", R_CHAT_SYNC},
            {OXIOS_ROUTE_PLAIN, "GET", "/deliveries", R_DELIVERIES},
            {OXIOS_ROUTE_PLAIN, "GET", "/closes", R_CLOSES},
            {OXIOS_ROUTE_PLAIN, "GET", "/state", R_STATE},
            {OXIOS_ROUTE_PLAIN, "POST", "/publish", R_PUBLISH},
            {OXIOS_ROUTE_PLAIN, "GET", "/config", R_CONFIG},
            {OXIOS_ROUTE_PLAIN, "GET", "/late-route", R_LATE_ROUTE},
            {OXIOS_ROUTE_WEBSOCKET, "GET", "/ws", R_WS},
            {OXIOS_ROUTE_SSE, "GET", "/events", R_EVENTS},
            {OXIOS_ROUTE_PLAIN, "POST", "/sessions", R_SESSION_APPEND},
            {OXIOS_ROUTE_PLAIN, "GET", "/sessions/{id}", R_SESSION_GET},
            {OXIOS_ROUTE_PLAIN, "GET", "/sessions", R_SESSION_LIST},
            {OXIOS_ROUTE_PLAIN, "DELETE", "/sessions/{id}", R_SESSION_DELETE},
            {OXIOS_ROUTE_PLAIN, "POST", "/sessions/prune", R_SESSION_PRUNE},
            {OXIOS_ROUTE_PLAIN, "GET", "/token", R_TOKEN},
            {OXIOS_ROUTE_PLAIN, "POST", "/call/{method}", R_CALL},
            {OXIOS_ROUTE_PLAIN, "POST", "/log", R_LOG},
            {OXIOS_ROUTE_PLAIN, "GET", "/now", R_NOW},
        };
        for (const auto& r : routes) {
            const oxios_status st = add(p, r.kind, r.method, r.pattern, r.id);
            if (st != OXIOS_OK) return st;
        }
        if (const char* dup = std::getenv("OXIOS_TEST_DUP_ROUTE")) {
            // Same shape, other parameter name: still a conflict.
            const oxios_status st = add(p, OXIOS_ROUTE_PLAIN, "GET", "/items/{other}", R_ITEM_PARAM);
            if (std::strcmp(dup, "fail") == 0 && st != OXIOS_OK) return st;
        }
        return p->api->events_subscribe(p->host, on_event, p, &p->sub);
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

oxios_status p_import_state(void* instance, const char* data, size_t len) {
    try {
        auto* p = static_cast<Plugin*>(instance);
        std::lock_guard<std::mutex> lock(p->mu);
        p->imported.assign(data ? data : "", data ? len : 0);
        return OXIOS_OK;
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

oxios_status p_export_state(void* instance, oxios_sink sink, void* user) {
    try {
        auto* p = static_cast<Plugin*>(instance);
        const std::string blob = "served=" + std::to_string(p->served.load());
        sink(user, blob.data(), blob.size());
        return OXIOS_OK;
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

oxios_status handle_chat(Plugin* p, const oxios_request* req, oxios_response* resp, bool sync) {
    rapidjson::Document d;
    d.Parse(req->body.ptr ? req->body.ptr : "", req->body.len);
    if (d.HasParseError() || !d.IsObject() || !d.HasMember("content") || !d["content"].IsString())
        return p->respond(resp, 400, json([](Writer& w) {
                              w.StartObject();
                              w.Key("error");
                              w.String("content required");
                              w.EndObject();
                          }));
    auto get = [&](const char* k) -> std::string {
        return d.HasMember(k) && d[k].IsString() ? std::string(d[k].GetString(), d[k].GetStringLength())
                                                 : std::string();
    };
    const std::string id = get("id").empty() ? "m-" + std::to_string(++p->msg_counter) : get("id");
    const std::string content = get("content"), session = get("session_id"), user = "tester";
    oxios_chat_message m{};
    m.size = sizeof m;
    m.id = os(id);
    m.content = os(content);
    m.user_id = os(user);
    m.session_id = os(session);
    if (!sync) {
        const oxios_status st = p->api->gateway_submit(p->host, &m);
        return p->respond(resp, st == OXIOS_OK ? 202 : 503, json([&](Writer& w) {
                              w.StartObject();
                              w.Key("status");
                              w.Int(st);
                              w.Key("id");
                              put(w, id);
                              w.EndObject();
                          }));
    }
    struct Got {
        std::string content, session;
        uint32_t kind = 0;
    } got;
    const uint32_t timeout = static_cast<uint32_t>(std::strtoul(query_param(req, "timeout").c_str(), nullptr, 10));
    const oxios_status st = p->api->gateway_call(
        p->host, &m, timeout,
        [](void* u, const oxios_delivery* dl) {
            auto* g = static_cast<Got*>(u);
            g->content.assign(sv(dl->content));
            g->session.assign(sv(dl->session_id));
            g->kind = dl->kind;
        },
        &got);
    return p->respond(resp, 200, json([&](Writer& w) {
                          w.StartObject();
                          w.Key("status");
                          w.Int(st);
                          w.Key("kind");
                          w.Uint(got.kind);
                          w.Key("reply");
                          put(w, got.content);
                          w.Key("session_id");
                          put(w, got.session);
                          w.EndObject();
                      }));
}

oxios_status p_handle(void* instance, void* route_data, const oxios_request* req, oxios_response* resp) {
    try {
        auto* p = static_cast<Plugin*>(instance);
        ++p->served;
        const auto id = static_cast<RouteId>(reinterpret_cast<uintptr_t>(route_data));
        auto simple = [&](const char* key, std::string_view value) {
            return p->respond(resp, 200, json([&](Writer& w) {
                                  w.StartObject();
                                  w.Key(key);
                                  put(w, value);
                                  w.EndObject();
                              }));
        };
        switch (id) {
            case R_HELLO:
                return p->respond(resp, 200, json([](Writer& w) {
                                      w.StartObject();
                                      w.Key("hello");
                                      w.String("world");
                                      w.Key("version");
                                      w.String(HARNESS_TEST_VERSION);
                                      w.EndObject();
                                  }));
            case R_ITEM_PARAM:
                return p->respond(resp, 200, json([&](Writer& w) {
                                      w.StartObject();
                                      w.Key("route");
                                      w.String("param");
                                      w.Key("id");
                                      put(w, param(req, "id"));
                                      w.EndObject();
                                  }));
            case R_ITEM_LITERAL:
                return simple("route", "literal");
            case R_FILES:
                return p->respond(resp, 200, json([&](Writer& w) {
                                      w.StartObject();
                                      w.Key("route");
                                      w.String("rest");
                                      w.Key("path");
                                      put(w, param(req, "path"));
                                      w.EndObject();
                                  }));
            case R_ECHO:
                return p->respond(resp, 200, json([&](Writer& w) {
                                      w.StartObject();
                                      w.Key("method");
                                      put(w, sv(req->method));
                                      w.Key("path");
                                      put(w, sv(req->path));
                                      w.Key("raw_target");
                                      put(w, sv(req->raw_target));
                                      w.Key("query");
                                      put(w, sv(req->query));
                                      w.Key("body");
                                      put(w, sv(req->body));
                                      w.Key("remote_addr");
                                      put(w, sv(req->remote_addr));
                                      w.Key("remote_port");
                                      w.Uint(req->remote_port);
                                      w.Key("route_kind");
                                      w.Uint(req->route_kind);
                                      w.Key("query_params");
                                      w.StartArray();
                                      for (uint32_t i = 0; i < req->query_count; ++i) {
                                          w.StartArray();
                                          put(w, sv(req->query_params[i].name));
                                          put(w, sv(req->query_params[i].value));
                                          w.EndArray();
                                      }
                                      w.EndArray();
                                      w.Key("headers");
                                      w.StartArray();
                                      for (uint32_t i = 0; i < req->header_count; ++i) {
                                          w.StartArray();
                                          put(w, sv(req->headers[i].name));
                                          put(w, sv(req->headers[i].value));
                                          w.EndArray();
                                      }
                                      w.EndArray();
                                      w.EndObject();
                                  }));
            case R_ANY_STAR:
                return simple("route", "star");
            case R_ANY_POST:
                return simple("route", "post");
            case R_TWICE: {
                const oxios_status first = p->respond(resp, 200, "{\"first\":true}");
                const oxios_status second = p->respond(resp, 201, "{\"second\":true}");
                p->api->response_header(resp, os("x-first"), os(std::to_string(first)));
                p->api->response_header(resp, os("x-second"), os(std::to_string(second)));
                return OXIOS_OK;
            }
            case R_NORESPOND:
                return OXIOS_OK;
            case R_FAIL:
                return OXIOS_E_INTERNAL;
            case R_STALE_KEEP: {
                {
                    std::lock_guard<std::mutex> lock(p->mu);
                    p->stale = resp;
                }
                return simple("kept", "yes");
            }
            case R_STALE_USE: {
                oxios_response* stale;
                {
                    std::lock_guard<std::mutex> lock(p->mu);
                    stale = p->stale;
                }
                const oxios_status a = p->api->respond(stale, 200, os("text/plain"), os("late"));
                const oxios_status b = p->api->response_header(stale, os("x-late"), os("1"));
                return p->respond(resp, 200, json([&](Writer& w) {
                                      w.StartObject();
                                      w.Key("respond");
                                      w.Int(a);
                                      w.Key("header");
                                      w.Int(b);
                                      w.EndObject();
                                  }));
            }
            case R_CHAT:
                return handle_chat(p, req, resp, false);
            case R_CHAT_SYNC:
                return handle_chat(p, req, resp, true);
            case R_DELIVERIES:
            case R_CLOSES: {
                std::vector<std::string> items;
                {
                    std::lock_guard<std::mutex> lock(p->mu);
                    items = id == R_DELIVERIES ? p->deliveries : p->closes;
                }
                rapidjson::Document out(rapidjson::kObjectType);
                rapidjson::Value arr(rapidjson::kArrayType);
                for (const auto& s : items) {
                    rapidjson::Document item;
                    item.Parse(s.c_str());
                    arr.PushBack(rapidjson::Value(item, out.GetAllocator()), out.GetAllocator());
                }
                out.AddMember("items", arr, out.GetAllocator());
                rapidjson::StringBuffer sb;
                Writer w(sb);
                out.Accept(w);
                return p->respond(resp, 200, sb.GetString());
            }
            case R_STATE: {
                std::string imported;
                {
                    std::lock_guard<std::mutex> lock(p->mu);
                    imported = p->imported;
                }
                return p->respond(resp, 200, json([&](Writer& w) {
                                      w.StartObject();
                                      w.Key("imported");
                                      put(w, imported);
                                      w.Key("version");
                                      w.String(HARNESS_TEST_VERSION);
                                      w.EndObject();
                                  }));
            }
            case R_PUBLISH: {
                const oxios_status st = p->api->events_publish(p->host, os(query_param(req, "type")), req->body);
                return p->respond(resp, st == OXIOS_OK ? 200 : 400, json([&](Writer& w) {
                                      w.StartObject();
                                      w.Key("status");
                                      w.Int(st);
                                      w.EndObject();
                                  }));
            }
            case R_CONFIG: {
                std::string value;
                const oxios_status st = p->api->config_get(p->host, os(query_param(req, "key")), append_sink, &value);
                return p->respond(resp, 200, json([&](Writer& w) {
                                      w.StartObject();
                                      w.Key("status");
                                      w.Int(st);
                                      w.Key("value");
                                      put(w, value);
                                      w.Key("generation");
                                      w.Uint64(p->api->config_generation(p->host));
                                      w.EndObject();
                                  }));
            }
            case R_LATE_ROUTE: {
                const oxios_status st = add(p, OXIOS_ROUTE_PLAIN, "GET", "/too-late", R_HELLO);
                return p->respond(resp, 200, json([&](Writer& w) {
                                      w.StartObject();
                                      w.Key("status");
                                      w.Int(st);
                                      w.EndObject();
                                  }));
            }
            case R_SESSION_APPEND: {
                // Body: {"session_id","user_id","space_id","user","reply","seed_id","phase",
                //        "passed" (1/0/-1),"user_us","reply_us"}
                rapidjson::Document d;
                d.Parse(req->body.ptr ? req->body.ptr : "", req->body.len);
                if (d.HasParseError() || !d.IsObject()) return p->respond(resp, 400, "{\"error\":\"bad json\"}");
                auto s = [&](const char* k) -> oxios_str {
                    return d.HasMember(k) && d[k].IsString() ? oxios_str{d[k].GetString(), d[k].GetStringLength()}
                                                             : oxios_str{nullptr, 0};
                };
                auto i = [&](const char* k, int64_t def) -> int64_t {
                    return d.HasMember(k) && d[k].IsInt64() ? d[k].GetInt64() : def;
                };
                oxios_exchange ex{};
                ex.size = sizeof ex;
                ex.evaluation_passed = static_cast<int32_t>(i("passed", -1));
                ex.session_id = s("session_id");
                ex.user_id = s("user_id");
                ex.space_id = s("space_id");
                ex.user_content = s("user");
                ex.reply_content = s("reply");
                ex.seed_id = s("seed_id");
                ex.phase = s("phase");
                ex.user_time_us = i("user_us", 0);
                ex.reply_time_us = i("reply_us", 0);
                const oxios_status st = p->api->session_append(p->host, &ex);
                return p->respond(resp, 200, json([&](Writer& w) {
                                      w.StartObject();
                                      w.Key("status");
                                      w.Int(st);
                                      w.EndObject();
                                  }));
            }
            case R_SESSION_GET:
            case R_SESSION_LIST:
            case R_SESSION_DELETE:
            case R_SESSION_PRUNE:
            case R_TOKEN:
            case R_CALL:
            case R_NOW: {
                // Answers {"status":N,"out":"<what the host wrote>"}.
                std::string out;
                oxios_status st = OXIOS_OK;
                const std::string sid = param(req, "id");
                if (id == R_SESSION_GET) {
                    st = p->api->session_get(p->host, os(sid), append_sink, &out);
                } else if (id == R_SESSION_LIST) {
                    const auto page =
                        static_cast<uint32_t>(std::strtoul(query_param(req, "page").c_str(), nullptr, 10));
                    const auto limit =
                        static_cast<uint32_t>(std::strtoul(query_param(req, "limit").c_str(), nullptr, 10));
                    st = p->api->session_list(p->host, page, limit, append_sink, &out);
                } else if (id == R_SESSION_DELETE) {
                    st = p->api->session_delete(p->host, os(sid));
                } else if (id == R_SESSION_PRUNE) {
                    st = p->api->session_prune(p->host, has_query(req, "force") ? 1 : 0, append_sink, &out);
                } else if (id == R_TOKEN) {
                    st = p->api->token_check(p->host, os(query_param(req, "t")));
                } else if (id == R_CALL) {
                    const std::string method = param(req, "method");
                    st = p->api->call(p->host, os(method), req->body, append_sink, &out);
                } else {
                    out = std::to_string(p->api->now_us(p->host));
                }
                return p->respond(resp, 200, json([&](Writer& w) {
                                      w.StartObject();
                                      w.Key("status");
                                      w.Int(st);
                                      w.Key("out");
                                      put(w, out);
                                      w.EndObject();
                                  }));
            }
            case R_LOG: {
                const auto level = static_cast<int32_t>(std::strtol(query_param(req, "level").c_str(), nullptr, 10));
                p->api->log(p->host, level, req->body);
                return simple("logged", "yes");
            }
            case R_WS:
            case R_EVENTS:
                // Admission: ?deny refuses, anything else is admitted.
                if (has_query(req, "deny")) return p->respond(resp, 403, "{\"error\":\"denied\"}");
                p->api->response_header(resp, os("x-admitted"), os("yes"));
                return OXIOS_OK;
        }
        return p->respond(resp, 500, "{\"error\":\"unknown route\"}");
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

oxios_status p_stream_open(void* instance, void*, uint64_t stream, const oxios_request* req, uint64_t last_seq,
                           uint32_t flags) {
    try {
        auto* p = static_cast<Plugin*>(instance);
        std::lock_guard<std::mutex> lock(p->mu);
        const bool resumed = (flags & OXIOS_OPEN_RESUMED) != 0;
        const std::string hello = ": open resumed=" + std::to_string(resumed ? 1 : 0) +
                                  " last=" + std::to_string(last_seq) + " path=" + std::string(sv(req->path)) + "\n\n";
        p->api->stream_write(p->host, stream, 0, os(hello));
        // On resume, replay the whole buffer on purpose: the host must drop
        // every seq it already wrote, so the client sees no repeat.
        Replay r{p, stream};
        uint64_t missed = 0;
        p->api->events_since(p->host, resumed ? 0 : last_seq, on_replay, &r, &missed);
        p->streams.insert(stream);
        return OXIOS_OK;
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

void record_close(Plugin* p, const char* kind, uint64_t id, uint32_t reason, uint16_t code) {
    const std::string s = json([&](Writer& w) {
        w.StartObject();
        w.Key("kind");
        w.String(kind);
        w.Key("id");
        w.Uint64(id);
        w.Key("reason");
        w.Uint(reason);
        w.Key("code");
        w.Uint(code);
        w.EndObject();
    });
    std::lock_guard<std::mutex> lock(p->mu);
    p->closes.push_back(s);
}

void p_stream_close(void* instance, uint64_t stream, uint32_t reason) {
    try {
        auto* p = static_cast<Plugin*>(instance);
        {
            std::lock_guard<std::mutex> lock(p->mu);
            p->streams.erase(stream);
        }
        record_close(p, "sse", stream, reason, 0);
    } catch (...) {
    }
}

oxios_status p_ws_open(void* instance, void*, uint64_t ws, const oxios_request* req, uint32_t flags) {
    try {
        auto* p = static_cast<Plugin*>(instance);
        std::string imported;
        {
            std::lock_guard<std::mutex> lock(p->mu);
            imported = p->imported;
        }
        const std::string hello = json([&](Writer& w) {
            w.StartObject();
            w.Key("type");
            w.String("hello");
            w.Key("resumed");
            w.Bool((flags & OXIOS_OPEN_RESUMED) != 0);
            w.Key("version");
            w.String(HARNESS_TEST_VERSION);
            w.Key("imported");
            put(w, imported);
            w.Key("path");
            put(w, sv(req->path));
            w.Key("query");
            put(w, sv(req->query));
            w.EndObject();
        });
        return p->api->ws_send(p->host, ws, os(hello));
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

void p_ws_message(void* instance, uint64_t ws, const char* data, size_t len, int32_t) {
    try {
        auto* p = static_cast<Plugin*>(instance);
        const std::string_view text(data, len);
        if (text == "close") {
            p->api->ws_close(p->host, ws, 4000, os("bye"));
            return;
        }
        if (text.substr(0, 5) == "chat:") {
            const std::string id = "ws-" + std::to_string(++p->msg_counter);
            const std::string content(text.substr(5));
            oxios_chat_message m{};
            m.size = sizeof m;
            m.id = os(id);
            m.content = os(content);
            m.user_id = os("web-user");
            m.connection = ws;
            p->api->gateway_submit(p->host, &m);
            return;
        }
        const std::string reply = json([&](Writer& w) {
            w.StartObject();
            w.Key("type");
            w.String("echo");
            w.Key("text");
            put(w, text);
            w.Key("version");
            w.String(HARNESS_TEST_VERSION);
            w.EndObject();
        });
        p->api->ws_send(p->host, ws, os(reply));
    } catch (...) {
    }
}

void p_ws_close(void* instance, uint64_t ws, uint16_t code, uint32_t reason) {
    try {
        record_close(static_cast<Plugin*>(instance), "ws", ws, reason, code);
    } catch (...) {
    }
}

void p_deliver(void* instance, const oxios_delivery* d) {
    try {
        auto* p = static_cast<Plugin*>(instance);
        const char* kind = d->kind == OXIOS_DELIVERY_TOKEN   ? "token"
                           : d->kind == OXIOS_DELIVERY_REPLY ? "done"
                                                             : "error";
        const std::string s = json([&](Writer& w) {
            w.StartObject();
            w.Key("type");
            w.String(kind);
            w.Key("id");
            put(w, sv(d->message->id));
            w.Key("message_content");
            put(w, sv(d->message->content));
            w.Key("content");
            put(w, sv(d->content));
            w.Key("session_id");
            put(w, sv(d->session_id));
            w.Key("error");
            w.Int(d->error);
            w.Key("version");
            w.String(HARNESS_TEST_VERSION);
            w.EndObject();
        });
        {
            std::lock_guard<std::mutex> lock(p->mu);
            p->deliveries.push_back(s);
        }
        if (d->message->connection != 0) p->api->ws_send(p->host, d->message->connection, os(s));
    } catch (...) {
    }
}

oxios_status p_stop(void* instance) {
    try {
        auto* p = static_cast<Plugin*>(instance);
        if (p->sub) p->api->events_unsubscribe(p->host, p->sub);
        p->sub = 0;
        return OXIOS_OK;
    } catch (...) {
        return OXIOS_E_INTERNAL;
    }
}

void p_destroy(void* instance) { delete static_cast<Plugin*>(instance); }

const oxios_plugin_api kApi = {
    sizeof(oxios_plugin_api),
    0,
    p_create,
    p_start,
    p_import_state,
    p_handle,
    p_stream_open,
    p_stream_close,
    p_ws_open,
    p_ws_message,
    p_ws_close,
    p_deliver,
    p_export_state,
    p_stop,
    p_destroy,
};

const char kName[] = "harness-test";
const char kVersion[] = HARNESS_TEST_VERSION;

const oxios_plugin_descriptor kDescriptor = {
    sizeof(oxios_plugin_descriptor),  OXIOS_ABI_MAJOR, OXIOS_ABI_MINOR, 0, {kName, sizeof(kName) - 1},
    {kVersion, sizeof(kVersion) - 1}, &kApi,
};

}  // namespace

extern "C" OXIOS_EXPORT const oxios_plugin_descriptor* oxios_plugin_entry(void) { return &kDescriptor; }
