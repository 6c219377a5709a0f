// A streaming engine (the fake OpenAI server) answering WebSocket chats while
// the plugin reloads again and again: every token frame reaches its client
// exactly once, and the reply is never sent again as an extra frame. The
// replies are short and many, so that first tokens (the ones a hand-over
// must know of) keep arriving while the state is handed over.
#include "fake_openai.hpp"
#include "host_process.hpp"
#include "json_answer.hpp"
#include "ws_client.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

using oxios::test::env_or;
using oxios::test::HostProcess;
using oxios::test::sget;
using oxios::test::Watchdog;
using oxios::test::WsClient;

namespace {

constexpr int kTokens = 4;

std::vector<std::string> tokens_of_reply() {
    std::vector<std::string> t;
    for (int i = 0; i < kTokens; ++i) t.push_back("tok" + std::to_string(i) + " ");
    return t;
}

// One client's count over its replies: token frames against the tokens sent.
struct Count {
    int replies = 0, errors = 0, duplicated = 0, missing = 0;
    bool closed = false;
    std::string detail;
};

// Sends one message at a time and reads its frames up to its done/error.
void chat(WsClient& c, const std::string& session, const std::atomic<bool>& stop, Count& n) {
    const std::vector<std::string> expected = tokens_of_reply();
    while (!stop) {
        if (!c.send(R"({"type":"message","content":"go","session_id":")" + session + "\"}")) {
            n.closed = true;
            return;
        }
        std::map<std::string, int> seen;  // token text -> frames
        for (;;) {
            const std::string f = c.read();
            if (f.empty()) {
                n.closed = true;
                n.detail = c.close_error();
                return;
            }
            rapidjson::Document d;
            d.Parse(f.c_str(), f.size());
            const std::string type = sget(d, "type");
            if (type == "token") {
                ++seen[sget(d, "content")];
                continue;
            }
            if (type == "error") {
                ++n.errors;
                n.detail = f;
                break;
            }
            if (type != "done") continue;
            ++n.replies;
            for (const auto& t : expected) {
                const int got = seen[t];
                if (got == 0) ++n.missing;
                if (got > 1) n.duplicated += got - 1;
                seen.erase(t);
            }
            for (const auto& [text, frames] : seen) {  // anything else: the whole reply re-sent, say
                n.duplicated += frames;
                n.detail = "unexpected token frame: " + text.substr(0, 80);
            }
            break;
        }
    }
}

}  // namespace

TEST_CASE("streamed replies across reloads: no token frame duplicated, none missing") {
    oxios::fake::FakeOpenAI fake(32);
    oxios::fake::Reply streamed = oxios::fake::stream_of(tokens_of_reply());
    streamed.chunk_delay = oxios::fake::Ms(3);
    fake.set_default(streamed);

    HostProcess::Options o;
    o.config_json = R"({"security":{"rate_limit_per_minute":0},"engine":{"default_model":"openai/fake",)"
                    R"("api_key":"k","providers":{"openai":{"base_url":")" +
                    fake.base_url() + R"("}}}})";
    HostProcess host(o);
    Watchdog dog(std::chrono::seconds(150));

    constexpr int kClients = 16, kReloads = 24;
    std::vector<std::unique_ptr<WsClient>> clients;
    for (int i = 0; i < kClients; ++i) {
        clients.push_back(std::make_unique<WsClient>(host.port()));
        REQUIRE(clients.back()->open());
        dog.watch(clients.back()->fd());
    }
    std::atomic<bool> stop{false};
    std::vector<Count> counts(kClients);
    std::vector<std::thread> threads;
    for (int i = 0; i < kClients; ++i)
        threads.emplace_back([&, i] { chat(*clients[i], "stream-reload-" + std::to_string(i), stop, counts[i]); });

    const std::string first = env_or("OXIOS_PLUGIN"), next = env_or("OXIOS_PLUGIN_NEXT");
    for (int r = 0; r < kReloads; ++r) {
        const bool to_next = r % 2 == 0;
        host.install_plugin(to_next ? next : first);
        CHECK(host.wait_for_version(to_next ? OXIOS_VERSION "-next" : OXIOS_VERSION));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stop = true;
    for (auto& t : threads) t.join();

    int replies = 0, duplicated = 0, missing = 0, errors = 0;
    for (int i = 0; i < kClients; ++i) {
        const Count& n = counts[i];
        CHECK_MESSAGE(!n.closed, "client " << i << " closed: " << n.detail);
        CHECK_MESSAGE(n.errors == 0, "client " << i << ": " << n.detail);
        replies += n.replies;
        duplicated += n.duplicated;
        missing += n.missing;
        errors += n.errors;
    }
    MESSAGE("streamed across " << kReloads << " reloads: " << replies << " replies of " << kTokens << " tokens, "
                               << duplicated << " token frames duplicated, " << missing << " missing, " << errors
                               << " errors");
    CHECK(replies >= kClients);
    CHECK(duplicated == 0);
    CHECK(missing == 0);
    CHECK_FALSE(dog.fired());
}
