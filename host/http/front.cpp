#include "http/front.hpp"

#include "http/body_length.hpp"
#include "http/connection_hub.hpp"
#include "http/elastic_pool.hpp"
#include "http/socket_stream.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <oxios/rules/json_error.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace oxios::http {
namespace {

using rules::json_error;

// An in-memory httplib::Stream: reads `in`, drops what is written.
class ScriptedStream final : public httplib::Stream {
public:
    explicit ScriptedStream(std::string_view in) : in_(in) {}
    bool is_readable() const override { return pos_ < in_.size(); }
    bool is_writable() const override { return true; }
    ssize_t read(char* ptr, size_t size) override {
        size_t n = std::min(size, in_.size() - pos_);
        std::memcpy(ptr, in_.data() + pos_, n);
        pos_ += n;
        return static_cast<ssize_t>(n);
    }
    ssize_t write(const char*, size_t size) override { return static_cast<ssize_t>(size); }
    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        ip = "127.0.0.1";
        port = 0;
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        ip = "127.0.0.1";
        port = 0;
    }
    socket_t socket() const override { return INVALID_SOCKET; }

private:
    std::string_view in_;
    size_t pos_ = 0;
};

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
        std::string message = res.status == 413   ? "request body exceeds limit of 10485760 bytes"
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
        throw std::runtime_error("cannot listen on " + options_.host + ":" + std::to_string(options_.port) + ": " +
                                 std::string(std::strerror(errno)));
    // cpp-httplib listens with a backlog of 5: widen it on the same socket.
    ::listen(svr_sock_, options_.backlog);
    return port;
}

void Front::serve_forever() {
    initialise_library_statics();
    listen_after_bind();  // starts the workers
}

// cpp-httplib's request path initialises function-local statics on first use:
// Server::parse_request_line's std::set of method names, parse_range_header's
// two regexes. They live in libcpp-httplib.so, which is not built with
// -fsanitize=thread: ThreadSanitizer sees the writes that fill the set
// (operator new, memcpy) and the memcmp that reads it, but not the acquire
// load of the guard by which a later worker skips __cxa_guard_acquire. The
// first requests of a process, parsed on two workers at once, were reported
// as a data race (memcmp in one worker against operator new or memcpy in the
// other; front_test.cpp reproduces it) and a TSan run aborted. The program was
// right: the guard load is an acquire. Initialising them here, on the thread
// that starts the workers and before it does, makes them happen-before every
// worker for TSan too. (The regexes are read with plain loads TSan cannot see
// in that library; they get the same treatment so the question never comes back.)
void Front::initialise_library_statics() {
    ScriptedStream strm("OXIOS-INIT / HTTP/1.1\r\n\r\n");
    bool closed = false;
    process_request(strm, true, closed, nullptr);  // unknown method: 400, never routed
    httplib::Ranges ranges;
    httplib::detail::parse_range_header("bytes=0-0, 1-1", ranges);
}

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

void Front::frame_empty_body(SocketStream& strm) {
    const auto head = strm.buffered();
    if (!(head.starts_with("P") || head.starts_with("D"))) return;  // GET, HEAD, OPTIONS: never a body read
    if (!strm.fill_until("\r\n\r\n", 64 * 1024)) return;            // cpp-httplib answers what is wrong with it
    if (const auto at = empty_body_length_at(strm.buffered())) strm.insert_buffered(*at, "Content-Length: 0\r\n");
}

bool Front::process_and_close_socket(socket_t sock) {
    int one = 1;
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    SocketStream strm(sock, read_timeout_sec_, write_timeout_sec_);
    bool ok = false;
    for (size_t count = keep_alive_max_count_; count > 0; --count) {
        if (!wait_for_next_request(strm)) break;
        if (hand_over_stream(strm, sock)) return true;  // the hub owns the socket now
        frame_empty_body(strm);
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
