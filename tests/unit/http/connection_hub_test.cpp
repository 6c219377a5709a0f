#include "unit/http/hub_support.hpp"

#include <doctest/doctest.h>

using namespace hubtest;

namespace {

Admission refused(int status, std::string body, std::vector<std::pair<std::string, std::string>> headers = {}) {
    Admission a;
    a.admitted = false;
    a.status = status;
    a.body = std::move(body);
    a.headers = std::move(headers);
    return a;
}

Admission admitted_with(std::vector<std::pair<std::string, std::string>> headers) {
    Admission a;
    a.admitted = true;
    a.status = 200;
    a.headers = std::move(headers);
    return a;
}

bool is_closed(beast::error_code ec) { return ec == websocket::error::closed; }

}  // namespace

TEST_CASE("HeldRequest::header is case-insensitive and empty when absent") {
    HeldRequest r;
    r.headers = {{"Last-Event-ID", "7"}, {"X-A", "1"}, {"x-a", "2"}};
    CHECK(r.header("last-event-id") == "7");
    CHECK(r.header("LAST-EVENT-ID") == "7");
    CHECK(r.header("X-a") == "1");
    CHECK(r.header("missing").empty());
}

TEST_CASE("WebSocket: upgrade, request details, admission headers on the 101, echo in order") {
    Recorder rec;
    rec.set_admission(admitted_with({{"X-Oxios-Test", "yes"}}));
    ConnectionHub hub(quick_options(), rec);
    rec.hub = &hub;
    Acceptor acc(hub, OXIOS_ROUTE_WEBSOCKET);

    WsClient c;
    REQUIRE_FALSE(c.connect(acc.port, "/api/chat%2Fstream?token=abc%20d", {{"X-Custom", "Value"}}));
    CHECK(c.res.result_int() == 101);
    CHECK(c.res["X-Oxios-Test"] == "yes");

    auto op = rec.wait_opened();
    REQUIRE(op);
    CHECK(op->id == 1);
    CHECK(op->route == OXIOS_ROUTE_WEBSOCKET);
    CHECK(op->req.method == "GET");
    CHECK(op->req.target == "/api/chat%2Fstream?token=abc%20d");
    CHECK(op->req.path == "/api/chat/stream");
    CHECK(op->req.query == "token=abc%20d");
    CHECK(op->req.header("x-custom") == "Value");
    CHECK(op->req.remote_addr == "127.0.0.1");
    CHECK(op->req.remote_port != 0);
    CHECK(op->last_event_id == 0);
    CHECK(rec.count(Event::Admit) == 1);
    CHECK(hub.websocket_count() == 1);
    CHECK(hub.stream_count() == 0);

    for (int i = 0; i < 50; ++i) c.write("m" + std::to_string(i));
    for (int i = 0; i < 50; ++i) {
        std::string got;
        REQUIRE_FALSE(c.read(got));
        CHECK(got == "echo:m" + std::to_string(i));
        CHECK(c.ws.got_text());
    }
    c.write(std::string("\x01\x02\x03", 3), false);
    std::string got;
    REQUIRE_FALSE(c.read(got));
    CHECK(got == std::string("echo:\x01\x02\x03", 8));

    auto events = rec.events();
    std::vector<std::string> msgs;
    for (const auto& e : events)
        if (e.kind == Event::Message) {
            CHECK(e.id == op->id);
            msgs.push_back(e.data);
            CHECK(e.text == (msgs.size() <= 50));
        }
    REQUIRE(msgs.size() == 51);
    for (int i = 0; i < 50; ++i) CHECK(msgs[i] == "m" + std::to_string(i));
    CHECK_FALSE(rec.overlap());

    CHECK_FALSE(c.close(websocket::close_code::normal));
    auto cl = rec.wait_closed(op->id);
    REQUIRE(cl);
    CHECK(cl->code == 1000);
    CHECK(cl->reason == OXIOS_CLOSE_PEER);
    CHECK(hub.websocket_count() == 0);
    CHECK(hub.send(op->id, "late") == OXIOS_E_CLOSED);
}

