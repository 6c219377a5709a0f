// The HTTP front: owns the listening socket and the HTTP engine (cpp-httplib),
// serves plain requests through a Dispatcher, and hands connections for
// WebSocket and SSE routes to the ConnectionHub, on the same port.
#pragma once

#include "oxios_plugin.h"

#include <httplib.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace oxios::http {

class ConnectionHub;

// What the front needs of whoever serves routes (host/plugins implements it).
class Dispatcher {
public:
    virtual ~Dispatcher() = default;
    // The kind of the route that would serve (method, raw path as sent).
    virtual oxios_route_kind route_kind(std::string_view method, std::string_view path) = 0;
    // Serves one plain request; must fill res (status, body, content type).
    virtual void serve(const httplib::Request& req, httplib::Response& res) = 0;
};

class Front final : public httplib::Server {
public:
    struct Options {
        std::string host = "127.0.0.1";
        int port = 4200;  // 0 = any free port
        size_t max_body = 10 * 1024 * 1024;
        size_t min_threads = 8;
        size_t max_threads = 2048;
        int backlog = 1024;
    };

    Front(Options options, Dispatcher& dispatcher, ConnectionHub* hub);

    // Binds and listens; returns the bound port. Throws std::runtime_error.
    int bind();
    // Serves until stop(); in-flight requests finish before it returns.
    void serve_forever();

    size_t threads() const;

private:
    bool process_and_close_socket(socket_t sock) override;
    void initialise_library_statics();
    bool wait_for_next_request(class SocketStream& strm);
    bool hand_over_stream(class SocketStream& strm, socket_t sock);
    // RFC 9112 6.3: states "Content-Length: 0" for a request that frames no body.
    void frame_empty_body(class SocketStream& strm);

    Options options_;
    Dispatcher& dispatcher_;
    ConnectionHub* hub_;
    class ElasticPool* pool_ = nullptr;  // owned by httplib (task queue)
};

}  // namespace oxios::http
