// A graceful stop (SIGTERM) with a chat turn in flight: the turn finishes and
// its reply reaches the WebSocket before the host closes it (1001), the
// session holds the exchange, and the host exits 0.
#include "fake_openai.hpp"
#include "host_process.hpp"
#include "ws_client.hpp"

#include <doctest/doctest.h>

#include <future>
#include <string>

using oxios::test::HostProcess;
using oxios::test::Watchdog;
using oxios::test::WsClient;

TEST_CASE("SIGTERM with a streamed reply in flight: the reply completes, then the socket closes, exit 0") {
    oxios::fake::FakeOpenAI fake(4);
    std::vector<std::string> tokens;
    for (int i = 0; i < 20; ++i) tokens.push_back("t" + std::to_string(i) + " ");
    oxios::fake::Reply slow = oxios::fake::stream_of(tokens);
    slow.chunk_delay = oxios::fake::Ms(50);  // about a second in all
    fake.set_default(slow);

    HostProcess::Options o;
    o.config_json = R"({"engine":{"default_model":"openai/fake","api_key":"k","providers":{"openai":{"base_url":")" +
                    fake.base_url() + R"("}}}})";
    HostProcess host(o);
    WsClient ws(host.port());
    REQUIRE(ws.open());
    Watchdog dog(std::chrono::seconds(30));
    dog.watch(ws.fd());
    REQUIRE(ws.send(R"({"type":"message","content":"go","session_id":"drain-1"})"));
    std::string first;
    while (first.find("\"token\"") == std::string::npos) {
        first = ws.read();
        REQUIRE_FALSE(first.empty());
    }
    auto exit_code = std::async(std::launch::async, [&] { return host.stop(SIGTERM); });
    int token_frames = 1;
    bool done = false;
    for (;;) {
        const std::string f = ws.read();
        if (f.empty()) break;  // closed by the host
        if (f.find("\"token\"") != std::string::npos) ++token_frames;
        if (f.find("\"done\"") != std::string::npos) done = true;
    }
    CHECK(done);
    CHECK(token_frames == 20);
    CHECK(ws.close_error().find("closed") != std::string::npos);  // a close frame, not a reset
    CHECK(exit_code.get() == 0);
    CHECK_FALSE(dog.fired());
    // The exchange was stored before the host went.
    const std::string session = oxios::test::read_file(host.workspace() / "sessions" / "drain-1.json");
    CHECK(session.find("t19") != std::string::npos);
}
