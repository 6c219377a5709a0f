// ConnectionHub: the request head and admission common to both kinds, many
// connections at once, and shutdown.
#include "unit/http/hub_support.hpp"

#include <doctest/doctest.h>

using namespace hubtest;

TEST_CASE("HeldRequest::header is case-insensitive and empty when absent") {
    HeldRequest r;
    r.headers = {{"Last-Event-ID", "7"}, {"X-A", "1"}, {"x-a", "2"}};
    CHECK(r.header("last-event-id") == "7");
    CHECK(r.header("LAST-EVENT-ID") == "7");
    CHECK(r.header("X-a") == "1");
    CHECK(r.header("missing").empty());
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