TEST_CASE("WebSocket: a refused upgrade gets the admission's response and no 101") {
    Recorder rec;
    rec.set_admission(refused(401, "{\"error\":\"unauthorized\"}", {{"WWW-Authenticate", "Bearer"}}));
    ConnectionHub hub(quick_options(), rec);
    Acceptor acc(hub, OXIOS_ROUTE_WEBSOCKET);

    int fd = raw_connect(acc.port);
    REQUIRE(fd >= 0);
    REQUIRE(raw_send(fd, ws_upgrade_request()));
    std::string resp;
    CHECK(raw_read_to_eof(fd, resp));
    ::close(fd);
    CHECK(resp.rfind("HTTP/1.1 401 Unauthorized\r\n", 0) == 0);
    CHECK(resp.find("Content-Type: application/json\r\n") != std::string::npos);
    CHECK(resp.find("Connection: close\r\n") != std::string::npos);
    CHECK(resp.find("WWW-Authenticate: Bearer\r\n") != std::string::npos);
    CHECK(resp.find("Upgrade:") == std::string::npos);
    CHECK(resp.size() >= 24);
    CHECK(resp.substr(resp.size() - 24) == "{\"error\":\"unauthorized\"}");
    CHECK(rec.count(Event::Admit) == 1);
    CHECK(rec.count(Event::Opened) == 0);
    CHECK(hub.websocket_count() == 0);
}

TEST_CASE("WebSocket: a plain GET on a WebSocket route gets 400 without admission") {
    Recorder rec;
    ConnectionHub hub(quick_options(), rec);
    Acceptor acc(hub, OXIOS_ROUTE_WEBSOCKET);

    int fd = raw_connect(acc.port);
    REQUIRE(fd >= 0);
    REQUIRE(raw_send(fd, "GET /api/chat/stream HTTP/1.1\r\nHost: x\r\n\r\n"));
    std::string resp;
    CHECK(raw_read_to_eof(fd, resp));
    ::close(fd);
    CHECK(resp.rfind("HTTP/1.1 400 ", 0) == 0);
    CHECK(resp.find("\r\n\r\n{\"error\":\"expected a WebSocket upgrade\"}") != std::string::npos);
    CHECK(rec.count(Event::Admit) == 0);
    CHECK(rec.count(Event::Opened) == 0);
}

TEST_CASE("a request head over 64 KiB gets 431") {
    Recorder rec;
    ConnectionHub hub(quick_options(), rec);
    Acceptor acc(hub, OXIOS_ROUTE_SSE);

    int fd = raw_connect(acc.port);
    REQUIRE(fd >= 0);
    std::string req = "GET /api/events HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(70 * 1024, 'a') + "\r\n\r\n";
    REQUIRE(raw_send(fd, req));
    std::string resp;
    CHECK(raw_read_to_eof(fd, resp));
    ::close(fd);
    CHECK(resp.rfind("HTTP/1.1 431 ", 0) == 0);
    CHECK(rec.count(Event::Admit) == 0);
}

TEST_CASE("WebSocket: two clients never see each other's frames") {
    Recorder rec;
    ConnectionHub hub(quick_options(), rec);
    rec.hub = &hub;
    Acceptor acc(hub, OXIOS_ROUTE_WEBSOCKET);

    WsClient a, b;
    REQUIRE_FALSE(a.connect(acc.port));
    auto oa = rec.wait_opened(0);
    REQUIRE_FALSE(b.connect(acc.port));
    auto ob = rec.wait_opened(1);
    REQUIRE(oa);
    REQUIRE(ob);
    CHECK(oa->id != ob->id);
    CHECK(hub.websocket_count() == 2);

    for (int i = 0; i < 20; ++i) {
        a.write("a" + std::to_string(i));
        b.write("b" + std::to_string(i));
    }
    for (int i = 0; i < 20; ++i) {
        std::string ga, gb;
        REQUIRE_FALSE(a.read(ga));
        REQUIRE_FALSE(b.read(gb));
        CHECK(ga == "echo:a" + std::to_string(i));
        CHECK(gb == "echo:b" + std::to_string(i));
    }
    CHECK(hub.send(oa->id, "only-a") == OXIOS_OK);
    std::string ga;
    REQUIRE_FALSE(a.read(ga));
    CHECK(ga == "only-a");
    std::string gb;
    CHECK(b.read(gb, 300ms) == net::error::timed_out);  // nothing more for b
    CHECK(rec.count([&](const Event& e) { return e.kind == Event::Message && e.id == oa->id && e.data[0] != 'a'; }) == 0);
    CHECK(rec.count([&](const Event& e) { return e.kind == Event::Message && e.id == ob->id && e.data[0] != 'b'; }) == 0);
}

