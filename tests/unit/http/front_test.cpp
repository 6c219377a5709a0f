// The HTTP front's own connection loop (host/http/front.cpp and its buffered
// SocketStream): what a client sees on the wire for plain requests.
#include "hub_support.hpp"

#include "http/front.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

using namespace hubtest;
using oxios::http::Dispatcher;
using oxios::http::Front;

namespace {

// Answers every plain request with "<method> <path> <body size>" and, for
// /big, a body of `big_size` bytes.
class EchoDispatcher final : public Dispatcher {
public:
    size_t big_size = 0;

    oxios_route_kind route_kind(std::string_view, std::string_view) override { return OXIOS_ROUTE_PLAIN; }
    void serve(const httplib::Request& req, httplib::Response& res) override {
        if (req.path == "/big") {
            std::string body(big_size, 'x');
            for (size_t i = 0; i < body.size(); i += 4096) body[i] = static_cast<char>('a' + (i / 4096) % 26);
            res.set_content(std::move(body), "text/plain");
            return;
        }
        res.set_content(req.method + " " + req.path + " " + std::to_string(req.body.size()), "text/plain");
    }
};

struct RunningFront {
    EchoDispatcher dispatcher;
    std::unique_ptr<Front> front;
    std::thread thread;
    uint16_t port = 0;

    explicit RunningFront(Dispatcher* other = nullptr, ConnectionHub* hub = nullptr) {
        Front::Options o;
        o.port = 0;
        front = std::make_unique<Front>(o, other ? *other : dispatcher, hub);
        port = static_cast<uint16_t>(front->bind());
        thread = std::thread([this] { front->serve_forever(); });
    }
    ~RunningFront() {
        while (!front->is_running()) std::this_thread::sleep_for(1ms);  // stop() before listen would be lost
        front->stop();
        thread.join();
    }
};

// The body of one Content-Length response at the start of `in`; erases it.
std::string take_response(std::string& in) {
    auto head_end = in.find("\r\n\r\n");
    if (head_end == std::string::npos) return {};
    auto cl = in.find("Content-Length: ");
    if (cl == std::string::npos || cl > head_end) return {};
    size_t length = std::stoul(in.substr(cl + 16));
    if (in.size() < head_end + 4 + length) return {};
    std::string body = in.substr(head_end + 4, length);
    in.erase(0, head_end + 4 + length);
    return body;
}

// Reads until one whole response is in `in`; returns its body ("" on timeout).
std::string read_response(int fd, std::string& in, ms timeout = 10000ms) {
    auto until = Clock::now() + timeout;
    for (;;) {
        if (std::string body = take_response(in); !body.empty()) return body;
        auto left = std::chrono::duration_cast<ms>(until - Clock::now());
        if (left.count() <= 0) return {};
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
        char buf[65536];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return {};
        in.append(buf, static_cast<size_t>(n));
    }
}

// Holds the GET of /second in route_kind (the front asks it, with a hub, before
// cpp-httplib parses the request) until /first has been parsed and served on
// another worker. The wait is a relaxed atomic on purpose: like two requests
// that simply arrive together, it orders nothing between the two workers
// (a lock or an acquire would tell ThreadSanitizer more than a server knows).
class FirstRequestsDispatcher final : public Dispatcher {
public:
    std::atomic<bool> first_served{false};
    std::mutex mu;
    std::condition_variable cv;
    bool second_waiting = false;

    oxios_route_kind route_kind(std::string_view, std::string_view path) override {
        if (path == "/second") {
            {
                std::lock_guard lk(mu);
                second_waiting = true;
            }
            cv.notify_all();
            auto until = Clock::now() + 5s;
            while (!first_served.load(std::memory_order_relaxed) && Clock::now() < until)
                std::this_thread::sleep_for(1ms);
        }
        return OXIOS_ROUTE_PLAIN;
    }
    void serve(const httplib::Request& req, httplib::Response& res) override {
        res.set_content(req.method + " " + req.path, "text/plain");
        if (req.path == "/first") first_served.store(true, std::memory_order_relaxed);
    }
};

}  // namespace

