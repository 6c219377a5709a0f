// libFuzzer target: one HTTP request into web_plugin.so through the mock
// harness (no sockets), the way the host would dispatch it.
//
// Input (text-like, so the checked-in corpus stays readable):
//   byte 0        flags: bit0 auth on (token "fuzz-token"), bit1 tight rate
//                 limit, bit2 other config (CORS list, ws user, no auto-prune),
//                 bit3 open as a WebSocket (then the body is sent as a frame),
//                 bit4 open as an SSE stream, bits5-7 the status every
//                 scripted host call answers with (0 = OK).
//   "METHOD TARGET\n"
//   "Name: value\n" ...   headers, up to an empty line
//   body                  up to the first NUL
//   host answer           the rest: what every scripted host call returns
//                         ("{}" when absent)
//
// Checked besides sanitizer reports: a protected /api/ route never answers
// 2xx/101 without the token when auth is on (R7), the plugin always responds
// (no "handler did not respond"; no exception across the ABI, checked in the
// harness's log every 1000 runs).
#include "fuzz_common.hpp"
#include "harness_util.hpp"
#include "mock_host.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

using oxios::harness::Headers;
using oxios::harness::MockHost;
using oxios::harness::Request;
using oxios::harness::Response;

namespace {

constexpr const char* kToken = "fuzz-token";
constexpr int64_t kStartUs = 1'780'000'000'000'000;  // 2026-05-28

constexpr std::array<const char*, 37> kMethods = {"agents.kill",         "agents.list",
                                                  "approvals.approve",   "approvals.list",
                                                  "approvals.reject",    "config.get",
                                                  "config.put",          "engine.config",
                                                  "engine.models",       "engine.provider_models",
                                                  "engine.providers",    "engine.set_api_key",
                                                  "engine.set_model",    "engine.set_provider_options",
                                                  "engine.validate_key", "memory.create",
                                                  "memory.get",          "memory.list",
                                                  "memory.search",       "memory.semantic",
                                                  "seeds.evolution",     "seeds.get",
                                                  "seeds.list",          "skills.content",
                                                  "skills.create",       "skills.delete",
                                                  "skills.disable",      "skills.enable",
                                                  "skills.get",          "skills.list",
                                                  "spaces.activate",     "spaces.archive",
                                                  "spaces.get",          "spaces.list",
                                                  "system.components",   "system.metrics",
                                                  "system.status"};
constexpr std::array<oxios_status, 8> kStatuses = {OXIOS_OK,       OXIOS_E_NOT_FOUND,  OXIOS_E_INVALID,
                                                   OXIOS_E_DENIED, OXIOS_E_UPSTREAM,   OXIOS_E_INTERNAL,
                                                   OXIOS_E_BUSY,   OXIOS_E_UNSUPPORTED};

struct Answer {
    std::mutex mu;
    oxios_status status = OXIOS_OK;
    std::string text = "{}";
};
Answer g_answer;

// One host and one plugin load for the whole run: libFuzzer cannot follow
// an instrumented module that is unloaded (its counters go away), so the
// plugin is loaded once, before fuzzing starts, and never unloaded; the
// harness's records are cleared now and then instead.
MockHost* g_host = nullptr;
uint64_t g_runs = 0;
int g_config = -1;  // flags of the config in place
constexpr uint64_t kClearEvery = 1000;

std::string config_for(int flags) {
    std::string c = R"({"web":{"ui_dir":")" + oxios_fuzz::ui_dir() + R"("},"security":{)";
    c += (flags & 1) ? R"("auth_enabled":true,"api_keys":["fuzz-token"],)" : R"("auth_enabled":false,)";
    c += (flags & 2) ? R"("rate_limit_per_minute":3)" : R"("rate_limit_per_minute":0)";
    if (flags & 4)
        c += R"(,"cors_origins":["http://evil.example","null","*"]},"session":{"auto_prune":false,"max_sessions":2},)"
             R"("gateway":{"reply_timeout_secs":1},"channels":{"enabled":[]}})";
    else
        c += "}}";
    return c;
}

void check_logs() {
    for (const auto& l : g_host->logs())
        if (l.message.find("threw across the ABI") != std::string::npos)
            oxios_fuzz::fail("an exception crossed the ABI (input among the last runs)", l.message);
    g_host->clear_records();
}

MockHost& host(int config_flags) {
    if (g_runs % kClearEvery == 0) check_logs();
    if (config_flags != g_config) {
        g_host->set_config(config_for(config_flags));
        g_config = config_flags;
    }
    return *g_host;
}

std::string_view trim_cr(std::string_view s) {
    if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
    return s;
}

bool api_path(const std::string& target) {
    oxios::harness::detail::Target t;
    std::string error;
    if (!oxios::harness::detail::parse_target(target, t, error)) return false;
    return t.path.rfind("/api/", 0) == 0;
}

void check(const Request& r, const Response& resp, bool auth_on, bool token_sent) {
    if (resp.status == 500 && resp.body.find("handler did not respond") != std::string::npos)
        oxios_fuzz::fail("plugin did not respond", r.method + " " + r.target);
    const bool ok = (resp.status >= 200 && resp.status < 300) || resp.status == 101;
    if (auth_on && !token_sent && ok && r.method != "OPTIONS" && api_path(r.target))
        oxios_fuzz::fail("protected route answered without a token", r.method + " " + r.target);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    g_host = new MockHost();  // never deleted (see above)
    g_host->set_now_us(kStartUs);
    g_host->set_tokens({kToken});
    for (const char* m : kMethods) {
        g_host->set_call(m, [](const std::string&) {
            std::lock_guard lock(g_answer.mu);
            return std::make_pair(g_answer.status, g_answer.text);
        });
    }
    g_host->load(oxios_fuzz::plugin_path());
    oxios_fuzz::pin_loaded(g_host->plugin_copy_path());
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) return 0;
    const int flags = data[0];
    std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