TEST_CASE("WebSocket: an over-size message closes the connection with 1009") {
    Recorder rec;
    auto o = quick_options();
    o.max_message_bytes = 1024;
    ConnectionHub hub(o, rec);
    rec.hub = &hub;
    Acceptor acc(hub, OXIOS_ROUTE_WEBSOCKET);

    WsClient c;
    REQUIRE_FALSE(c.connect(acc.port));
    auto op = rec.wait_opened();
    REQUIRE(op);
    c.write(std::string(1000, 'x'));  // under the cap: echoed
    std::string got;
    REQUIRE_FALSE(c.read(got));
    CHECK(got.size() == 1005);
    c.write(std::string(4096, 'y'));
    // The server fails the connection: a close frame with 1009, then the
    // TCP goes (the client's close reply may meet a closed socket).
    auto ec = c.read(got);
    CHECK(ec);
    CHECK(ec != net::error::timed_out);
    CHECK(c.ws.reason().code == 1009);
    auto cl = rec.wait_closed(op->id);
    REQUIRE(cl);
    CHECK(cl->code == 1009);
    CHECK(cl->reason == OXIOS_CLOSE_ERROR);
    CHECK(rec.count(Event::Message) == 1);
    CHECK(hub.websocket_count() == 0);
}

TEST_CASE("WebSocket: close by the plugin flushes, then send and close give OXIOS_E_CLOSED") {
    Recorder rec;
    ConnectionHub hub(quick_options(), rec);
    Acceptor acc(hub, OXIOS_ROUTE_WEBSOCKET);

    CHECK(hub.send(12345, "nobody") == OXIOS_E_CLOSED);
    CHECK(hub.close(12345, 1000, "") == OXIOS_E_CLOSED);

    WsClient c;
    REQUIRE_FALSE(c.connect(acc.port));
    auto op = rec.wait_opened();
    REQUIRE(op);
    CHECK(hub.send(op->id, "first") == OXIOS_OK);
    CHECK(hub.send(op->id, "second") == OXIOS_OK);
    CHECK(hub.close(op->id, 4000, "bye") == OXIOS_OK);
    CHECK(hub.send(op->id, "after close") == OXIOS_E_CLOSED);

    std::string got;
    REQUIRE_FALSE(c.read(got));
    CHECK(got == "first");
    REQUIRE_FALSE(c.read(got));
    CHECK(got == "second");
    CHECK(is_closed(c.read(got)));
    CHECK(c.ws.reason().code == 4000);
    CHECK(std::string(c.ws.reason().reason.data(), c.ws.reason().reason.size()) == "bye");

    auto cl = rec.wait_closed(op->id);
    REQUIRE(cl);
    CHECK(cl->code == 4000);
    CHECK(cl->reason == OXIOS_CLOSE_BY_PLUGIN);
    CHECK(hub.send(op->id, "x") == OXIOS_E_CLOSED);
    CHECK(hub.close(op->id, 1000, "") == OXIOS_E_CLOSED);
    CHECK(rec.count(Event::Closed) == 1);
}