// Also registered on its own (http_front_first_requests in tests/CMakeLists.txt):
// it only means something as the first requests of a process, before
// cpp-httplib's function-local statics are initialised. Under ThreadSanitizer
// the second worker then read what the first had just initialised, through a
// guard whose acquire TSan cannot see (host/http/front.cpp,
// Front::initialise_library_statics), and the run aborted.
TEST_CASE("front: the first requests of a process, parsed on two workers at once, are both answered") {
    FirstRequestsDispatcher d;
    Recorder recorder;
    ConnectionHub hub({}, recorder);
    {
        RunningFront f(&d, &hub);
        int second = raw_connect(f.port), first = raw_connect(f.port);
        REQUIRE(second >= 0);
        REQUIRE(first >= 0);
        // A Range header each: parse_range_header has first-use statics too.
        REQUIRE(raw_send(second, "GET /second HTTP/1.1\r\nHost: x\r\nRange: bytes=0-2\r\n\r\n"));
        {
            std::unique_lock lk(d.mu);
            REQUIRE(d.cv.wait_for(lk, 5s, [&] { return d.second_waiting; }));
        }
        REQUIRE(raw_send(first, "GET /first HTTP/1.1\r\nHost: x\r\nRange: bytes=0-2\r\n\r\n"));
        std::string in_first, in_second;
        CHECK(read_response(first, in_first) == "GET");
        CHECK(read_response(second, in_second) == "GET");
        CHECK(d.first_served.load());
        ::close(first);
        ::close(second);
    }
    hub.shutdown();
}

TEST_CASE("front: Expect: 100-continue gets its interim 100 before the client sends the body") {
    RunningFront f;
    int fd = raw_connect(f.port);
    REQUIRE(fd >= 0);
    REQUIRE(raw_send(fd, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
    std::string in;
    // A client that waits for the 100 (as curl does for large bodies) must
    // get it while the server is waiting for the body.
    REQUIRE(raw_read_until(fd, in, "\r\n\r\n", 3000ms));
    CHECK(in.rfind("HTTP/1.1 100 Continue\r\n", 0) == 0);
    in.clear();
    REQUIRE(raw_send(fd, "hello"));
    REQUIRE(raw_read_until(fd, in, "POST /upload 5", 3000ms));
    CHECK(in.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    ::close(fd);
}

TEST_CASE("front: pipelined requests on one connection are answered in order, each whole") {
    RunningFront f;
    int fd = raw_connect(f.port);
    REQUIRE(fd >= 0);
    std::string requests;
    for (int i = 0; i < 20; ++i) requests += "GET /r" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
    REQUIRE(raw_send(fd, requests));
    std::string in;
    REQUIRE(raw_read_until(fd, in, "GET /r19 0", 3000ms));
    for (int i = 0; i < 20; ++i) CHECK(take_response(in) == "GET /r" + std::to_string(i) + " 0");
    CHECK(in.empty());
    ::close(fd);
}

TEST_CASE("front: bodies larger than the output buffer arrive intact, then the connection is reused") {
    RunningFront f;
    f.dispatcher.big_size = 3 * 1024 * 1024 + 17;
    const std::string expected = [&] {
        std::string body(f.dispatcher.big_size, 'x');
        for (size_t i = 0; i < body.size(); i += 4096) body[i] = static_cast<char>('a' + (i / 4096) % 26);
        return body;
    }();
    int fd = raw_connect(f.port);
    REQUIRE(fd >= 0);
    for (int round = 0; round < 2; ++round) {
        REQUIRE(raw_send(fd, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
        std::string in;
        const std::string body = read_response(fd, in);
        CHECK(body.size() == expected.size());
        const bool intact = body == expected;
        CHECK(intact);
    }
    REQUIRE(raw_send(fd, "GET /small HTTP/1.1\r\nHost: x\r\n\r\n"));
    std::string in;
    REQUIRE(raw_read_until(fd, in, "GET /small 0", 3000ms));
    ::close(fd);
}

TEST_CASE("front: a request without Content-Length or Transfer-Encoding has an empty body, answered at once") {
    RunningFront f;  // cpp-httplib alone read such a body until its 5 s read timeout, then answered 400
    int fd = raw_connect(f.port);
    REQUIRE(fd >= 0);
    std::string in;
    for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
        CAPTURE(method);
        REQUIRE(raw_send(fd, std::string(method) + " /kill HTTP/1.1\r\nHost: x\r\n\r\n"));
        REQUIRE(raw_read_until(fd, in, std::string(method) + " /kill 0", 2000ms));
        CHECK(in.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
        in.clear();
    }
    // Bodies framed either way still arrive whole on the same connection.
    REQUIRE(raw_send(fd,
                     "POST /sized HTTP/1.1\r\nHost: x\r\ncontent-length: 3\r\n\r\nabc"
                     "POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n"
                     "POST /bare HTTP/1.1\r\n\r\n"));
    REQUIRE(raw_read_until(fd, in, "POST /bare 0", 2000ms));
    CHECK(take_response(in) == "POST /sized 3");
    CHECK(take_response(in) == "POST /chunked 4");
    CHECK(take_response(in) == "POST /bare 0");
    ::close(fd);
}
