// A small fake OpenAI-compatible server for tests (cpp-httplib, 127.0.0.1 on a
// free port): POST /v1/chat/completions answers scripted replies (chunked
// SSE with configurable chunking and delays, error statuses, Retry-After,
// malformed chunks, mid-stream disconnects, streams without [DONE], slow
// first tokens, hanging streams); GET /v1/models answers a scripted list and
// can require a key. Every request is recorded.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace httplib {
class Server;
}

namespace oxios::fake {

using Ms = std::chrono::milliseconds;
using TimePoint = std::chrono::steady_clock::time_point;

struct Reply {
    int status = 200;
    std::string body;          // the whole body when `chunks` is empty
    std::string content_type;  // default text/event-stream for chunks, application/json otherwise
    std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Retry-After","1"}
    std::vector<std::string> chunks;                           // raw writes of a streaming answer
    Ms first_delay{0};                                         // before the first chunk
    Ms chunk_delay{0};                                         // between chunks
    bool disconnect = false;  // after the chunks: drop the connection (no end of stream)
    bool hang = false;        // after the chunks: keep the stream open, pinging every 50 ms
    // Before the chunks: one token chunk "<content of the request's last user
    // message> ", so a client can tell which message a streamed reply answers.
    bool echo_user = false;
};

// SSE pieces.
std::string sse_delta(std::string_view content);            // data: {choices:[{delta:{content}}]}\n\n
std::string sse_usage(int64_t prompt, int64_t completion);  // a usage-only chunk
std::string sse_error(std::string_view message);            // data: {"error":{"message":...}}\n\n
std::string sse_done();                                     // data: [DONE]\n\n
// A normal stream: one chunk per token, a usage chunk, [DONE].
Reply stream_of(const std::vector<std::string>& tokens, int64_t prompt = 12, int64_t completion = 5);
// The content of the last "user" message of a chat request body ("" if none).
std::string last_user_content(std::string_view request_body);
// An error answer {"error":{"message","type"}} with `status`.
Reply error_reply(int status, std::string_view message);

struct Recorded {
    std::string method, path, body;
    std::map<std::string, std::string> headers;  // lower-case names
    TimePoint at;
};

class FakeOpenAI {
public:
    // listening when it returns; threads > 0: that many request threads
    // (default: cpp-httplib's pool), e.g. for many concurrent streams.
    explicit FakeOpenAI(int threads = 0);
    ~FakeOpenAI();  // stops (interrupts delays and hanging streams)
    FakeOpenAI(const FakeOpenAI&) = delete;
    FakeOpenAI& operator=(const FakeOpenAI&) = delete;

    int port() const { return port_; }
    std::string base_url() const;  // http://127.0.0.1:<port>/v1

    void push(Reply reply);         // answers the next chat request (FIFO)
    void set_default(Reply reply);  // when nothing is pushed (default: stream_of({"Hello", " world"}))
    void set_models(int status, std::string body);
    // /models answers 401 unless "Authorization: Bearer <key>" (echoing the
    // key it got in the error, as real providers partly do). "" = no check.
    void require_key(std::string key);
    // Called for every chunk of every stream, right after it was written:
    // (stream number from 0 in order of arrival, chunk index, chunks in the
    // stream, CLOCK_MONOTONIC ns taken just before the write). Set it before
    // the first request.
    using ChunkObserver = std::function<void(int stream, size_t index, size_t count, int64_t sent_ns)>;
    void set_chunk_observer(ChunkObserver observer);

    std::vector<Recorded> requests() const;
    std::vector<Recorded> chat_requests() const;
    TimePoint last_chunk_at() const;  // when the last chunk of the latest stream was written
    int streams_started() const { return started_.load(); }
    int streams_aborted() const { return aborted_.load(); }  // a write failed: the client left
    TimePoint aborted_at() const;
    bool wait_aborted(int n, Ms timeout) const;
    void stop();

private:
    bool sleep_for(Ms d) const;  // false when stopping
    void serve_chat(Reply reply, void* res);

    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    int port_ = 0;
    std::atomic<bool> stopping_{false};
    mutable std::mutex mutex_;
    std::deque<Reply> queue_;
    Reply default_;
    int models_status_ = 200;
    std::string models_body_;
    std::string required_key_;
    ChunkObserver observer_;
    std::vector<Recorded> requests_;
    TimePoint last_chunk_at_{}, aborted_at_{};
    std::atomic<int> started_{0}, aborted_{0};
};

}  // namespace oxios::fake
