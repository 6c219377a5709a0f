// libFuzzer target: one client text frame into the plugin's chat WebSocket
// (/api/chat/stream) through the mock harness; the harness gateway answers
// (echo by default).
//
// Input: the frame. When the first byte is 0x01..0x08 it is not part of the
// frame but flags for the gateway's answer: bit0 an engine error instead of a
// reply, bit1 the reply streamed as two tokens first, bit2 the gateway names
// a session id that is not valid.
//
// Checked besides sanitizer reports: every frame gets an answer; a refused
// frame exactly one {"type":"error"} frame, an accepted message ends in a
// "done" or an "error" frame (docs/api.md: every accepted message ends in exactly
// one of them), and every frame the plugin sends is a JSON object.
#include "fuzz_common.hpp"
#include "mock_host.hpp"

#include <rapidjson/document.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using oxios::harness::ChatMessage;
using oxios::harness::GatewayReply;
using oxios::harness::MockHost;

namespace {

constexpr uint64_t kReconnectEvery = 500;  // the harness keeps every frame of a socket
constexpr uint64_t kClearEvery = 1000;
constexpr int64_t kStartUs = 1'780'000'000'000'000;  // 2026-05-28

// One host, one plugin load for the whole run (libFuzzer cannot follow an
// instrumented module that is unloaded); records are cleared instead.
MockHost* g_host = nullptr;
uint64_t g_ws = 0;
uint64_t g_runs = 0;
int g_flags = 0;           // read by the gateway script (harness thread), set before each send
uint64_t g_submitted = 0;  // messages the gateway got (the plugin accepted the frame)

std::string frame_type(const std::string& frame) {
    rapidjson::Document d;
    d.Parse(frame.c_str(), frame.size());
    if (d.HasParseError() || !d.IsObject()) oxios_fuzz::fail("plugin sent a frame that is not a JSON object", frame);
    auto t = d.FindMember("type");
    if (t == d.MemberEnd() || !t->value.IsString()) oxios_fuzz::fail("frame without a type", frame);
    return t->value.GetString();
}

MockHost& host() {
    if (g_runs % kClearEvery == 0) {
        for (const auto& l : g_host->logs())
            if (l.message.find("threw across the ABI") != std::string::npos)
                oxios_fuzz::fail("an exception crossed the ABI (input among the last runs)", l.message);
        g_host->clear_records();
    }
    // A clock that moves 10 s a run: the plugin's auto-prune (at most once
    // an hour) keeps the sessions the echo answers create bounded.
    g_host->set_now_us(kStartUs + static_cast<int64_t>(g_runs) * 10'000'000);
    if (g_ws == 0 || g_runs % kReconnectEvery == 0 || !g_host->ws_open(g_ws)) {
        if (g_ws != 0) g_host->ws_client_close(g_ws, 1000);
        auto [ws, resp] = g_host->ws_connect("/api/chat/stream");
        if (ws == 0) oxios_fuzz::fail("WebSocket not admitted", resp.body);
        g_ws = ws;
    }
    return *g_host;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    g_host = new MockHost();  // never deleted (see above)
    g_host->set_config(R"({"security":{"rate_limit_per_minute":0},"session":{"auto_prune":true,"max_sessions":50}})");
    g_host->set_gateway([](const ChatMessage& m) {
        __atomic_add_fetch(&g_submitted, 1, __ATOMIC_ACQ_REL);
        GatewayReply r;
        const int flags = __atomic_load_n(&g_flags, __ATOMIC_ACQUIRE);
        if (flags & 1) {
            r.error = OXIOS_E_UPSTREAM;
            r.error_text = "engine failed on: " + m.content;
        }
        if (flags & 2) r.tokens = {m.content.substr(0, m.content.size() / 2), m.content.substr(m.content.size() / 2)};
        if (flags & 4) r.session_id = "../" + m.session_id;
        return r;
    });
    g_host->load(oxios_fuzz::plugin_path());
    oxios_fuzz::pin_loaded(g_host->plugin_copy_path());
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    int flags = 0;
    if (size > 0 && data[0] >= 1 && data[0] <= 8) {
        flags = data[0] - 1;
        ++data;
        --size;
    }
    const std::string frame(reinterpret_cast<const char*>(data), size);
    MockHost& h = host();
    ++g_runs;
    __atomic_store_n(&g_flags, flags, __ATOMIC_RELEASE);

    const size_t before = h.ws_frames(g_ws).size();
    const uint64_t submitted = __atomic_load_n(&g_submitted, __ATOMIC_ACQUIRE);
    h.ws_client_send(g_ws, frame);
    if (!h.ws_open(g_ws)) oxios_fuzz::fail("the plugin closed the socket on a frame", frame);
    std::vector<std::string> frames = h.ws_frames(g_ws);
    if (__atomic_load_n(&g_submitted, __ATOMIC_ACQUIRE) == submitted) {
        // Refused on the spot: exactly one error frame.
        if (frames.size() != before + 1) oxios_fuzz::fail("a refused frame got no or several answers", frame);
        if (frame_type(frames.back()) != "error") oxios_fuzz::fail("refusal is not an error frame", frames.back());
        return 0;
    }
    // Accepted: wait for the end of the answer (the gateway replies on its thread).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    size_t seen = before;
    for (;;) {
        frames = h.ws_wait_frames(g_ws, seen + 1, std::chrono::milliseconds(200));
        for (; seen < frames.size(); ++seen) {
            const std::string type = frame_type(frames[seen]);
            if (type == "done" || type == "error") return 0;
            if (type != "token") oxios_fuzz::fail("unexpected frame type", frames[seen]);
        }
        if (std::chrono::steady_clock::now() > deadline)
            oxios_fuzz::fail("an accepted message got no done/error frame", frame);
    }
}
