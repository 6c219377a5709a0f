// fake-openai: serves the fake OpenAI-compatible API on 127.0.0.1 at a free
// port and prints its base URL (use it as engine.providers.<id>.base_url).
// Streams "Hello, world!" token by token until SIGINT/SIGTERM.
//
// Options (for scripts/bench E1):
//   --tokens N          stream the N tokens "0;" "1;" ... "<N-1>;" instead
//   --chunk-delay-ms D  between chunks (default 200)
//   --threads T         request threads (default: cpp-httplib's pool)
//   --echo              start each reply with the token "<last user message> "
//                       (scripts/reliability R10s tells the replies apart by it)
//   --send-log FILE     after each stream, append "<stream> <chunk> <ns>" per
//                       token chunk: CLOCK_MONOTONIC ns just before its write
#include "fake_openai.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
    long tokens = 0, delay_ms = 200, threads = 0;
    std::string send_log;
    bool echo = false;
    for (int i = 1; i < argc; ++i) {
        const std::string k = argv[i];
        if (k == "--echo") {
            echo = true;
            continue;
        }
        if (i + 1 >= argc) {
            std::fprintf(stderr, "fake-openai: %s needs a value\n", k.c_str());
            return 2;
        }
        const char* v = argv[++i];
        if (k == "--tokens")
            tokens = std::strtol(v, nullptr, 10);
        else if (k == "--chunk-delay-ms")
            delay_ms = std::strtol(v, nullptr, 10);
        else if (k == "--threads")
            threads = std::strtol(v, nullptr, 10);
        else if (k == "--send-log")
            send_log = v;
        else {
            std::fprintf(stderr, "fake-openai: unknown option %s\n", k.c_str());
            return 2;
        }
    }
    if (tokens < 0 || tokens > 1000000 || delay_ms < 0 || delay_ms > 60000 || threads < 0 || threads > 1024) {
        std::fprintf(stderr, "fake-openai: option out of range\n");
        return 2;
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    oxios::fake::FakeOpenAI fake(static_cast<int>(threads));
    std::vector<std::string> list;
    if (tokens > 0)
        for (long t = 0; t < tokens; ++t) list.push_back(std::to_string(t) + ";");
    else
        list = {"Hello", ",", " world", "!"};
    auto reply = oxios::fake::stream_of(list, 12, static_cast<int64_t>(list.size()));
    reply.chunk_delay = std::chrono::milliseconds(delay_ms);
    reply.echo_user = echo;
    fake.set_default(reply);

    // Send times, kept per stream and written once the stream's last chunk
    // went out (no file I/O between the token chunks).
    std::FILE* log = nullptr;
    if (!send_log.empty() && (log = std::fopen(send_log.c_str(), "a")) == nullptr) {
        std::fprintf(stderr, "fake-openai: cannot open %s\n", send_log.c_str());
        return 1;
    }
    std::mutex log_mutex;
    std::map<int, std::vector<int64_t>> pending;
    const size_t n_tokens = list.size() + (echo ? 1 : 0);
    if (log != nullptr)
        fake.set_chunk_observer([&](int stream, size_t index, size_t count, int64_t ns) {
            std::lock_guard lock(log_mutex);
            auto& v = pending[stream];
            if (index < n_tokens) v.push_back(ns);
            if (index + 1 < count) return;
            for (size_t k = 0; k < v.size(); ++k)
                std::fprintf(log, "%d %zu %lld\n", stream, k, static_cast<long long>(v[k]));
            std::fflush(log);
            pending.erase(stream);
        });
    std::printf("%s\n", fake.base_url().c_str());
    std::fflush(stdout);
    while (g_stop == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    fake.stop();
    if (log != nullptr) std::fclose(log);
    return 0;
}
