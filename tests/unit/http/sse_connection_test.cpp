// ConnectionHub with server-sent event streams: head, Last-Event-ID, pings,
// the plugin's end, overflow and backpressure.
#include "unit/http/hub_support.hpp"

#include <doctest/doctest.h>

using namespace hubtest;

namespace {
// A raw client of the acceptor at `port` that sent its request: the socket, or -1.
int open_stream(uint16_t port, std::string_view request = "GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n") {
    int fd = raw_connect(port);
    if (fd >= 0 && !raw_send(fd, request)) {
        ::close(fd);
        return -1;
    }
    return fd;
}
}  // namespace

TEST_CASE("SSE: headers, Last-Event-ID, data, pings, peer close") {
    Recorder rec;
    rec.set_admission(admitted_with({{"X-Stream", "1"}, {"Content-Length", "5"}}));
    auto o = quick_options();
    o.sse_ping_interval = 100ms;
    ConnectionHub hub(o, rec);
    Acceptor acc(hub, OXIOS_ROUTE_SSE);

    int fd = open_stream(acc.port, "GET /api/events?x=1 HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 42\r\n\r\n");
    REQUIRE(fd >= 0);
    std::string in;
    REQUIRE(raw_read_until(fd, in, "\r\n\r\n"));
    std::string head = in.substr(0, in.find("\r\n\r\n") + 4);
    CHECK(head.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(head.find("Content-Type: text/event-stream\r\n") != std::string::npos);
    CHECK(head.find("Cache-Control: no-cache\r\n") != std::string::npos);
    CHECK(head.find("Connection: keep-alive\r\n") != std::string::npos);
    CHECK(head.find("X-Accel-Buffering: no\r\n") != std::string::npos);
    CHECK(head.find("X-Stream: 1\r\n") != std::string::npos);
    CHECK(head.find("Content-Length") == std::string::npos);
    CHECK(head.find("Transfer-Encoding") == std::string::npos);

    auto op = rec.wait_opened();
    REQUIRE(op);
    CHECK(op->route == OXIOS_ROUTE_SSE);
    CHECK(op->last_event_id == 42);
    CHECK(op->req.path == "/api/events");
    CHECK(op->req.query == "x=1");
    CHECK(hub.stream_count() == 1);
    CHECK(hub.websocket_count() == 0);

    CHECK(hub.send(op->id, "id: 43\ndata: {\"a\":1}\n\n") == OXIOS_OK);
    CHECK(raw_read_until(fd, in, "id: 43\ndata: {\"a\":1}\n\n"));
    CHECK(raw_read_until(fd, in, ": ping\n\n", 2000ms));

    ::close(fd);
    auto cl = rec.wait_closed(op->id);
    REQUIRE(cl);
    CHECK(cl->code == 0);
    CHECK(cl->reason == OXIOS_CLOSE_PEER);
    CHECK(hub.stream_count() == 0);
    CHECK(hub.send(op->id, "data: x\n\n") == OXIOS_E_CLOSED);
}

TEST_CASE("SSE: the stream is open before the client sees its 200; what opened() sends follows the head") {
    // A client that triggers an event as soon as it has the response head
    // must get that event: the plugin positions the stream in opened().
    Recorder rec;
    rec.opened_delay_ms = 200;
    rec.greet = true;
    ConnectionHub hub(quick_options(), rec);
    rec.hub = &hub;
    Acceptor acc(hub, OXIOS_ROUTE_SSE);
    int fd = open_stream(acc.port);
    REQUIRE(fd >= 0);
    std::string in;
    REQUIRE(raw_read_until(fd, in, "\r\n\r\n"));
    CHECK(rec.wait_opened(0, 0ms));  // already there, no waiting
    REQUIRE(raw_read_until(fd, in, "hello "));
    CHECK(in.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(in.find("hello ") > in.find("\r\n\r\n"));
    ::close(fd);
}

TEST_CASE("SSE: a bad Last-Event-ID is 0; the plugin's end flushes queued bytes first") {
    Recorder rec;
    ConnectionHub hub(quick_options(), rec);
    Acceptor acc(hub, OXIOS_ROUTE_SSE);

    int fd = open_stream(acc.port, "GET /api/events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 12abc\r\n\r\n");
    REQUIRE(fd >= 0);
    auto op = rec.wait_opened();
    REQUIRE(op);
    CHECK(op->last_event_id == 0);

    std::string big;
    for (int i = 0; i < 2000; ++i) big += "data: " + std::string(100, static_cast<char>('a' + i % 26)) + "\n\n";
    CHECK(hub.send(op->id, big) == OXIOS_OK);
    CHECK(hub.send(op->id, "data: last\n\n") == OXIOS_OK);
    CHECK(hub.close(op->id, 0, "") == OXIOS_OK);

    std::string in;
    CHECK(raw_read_to_eof(fd, in));
    ::close(fd);
    CHECK(in.size() >= big.size());
    CHECK(in.find(big) != std::string::npos);
    CHECK(in.size() >= 12);
    CHECK(in.substr(in.size() - 12) == "data: last\n\n");
    auto cl = rec.wait_closed(op->id);
    REQUIRE(cl);
    CHECK(cl->reason == OXIOS_CLOSE_BY_PLUGIN);
}

TEST_CASE("SSE: a client that never reads is closed when its queue overflows (no backpressure asked for)") {
    Recorder rec;
    auto o = quick_options();
    o.max_queued_bytes = 64 * 1024;
    ConnectionHub hub(o, rec);
    Acceptor acc(hub, OXIOS_ROUTE_SSE);

    int fd = open_stream(acc.port);
    REQUIRE(fd >= 0);
    auto op = rec.wait_opened();
    REQUIRE(op);
    const std::string chunk = "data: " + std::string(16 * 1024, 'q') + "\n\n";
    oxios_status st = OXIOS_OK;
    auto until = Clock::now() + 10s;
    while (st == OXIOS_OK && Clock::now() < until) {
        st = hub.send(op->id, chunk);
        std::this_thread::sleep_for(200us);
    }
    CHECK(st == OXIOS_E_CLOSED);
    auto cl = rec.wait_closed(op->id);
    REQUIRE(cl);
    CHECK(cl->reason == OXIOS_CLOSE_ERROR);
    CHECK(hub.stream_count() == 0);
    ::close(fd);
}

TEST_CASE("SSE backpressure: a client that stops reading is refused, not closed; writable() follows its reading") {
    Recorder rec;
    auto o = quick_options();
    o.sse_high_water = 64 * 1024;
    o.sse_low_water = 16 * 1024;
    o.max_queued_bytes = 256 * 1024;  // never reached: refusal comes first
    ConnectionHub hub(o, rec);
    Acceptor acc(hub, OXIOS_ROUTE_SSE);

    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;  // fewer bytes parked in the kernel before the hub's queue fills
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(acc.port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(raw_send(fd, "GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto op = rec.wait_opened();
    REQUIRE(op);
    const uint64_t id = op->id;

    // Numbered chunks as fast as the hub takes them; the client reads
    // nothing. Each refusal is followed by writable() while the kernel's
    // socket buffers still take bytes; once they are full, by nothing.
    // How long "nothing" is waited for only decides when sending stops: a
    // writable() arriving later still counts for its refusal below.
    auto chunk = [](int n) { return "data: " + std::to_string(n) + " " + std::string(8 * 1024, 'x') + "\n\n"; };
    auto writables = [&] {
        return rec.count([id](const Event& e) { return e.kind == Event::Writable && e.id == id; });
    };
    std::string accepted;
    int n = 0;
    size_t refusals = 0;
    bool stuck = false;
    for (auto until = Clock::now() + 20s; !stuck && Clock::now() < until;) {
        const oxios_status st = hub.send(id, chunk(n), true);
        if (st == OXIOS_OK) {
            accepted += chunk(n++);
            continue;
        }
        REQUIRE(st == OXIOS_E_BUSY);
        ++refusals;
        const size_t before = writables();
        stuck = !rec.wait_count(Event::Writable, id, before + 1, 1s);
    }
    REQUIRE(stuck);
    // At most one writable() per refusal, and one for each but the last.
    CHECK(writables() <= refusals);
    CHECK(writables() + 1 >= refusals);
    CHECK(rec.count(Event::Closed) == 0);
    CHECK(hub.stream_count() == 1);

    // The client reads: the queue drains, writable() is called once more.
    std::string got;
    REQUIRE(n > 0);
    REQUIRE(raw_read_until(fd, got, chunk(n - 1), 10s));  // the last accepted chunk, whole
    CHECK(rec.wait_count(Event::Writable, id, refusals, 10s));
    CHECK(writables() == refusals);
    const std::string more = "data: after\n\n";
    CHECK(hub.send(id, more, true) == OXIOS_OK);
    REQUIRE(raw_read_until(fd, got, more, 5s));
    // Exactly the accepted bytes, in order; the refused chunks never went out.
    const size_t body = got.find("\r\n\r\n");
    REQUIRE(body != std::string::npos);
    const bool exact = got.substr(body + 4) == accepted + more;
    CHECK_MESSAGE(exact, "received " << got.size() - body - 4 << " bytes, accepted " << accepted.size() + more.size());
    CHECK(rec.count(Event::Closed) == 0);
    ::close(fd);
    REQUIRE(rec.wait_closed(id));
}

TEST_CASE("SSE: events sent while pings are written arrive whole and in order") {
    // Sends go straight to an idle socket on the sender's thread and through
    // the strand while it writes a ping: neither may split or reorder the other.
    Recorder rec;
    auto o = quick_options();
    o.sse_ping_interval = 1ms;
    ConnectionHub hub(o, rec);
    Acceptor acc(hub, OXIOS_ROUTE_SSE);
    int fd = open_stream(acc.port);
    REQUIRE(fd >= 0);
    auto op = rec.wait_opened();
    REQUIRE(op);
    constexpr int kEvents = 3000;
    std::thread sender([&] {
        for (int i = 1; i <= kEvents; ++i) {
            CHECK(hub.send(op->id, "id: " + std::to_string(i) + "\ndata: " + std::string(100, 'x') + "\n\n") ==
                  OXIOS_OK);
            if (i % 100 == 0) std::this_thread::sleep_for(1ms);
        }
    });
    std::string in;
    const std::string last = "id: " + std::to_string(kEvents) + "\ndata: " + std::string(100, 'x') + "\n\n";
    CHECK(raw_read_until(fd, in, last, 10000ms));
    sender.join();
    std::string body = in.substr(in.find("\r\n\r\n") + 4);
    int next = 1, pings = 0;
    for (size_t at = 0; at < body.size() && next <= kEvents;) {
        const size_t end = body.find("\n\n", at);
        REQUIRE(end != std::string::npos);
        const std::string block = body.substr(at, end - at);
        if (block == ": ping") {
            ++pings;
        } else {
            REQUIRE(block == "id: " + std::to_string(next) + "\ndata: " + std::string(100, 'x'));
            ++next;
        }
        at = end + 2;
    }
    CHECK(next == kEvents + 1);
    CHECK(pings > 0);
    ::close(fd);
    CHECK(rec.wait_closed(op->id));
}
