// Upgrade handling: adopt() reads and checks the request head a front worker
// handed over, asks the StreamHandler to admit it, and builds the connection
// (or a Refusal that writes the error response and closes).
#include "http/held_connection.hpp"

#include <oxios/rules/json_error.hpp>
#include <oxios/rules/percent.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>

namespace oxios::http {
namespace hub_detail {

bool iequals(std::string_view a, std::string_view b) {
    // Header names: Beast refuses a NUL in them, which would end the comparison.
    return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool header_ok(const std::pair<std::string, std::string>& h) {
    auto bad = [](std::string_view s) {
        return s.find_first_of("\r\n", 0) != std::string_view::npos || s.find('\0') != std::string_view::npos;
    };
    if (h.first.empty() || bad(h.first) || bad(h.second) || h.first.find(':') != std::string::npos) return false;
    return !iequals(h.first, "content-length") && !iequals(h.first, "transfer-encoding") &&
           !iequals(h.first, "connection");
}

namespace {

constexpr size_t kMaxHead = 64 * 1024;
constexpr auto kHeadReadTimeout = std::chrono::seconds(10);
constexpr auto kRefusalLinger = std::chrono::seconds(1);

using rules::json_error;
using rules::percent_decode;

uint64_t parse_last_event_id(std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    uint64_t out = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || p != v.data() + v.size() || v.empty()) return 0;
    return out;
}

std::string refusal_text(int status, std::string_view content_type, std::string_view body, const Headers& headers) {
    if (status < 100 || status > 999) status = 500;
    auto st = bhttp::int_to_status(static_cast<unsigned>(status));
    std::string reason = st == bhttp::status::unknown ? "Error" : std::string(bhttp::obsolete_reason(st));
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
    if (!content_type.empty()) out += "Content-Type: " + std::string(content_type) + "\r\n";
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    for (const auto& h : headers) {
        if (!header_ok(h) || (iequals(h.first, "content-type") && !content_type.empty())) continue;
        out += h.first + ": " + h.second + "\r\n";
    }
    out += "Connection: close\r\n\r\n";
    out += body;
    return out;
}

// Reads more of the request head from the blocking socket, bounded by deadline.
bool read_more(int fd, std::string& buf, Clock::time_point deadline) {
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return false;
        pollfd p{fd, POLLIN, 0};
        int r = ::poll(&p, 1, static_cast<int>(left));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        char tmp[4096];
        ssize_t n = ::recv(fd, tmp, sizeof tmp, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        if (n <= 0) return false;
        buf.append(tmp, static_cast<size_t>(n));
        return true;
    }
}

void peer_of(int fd, std::string& addr, uint16_t& port) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return;
    char text[INET6_ADDRSTRLEN] = {};
    if (ss.ss_family == AF_INET) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
        ::inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
        port = ntohs(sin->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
        ::inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text);
        port = ntohs(sin6->sin6_port);
    }
    addr = text;
}

tcp protocol_of(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0 && ss.ss_family == AF_INET6) return tcp::v6();
    return tcp::v4();
}

// -------------------------------------------------------------- Refusal ---

// Writes one HTTP response, then closes (after a short linger so the client
// reads it rather than a reset). It stays pending until abort() forgets it.
class Refusal final : public Held {
public:
    Refusal(Impl& hub, oxios_route_kind kind, std::string out)
        : Held(hub, kind, HeldRequest{}), sock_(strand_), out_(std::move(out)), linger_(strand_) {}
    tcp::socket& socket() override { return sock_; }

private:
    void start() override {
        if (phase_ != Phase::pending) return;
        net::async_write(sock_, net::buffer(out_), [s = self<Refusal>()](beast::error_code ec, size_t) {
            if (ec) return (void)s->abort();
            beast::error_code ig;
            s->sock_.shutdown(tcp::socket::shutdown_send, ig);
            s->linger_.expires_after(kRefusalLinger);
            s->linger_.async_wait([s](beast::error_code e) {
                if (!e) s->abort();
            });
            s->drain();
        });
    }
    void drain() {
        sock_.async_read_some(net::buffer(rbuf_), [s = self<Refusal>()](beast::error_code ec, size_t) {
            if (ec) return (void)s->abort();
            s->drain();
        });
    }
    // The refusal never opens: it ends by abort(), which cancels the linger.
    void cancel_timers() override { linger_.cancel(); }