    Request r;
    std::string_view line = trim_cr(oxios_fuzz::take_until(in, '\n'));
    r.method = std::string(oxios_fuzz::take_until(line, ' '));
    r.target = std::string(line);
    while (!in.empty()) {
        std::string_view h = trim_cr(oxios_fuzz::take_until(in, '\n'));
        if (h.empty()) break;
        std::string_view name = oxios_fuzz::take_until(h, ':');
        if (!h.empty() && h.front() == ' ') h.remove_prefix(1);
        r.headers.emplace_back(std::string(name), std::string(h));
    }
    const bool has_answer = in.find('\0') != std::string_view::npos;
    r.body = std::string(oxios_fuzz::take_until(in, '\0'));
    {
        std::lock_guard lock(g_answer.mu);
        g_answer.status = kStatuses[static_cast<size_t>(flags >> 5) & 7];
        g_answer.text = has_answer ? std::string(in) : std::string("{}");
    }

    const bool auth_on = (flags & 1) != 0;
    bool token_sent = r.target.find(kToken) != std::string::npos;
    for (const auto& [n, v] : r.headers) token_sent = token_sent || v.find(kToken) != std::string::npos;

    MockHost& h = host(flags & 7);
    ++g_runs;
    h.set_now_us(kStartUs + static_cast<int64_t>(g_runs) * 1'000'000);
    h.set_gateway_busy((flags >> 5) == 6);

    if (flags & 8) {
        auto [ws, resp] = h.ws_connect(r.target, r.headers);
        check(Request{"GET", r.target, "", r.headers}, resp, auth_on, token_sent);
        if (ws != 0) {
            if (!r.body.empty()) h.ws_client_send(ws, r.body);
            h.ws_client_close(ws, 1000);
        }
    } else if (flags & 16) {
        auto [stream, resp] = h.sse_connect(r.target, r.headers);
        check(Request{"GET", r.target, "", r.headers}, resp, auth_on, token_sent);
        if (stream != 0) h.sse_client_close(stream);
    } else {
        const Response resp = h.request(r);
        check(r, resp, auth_on, token_sent);
    }
    return 0;
}
