#include "http/front.hpp"

#include "http/connection_hub.hpp"
#include "http/elastic_pool.hpp"
#include "http/socket_stream.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace oxios::http {
namespace {

std::string json_error(std::string_view message) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("error");
    w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
    w.EndObject();
    return {buf.GetString(), buf.GetSize()};
}

}  // namespace

Front::Front(Options options, Dispatcher& dispatcher, ConnectionHub* hub)
    : options_(std::move(options)), dispatcher_(dispatcher), hub_(hub) {
    new_task_queue = [this] {
        pool_ = new ElasticPool(options_.min_threads, options_.max_threads);
        return pool_;
    };
    set_tcp_nodelay(true);
    set_keep_alive_max_count(100000);
    set_keep_alive_timeout(5);
    set_payload_max_length(options_.max_body);
    // One catch-all per method: the route table is ours. (A pre-routing
    // handler would run before cpp-httplib reads the request body.)
    auto serve = [this](const httplib::Request& req, httplib::Response& res) { dispatcher_.serve(req, res); };
    Get(".*", serve);
    Post(".*", serve);
    Put(".*", serve);
    Patch(".*", serve);
    Delete(".*", serve);
    httplib::Server::Options(".*", serve);
    // Errors cpp-httplib answers by itself (413, 400 on a malformed request)
    // get the JSON body every error of ours carries.
    set_error_handler(HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return HandlerResponse::Unhandled;
        std::string message = res.status == 413 ? "request body exceeds limit of 10485760 bytes"
                              : res.status == 400 ? "bad request"
                              : res.status == 404 ? "not found"
                                                  : "request failed with status " + std::to_string(res.status);
        res.set_content(json_error(message), "application/json");
        return HandlerResponse::Handled;
    }));
}

int Front::bind() {
    int port = options_.port == 0 ? bind_to_any_port(options_.host)
                                  : (bind_to_port(options_.host, options_.port) ? options_.port : -1);
    if (port < 0)
        throw std::runtime_error("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                                 ": " + std::string(std::strerror(errno)));
    // cpp-httplib listens with a backlog of 5: widen it on the same socket.
    ::listen(svr_sock_, options_.backlog);
    return port;
}

void Front::serve_forever() { listen_after_bind(); }

size_t Front::threads() const { return pool_ ? pool_->threads() : 0; }

bool Front::wait_for_next_request(SocketStream& strm) {
    // Keep-alive wait in slices, so that a stopping server lets idle
    // connections go at once.
    const int slice_ms = 100;
    for (time_t waited = 0; waited < keep_alive_timeout_sec_ * 1000; waited += slice_ms) {
        if (svr_sock_ == INVALID_SOCKET) return false;
        if (strm.wait_readable(slice_ms)) return true;
        if (strm.buffered().empty()) {
            // wait_readable false with nothing buffered: timeout or closed.
            char probe;
            ssize_t n = ::recv(strm.socket(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
            if (n == 0) return false;
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
        }
    }
    return false;
}

// Looks at the request line; a GET on a WebSocket or SSE route goes to the hub.
bool Front::hand_over_stream(SocketStream& strm, socket_t sock) {
    if (!hub_) return false;
    auto head = strm.buffered();
    if (head.size() < 4 || head.substr(0, 4) != "GET ") return false;
    if (!strm.fill_until("\r\n", 8192)) return false;
    head = strm.buffered();
    size_t end = head.find_first_of(" ?", 4);
    if (end == std::string_view::npos) return false;
    auto kind = dispatcher_.route_kind("GET", head.substr(4, end - 4));
    if (kind == OXIOS_ROUTE_PLAIN) return false;
    if (!strm.fill_until("\r\n\r\n", 64 * 1024)) return false;
    hub_->adopt(sock, strm.take_buffered(), kind);
    return true;
}

bool Front::process_and_close_socket(socket_t sock) {
    int one = 1;
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    SocketStream strm(sock, read_timeout_sec_, write_timeout_sec_);
    bool ok = false;
    for (size_t count = keep_alive_max_count_; count > 0; --count) {
        if (!wait_for_next_request(strm)) break;
        if (hand_over_stream(strm, sock)) return true;  // the hub owns the socket now
        bool closed = false;
        ok = process_request(strm, count == 1 || svr_sock_ == INVALID_SOCKET, closed, nullptr);
        if (!strm.flush()) ok = false;
        if (!ok || closed) break;
    }
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ok;
}

}  // namespace oxios::http