    tcp::socket sock_;
    std::string out_;
    std::array<char, 1024> rbuf_{};
    net::steady_timer linger_;
};

}  // namespace
}  // namespace hub_detail

std::string HeldRequest::header(std::string_view name) const {
    for (const auto& [k, v] : headers)
        if (hub_detail::iequals(k, name)) return v;
    return {};
}

void ConnectionHub::Impl::adopt(int fd, std::string buf, oxios_route_kind kind) {
    using namespace hub_detail;
    // Owns the fd until an Asio socket does (also on an exception).
    struct FdGuard {
        int fd;
        ~FdGuard() {
            if (fd >= 0) ::close(fd);
        }
    } guard_fd{fd};
    {
        std::lock_guard lk(mu);
        if (stopping) return;
    }

    // Parse the head (the front normally read all of it already).
    bhttp::request_parser<bhttp::empty_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(kMaxHead));
    parser.eager(false);
    int refuse = 0;
    std::string refuse_msg;
    auto deadline = Clock::now() + kHeadReadTimeout;
    for (;;) {
        beast::error_code ec;
        parser.put(net::buffer(buf), ec);
        if (!ec && parser.is_header_done()) break;
        if (ec && ec != bhttp::error::need_more) {
            refuse = ec == bhttp::error::header_limit ? 431 : 400;
            break;
        }
        if (buf.size() > kMaxHead) {
            refuse = 431;
            break;
        }
        if (!read_more(fd, buf, deadline)) return;  // client gone or too slow: nothing to answer
    }

    HeldRequest req;
    peer_of(fd, req.remote_addr, req.remote_port);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    std::shared_ptr<Held> conn;
    auto refusal = [&](int status, std::string_view ct, std::string_view body, const Headers& headers) {
        conn = std::make_shared<Refusal>(*this, kind, refusal_text(status, ct, body, headers));
    };

    if (refuse) {
        refusal(refuse, "application/json",
                json_error(refuse == 431 ? "request header fields too large" : "bad request"), {});
    } else {
        const auto& m = parser.get();
        req.method = std::string(m.method_string());
        req.target = std::string(m.target());
        auto q = req.target.find('?');
        req.path = percent_decode(std::string_view(req.target).substr(0, q));
        if (q != std::string::npos) req.query = req.target.substr(q + 1);
        for (const auto& f : m) req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));

        if (kind == OXIOS_ROUTE_WEBSOCKET && !valid_websocket_upgrade(m)) {
            refusal(400, "application/json", json_error("expected a WebSocket upgrade"), {});
        } else if (kind == OXIOS_ROUTE_WEBSOCKET && m[bhttp::field::sec_websocket_version] != "13") {
            refusal(426, "application/json", json_error("unsupported WebSocket version"),
                    {{"Sec-WebSocket-Version", "13"}});
        } else if (kind == OXIOS_ROUTE_SSE && m.method() != bhttp::verb::get) {
            refusal(405, "application/json", json_error("method not allowed"), {{"Allow", "GET"}});
        } else if (kind != OXIOS_ROUTE_WEBSOCKET && kind != OXIOS_ROUTE_SSE) {
            refusal(400, "application/json", json_error("bad request"), {});
        } else {
            Admission a;
            try {
                a = handler.admit(req, kind);
            } catch (...) {
                a = Admission{};
                a.admitted = false;
                a.status = 500;
                a.body = json_error("internal error");
            }
            if (!a.admitted) {
                refusal(a.status, a.content_type, a.body, a.headers);
            } else if (kind == OXIOS_ROUTE_WEBSOCKET) {
                conn = make_websocket(*this, std::move(req), parser.release(), std::move(a.headers));
            } else {
                uint64_t last = 0;
                for (const auto& [k, v] : req.headers)
                    if (iequals(k, "last-event-id")) {
                        last = parse_last_event_id(v);
                        break;
                    }
                conn = make_sse(*this, std::move(req), a.headers, last);
            }
        }
    }

    beast::error_code ec;
    conn->socket().assign(protocol_of(fd), fd, ec);
    if (ec) return;
    guard_fd.fd = -1;  // the socket owns it now
    {
        std::lock_guard lk(mu);
        if (stopping) return;  // conn (and with it the socket) goes away here
        pending.emplace(conn.get(), conn);
    }
    conn->post_start();
}

}  // namespace oxios::http