TEST_CASE("WebSocket: pings keep an answering client alive; a silent peer is closed") {
    Recorder rec;
    auto o = quick_options();
    o.ws_ping_interval = 100ms;
    o.ws_silence_limit = 400ms;
    ConnectionHub hub(o, rec);
    Acceptor acc(hub, OXIOS_ROUTE_WEBSOCKET);

    WsClient alive;
    REQUIRE_FALSE(alive.connect(acc.port));
    auto oa = rec.wait_opened(0);
    REQUIRE(oa);

    // A peer that completes the handshake, then neither reads nor answers.
    int dead = raw_connect(acc.port);
    REQUIRE(dead >= 0);
    REQUIRE(raw_send(dead, ws_upgrade_request()));
    std::string head;
    REQUIRE(raw_read_until(dead, head, "\r\n\r\n"));
    CHECK(head.rfind("HTTP/1.1 101", 0) == 0);
    auto od = rec.wait_opened(1);
    REQUIRE(od);

    // The Beast client answers pings while its read is pending: 3x the limit.
    alive.start_read();
    alive.run_for(1200ms);
    auto cd = rec.wait_closed(od->id, 100ms);
    REQUIRE(cd);
    CHECK(cd->reason == OXIOS_CLOSE_ERROR);
    CHECK_FALSE(rec.wait_closed(oa->id, 10ms));
    CHECK(hub.websocket_count() == 1);

    CHECK(hub.send(oa->id, "still here") == OXIOS_OK);
    std::string got;
    REQUIRE_FALSE(alive.finish_read(got));
    CHECK(got == "still here");

    std::string rest;
    CHECK(raw_read_to_eof(dead, rest));  // the server cut the dead peer's TCP
    ::close(dead);
}

