// fake-openai: serves the fake OpenAI-compatible API on 127.0.0.1 at a free
// port and prints its base URL (use it as engine.providers.<id>.base_url).
// Streams "Hello, world!" token by token until SIGINT/SIGTERM.
#include "fake_openai.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }
}  // namespace

int main() {
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    oxios::fake::FakeOpenAI fake;
    auto reply = oxios::fake::stream_of({"Hello", ",", " world", "!"});
    reply.chunk_delay = std::chrono::milliseconds(200);
    fake.set_default(reply);
    std::printf("%s\n", fake.base_url().c_str());
    std::fflush(stdout);
    while (g_stop == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return 0;
}
