// The HTTP routes of the harness test plugin: p_handle dispatches on the RouteId.
#include "echo_plugin.hpp"

#include <rapidjson/document.h>

#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

namespace echo_plugin {
namespace {

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

}  // namespace

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
                                      put_pairs(w, req->query_params, req->query_count);
                                      w.Key("headers");
                                      put_pairs(w, req->headers, req->header_count);
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

}  // namespace echo_plugin