TEST_CASE("SSE: headers, Last-Event-ID, data, pings, peer close") {
    Recorder rec;
    rec.set_admission(admitted_with({{"X-Stream", "1"}, {"Content-Length", "5"}}));
    auto o = quick_options();
    o.sse_ping_interval = 100ms;
    ConnectionHub hub(o, rec);
    Acceptor acc(hub, OXIOS_ROUTE_SSE);

    int fd = raw_connect(acc.port);
    REQUIRE(fd >= 0);
    REQUIRE(raw_send(fd, "GET /api/events?x=1 HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 42\r\n\r\n"));
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
    int fd = raw_connect(acc.port);
    REQUIRE(fd >= 0);
    REQUIRE(raw_send(fd, "GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n"));
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

    int fd = raw_connect(acc.port);
    REQUIRE(fd >= 0);
    REQUIRE(raw_send(fd, "GET /api/events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 12abc\r\n\r\n"));
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

TEST_CASE("WebSocket: a client that never reads is closed when its send queue overflows") {
    Recorder rec;
    auto o = quick_options();
    o.max_queued_bytes = 64 * 1024;
    ConnectionHub hub(o, rec);
    Acceptor acc(hub, OXIOS_ROUTE_WEBSOCKET);

    int fd = raw_connect(acc.port);
    REQUIRE(fd >= 0);
    int small = 4096;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    REQUIRE(raw_send(fd, ws_upgrade_request()));
    std::string head;
    REQUIRE(raw_read_until(fd, head, "\r\n\r\n"));
    auto op = rec.wait_opened();
    REQUIRE(op);

    const std::string chunk(16 * 1024, 'z');
    oxios_status st = OXIOS_OK;
    size_t sent = 0;
    auto until = Clock::now() + 10s;
    while (st == OXIOS_OK && Clock::now() < until) {
        st = hub.send(op->id, chunk);
        if (st == OXIOS_OK) sent += chunk.size();
        std::this_thread::sleep_for(200us);
    }
    CHECK(st == OXIOS_E_CLOSED);
    CHECK(sent > 64 * 1024);  // the kernel took some before the queue filled up
    auto cl = rec.wait_closed(op->id);
    REQUIRE(cl);
    CHECK(cl->code == 1008);
    CHECK(cl->reason == OXIOS_CLOSE_ERROR);
    CHECK(hub.websocket_count() == 0);
    ::close(fd);
}

TEST_CASE("SSE: a client that never reads is closed when its queue overflows (no backpressure asked for)") {
    Recorder rec;
    auto o = quick_options();
    o.max_queued_bytes = 64 * 1024;
    ConnectionHub hub(o, rec);
    Acceptor acc(hub, OXIOS_ROUTE_SSE);

    int fd = raw_connect(acc.port);
    REQUIRE(fd >= 0);
    REQUIRE(raw_send(fd, "GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n"));
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
    auto writables = [&] { return rec.count([id](const Event& e) { return e.kind == Event::Writable && e.id == id; }); };
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

TEST_CASE("shutdown closes WebSockets with 1001, ends streams, reports each once and refuses new adopts") {
    Recorder rec;
    ConnectionHub hub(quick_options(), rec);
    rec.hub = &hub;
    Acceptor ws_acc(hub, OXIOS_ROUTE_WEBSOCKET);
    Acceptor sse_acc(hub, OXIOS_ROUTE_SSE);

    WsClient c;
    REQUIRE_FALSE(c.connect(ws_acc.port));
    auto oc = rec.wait_opened(0);
    REQUIRE(oc);

    int sse = raw_connect(sse_acc.port);
    REQUIRE(sse >= 0);
    REQUIRE(raw_send(sse, "GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto os = rec.wait_opened(1);
    REQUIRE(os);
    CHECK(hub.send(os->id, "data: before shutdown\n\n") == OXIOS_OK);

    // A WebSocket peer that never answers the close: cut after the deadline.
    int mute = raw_connect(ws_acc.port);
    REQUIRE(mute >= 0);
    REQUIRE(raw_send(mute, ws_upgrade_request()));
    auto om = rec.wait_opened(2);
    REQUIRE(om);
    CHECK(hub.websocket_count() == 2);
    CHECK(hub.stream_count() == 1);

    c.start_read();
    auto t0 = Clock::now();
    std::thread stopper([&] { hub.shutdown(1000ms); });
    std::string got;
    auto ec = c.finish_read(got, 5000ms);
    CHECK(is_closed(ec));
    CHECK(c.ws.reason().code == 1001);
    std::string sse_in;
    CHECK(raw_read_to_eof(sse, sse_in, 5000ms));
    CHECK(sse_in.find("data: before shutdown\n\n") != std::string::npos);
    stopper.join();
    CHECK(Clock::now() - t0 < 3s);

    for (uint64_t id : {oc->id, os->id, om->id}) {
        CHECK(rec.count([id](const Event& e) { return e.kind == Event::Closed && e.id == id; }) == 1);
        auto cl = rec.wait_closed(id, 10ms);
        REQUIRE(cl);
        CHECK(cl->reason == OXIOS_CLOSE_SHUTDOWN);
        CHECK(cl->code == (id == os->id ? 0 : 1001));
    }
    CHECK(hub.websocket_count() == 0);
    CHECK(hub.stream_count() == 0);
    CHECK(hub.send(oc->id, "x") == OXIOS_E_CLOSED);

    // New connections after shutdown are closed at once.
    int late = raw_connect(ws_acc.port);
    REQUIRE(late >= 0);
    REQUIRE(raw_send(late, ws_upgrade_request()));
    std::string late_in;
    CHECK(raw_read_to_eof(late, late_in));
    CHECK(late_in.empty());
    CHECK(rec.count(Event::Opened) == 3);

    hub.shutdown();  // idempotent
    ::close(sse);
    ::close(mute);
}

TEST_CASE("an incomplete head is read to its end by the hub; opened() may send at once") {
    Recorder rec;
    rec.greet = true;
    ConnectionHub hub(quick_options(), rec);
    rec.hub = &hub;
    Acceptor acc(hub, OXIOS_ROUTE_SSE, 10);  // hands over "GET /api/e" only

    int fd = raw_connect(acc.port);
    REQUIRE(fd >= 0);
    REQUIRE(raw_send(fd, "GET /api/ev"));
    std::this_thread::sleep_for(50ms);
    REQUIRE(raw_send(fd, "ents?a=b HTTP/1.1\r\nHost: x\r\nLast-"));
    std::this_thread::sleep_for(50ms);
    REQUIRE(raw_send(fd, "Event-ID: 9\r\n\r\n"));
    auto op = rec.wait_opened();
    REQUIRE(op);
    CHECK(op->req.path == "/api/events");
    CHECK(op->req.query == "a=b");
    CHECK(op->last_event_id == 9);
    std::string in;
    CHECK(raw_read_until(fd, in, "\r\n\r\nhello " + std::to_string(op->id) + "\n"));
    ::close(fd);
    REQUIRE(rec.wait_closed(op->id));
}

TEST_CASE("WebSocket: sends from many threads while the peer goes away: one closed(), then OXIOS_E_CLOSED") {
    Recorder rec;
    rec.echo = false;
    ConnectionHub hub(quick_options(), rec);
    Acceptor acc(hub, OXIOS_ROUTE_WEBSOCKET);

    WsClient c;
    REQUIRE_FALSE(c.connect(acc.port));
    auto op = rec.wait_opened();
    REQUIRE(op);

    std::atomic<bool> go{true};
    std::atomic<size_t> ok{0};
    std::vector<std::thread> senders;
    for (int t = 0; t < 4; ++t)
        senders.emplace_back([&, t] {
            while (go) {
                auto st = hub.send(op->id, "t" + std::to_string(t));
                if (st == OXIOS_OK)
                    ++ok;
                else if (st == OXIOS_E_CLOSED)
                    break;
                std::this_thread::sleep_for(50us);
            }
        });
    std::string got;
    for (int i = 0; i < 100; ++i) {
        REQUIRE_FALSE(c.read(got));
        CHECK(got.size() == 2);
        CHECK(got[0] == 't');
    }
    // Now the peer leaves abruptly, while the senders go on.
    beast::error_code ig;
    c.ws.next_layer().close(ig);
    auto cl = rec.wait_closed(op->id);
    REQUIRE(cl);
    CHECK(cl->reason == OXIOS_CLOSE_PEER);
    go = false;
    for (auto& t : senders) t.join();
    CHECK(ok.load() >= 100);
    CHECK(hub.send(op->id, "x") == OXIOS_E_CLOSED);
    CHECK(rec.count(Event::Closed) == 1);
}

TEST_CASE("many connections: ids are unique; shutdown past its deadline reports each once") {
    Recorder rec;
    std::vector<uint64_t> ids;
    {
        ConnectionHub hub(quick_options(), rec);
        rec.hub = &hub;
        Acceptor ws_acc(hub, OXIOS_ROUTE_WEBSOCKET);
        Acceptor sse_acc(hub, OXIOS_ROUTE_SSE);
        std::vector<std::unique_ptr<WsClient>> clients;
        std::vector<int> streams;
        for (int i = 0; i < 20; ++i) {
            clients.push_back(std::make_unique<WsClient>());
            REQUIRE_FALSE(clients.back()->connect(ws_acc.port));
            int fd = raw_connect(sse_acc.port);
            REQUIRE(fd >= 0);
            REQUIRE(raw_send(fd, "GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n"));
            streams.push_back(fd);
        }
        REQUIRE(rec.wait_opened(39));
        CHECK(hub.websocket_count() == 20);
        CHECK(hub.stream_count() == 20);
        for (const auto& e : rec.events())
            if (e.kind == Event::Opened) ids.push_back(e.id);
        // Clients that do not drive their side: the close handshake cannot
        // finish, so the deadline path reports them.
        hub.shutdown(300ms);
        for (int fd : streams) ::close(fd);
    }
    std::set<uint64_t> unique(ids.begin(), ids.end());
    CHECK(unique.size() == 40);
    CHECK(*unique.begin() == 1);
    CHECK(*unique.rbegin() == 40);
    CHECK(rec.count(Event::Closed) == 40);
    CHECK(rec.count([](const Event& e) { return e.kind == Event::Closed && e.reason != OXIOS_CLOSE_SHUTDOWN; }) == 0);
}
