// ConnectionHub with WebSocket connections: upgrade, echo, close codes,
// pings and silence, overflow, concurrent senders.
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

}  // namespace

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
    CHECK(rec.count([&](const Event& e) { return e.kind == Event::Message && e.id == oa->id && e.data[0] != 'a'; }) ==
          0);
    CHECK(rec.count([&](const Event& e) { return e.kind == Event::Message && e.id == ob->id && e.data[0] != 'b'; }) ==
          0);
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
