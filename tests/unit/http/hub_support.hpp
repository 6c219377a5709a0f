// Test support for the ConnectionHub suite: a recording StreamHandler, an
// acceptor that mimics the front (reads the request head, then adopt()), a
// Beast WebSocket client driven with timeouts, and raw-socket helpers.
#pragma once

// Asio under GCC 12 + TSan: see host/http/held_connection.hpp.
#if defined(__SANITIZE_THREAD__)
#pragma GCC diagnostic ignored "-Wtsan"
#endif

#include "http/connection_hub.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace hubtest {

using namespace std::chrono_literals;
using oxios::http::Admission;
using oxios::http::ConnectionHub;
using oxios::http::HeldRequest;
using oxios::http::StreamHandler;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;

inline const bool sigpipe_ignored = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
}();

// ------------------------------------------------------------- Recorder ---

struct Event {
    enum Kind { Admit, Opened, Message, Closed, Writable } kind;
    uint64_t id = 0;
    oxios_route_kind route = OXIOS_ROUTE_PLAIN;
    std::string data;
    bool text = false;
    uint16_t code = 0;
    oxios_close_reason reason = OXIOS_CLOSE_PEER;
    uint64_t last_event_id = 0;
    HeldRequest req;
};

class Recorder : public StreamHandler {
public:
    std::atomic<ConnectionHub*> hub{nullptr};
    std::atomic<bool> echo{true};
    std::atomic<bool> greet{false};       // opened() sends at once (like an SSE replay)
    std::atomic<int> opened_delay_ms{0};  // opened() takes this long before it records

    void set_admission(Admission a) {
        std::lock_guard lk(mu_);
        admission_ = std::move(a);
    }

    Admission admit(const HeldRequest& req, oxios_route_kind kind) override {
        Event e{Event::Admit};
        e.route = kind;
        e.req = req;
        push(std::move(e));
        std::lock_guard lk(mu_);
        return admission_;
    }
    void opened(uint64_t id, oxios_route_kind kind, const HeldRequest& req, uint64_t last_event_id) override {
        if (int d = opened_delay_ms.load(); d > 0) std::this_thread::sleep_for(ms(d));
        Event e{Event::Opened};
        e.id = id;
        e.route = kind;
        e.req = req;
        e.last_event_id = last_event_id;
        push(std::move(e));
        if (greet.load())
            if (auto* h = hub.load()) h->send(id, "hello " + std::to_string(id) + "\n");
    }
    void message(uint64_t id, std::string_view data, bool text) override {
        {
            std::lock_guard lk(mu_);
            if (!in_message_.insert(id).second) overlap_ = true;  // two at once for one id
        }
        Event e{Event::Message};
        e.id = id;
        e.data = std::string(data);
        e.text = text;
        push(std::move(e));
        if (echo.load())
            if (auto* h = hub.load()) h->send(id, "echo:" + std::string(data));
        std::lock_guard lk(mu_);
        in_message_.erase(id);
    }
    void closed(uint64_t id, uint16_t code, oxios_close_reason reason) override {
        Event e{Event::Closed};
        e.id = id;
        e.code = code;
        e.reason = reason;
        push(std::move(e));
    }

    void writable(uint64_t id) override {
        Event e{Event::Writable};
        e.id = id;
        push(std::move(e));
    }

    std::optional<Event> wait(const std::function<bool(const Event&)>& pred, ms timeout = 3000ms) {
        std::unique_lock lk(mu_);
        std::optional<Event> found;
        cv_.wait_for(lk, timeout, [&] {
            for (const auto& e : events_)
                if (pred(e)) {
                    found = e;
                    return true;
                }
            return false;
        });
        return found;
    }
    // The nth opened() (0-based), waiting for it.
    std::optional<Event> wait_opened(size_t nth = 0, ms timeout = 3000ms) {
        std::unique_lock lk(mu_);
        std::optional<Event> found;
        cv_.wait_for(lk, timeout, [&] {
            size_t seen = 0;
            for (const auto& e : events_)
                if (e.kind == Event::Opened && seen++ == nth) {
                    found = e;
                    return true;
                }
            return false;
        });
        return found;
    }
    std::optional<Event> wait_closed(uint64_t id, ms timeout = 3000ms) {
        return wait([id](const Event& e) { return e.kind == Event::Closed && e.id == id; }, timeout);
    }
    // Waits until `id` has had at least `n` events of kind `k`.
    bool wait_count(Event::Kind k, uint64_t id, size_t n, ms timeout) {
        std::unique_lock lk(mu_);
        return cv_.wait_for(lk, timeout, [&] {
            size_t seen = 0;
            for (const auto& e : events_) seen += e.kind == k && e.id == id ? 1 : 0;
            return seen >= n;
        });
    }
    size_t count(const std::function<bool(const Event&)>& pred) const {
        std::lock_guard lk(mu_);
        size_t n = 0;
        for (const auto& e : events_) n += pred(e) ? 1 : 0;
        return n;
    }
    size_t count(Event::Kind k) const {
        return count([k](const Event& e) { return e.kind == k; });
    }
    std::vector<Event> events() const {
        std::lock_guard lk(mu_);
        return events_;
    }
    bool overlap() const {
        std::lock_guard lk(mu_);
        return overlap_;
    }

private:
    void push(Event e) {
        {
            std::lock_guard lk(mu_);
            events_.push_back(std::move(e));
        }
        cv_.notify_all();
    }

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::vector<Event> events_;
    std::set<uint64_t> in_message_;
    bool overlap_ = false;
    Admission admission_ = [] {
        Admission a;
        a.admitted = true;
        a.status = 200;
        return a;
    }();
};

inline Admission admitted_with(std::vector<std::pair<std::string, std::string>> headers) {
    Admission a;
    a.admitted = true;
    a.status = 200;
    a.headers = std::move(headers);
    return a;
}

// The WebSocket read ended with the close handshake.
inline bool is_closed(beast::error_code ec) { return ec == websocket::error::closed; }

// ------------------------------------------------------------- raw sockets ---

inline int raw_connect(uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

inline bool raw_send(int fd, std::string_view s) {
    while (!s.empty()) {
        ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
        if (n <= 0) return false;
        s.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

// Reads into `out` until `delim` appears, EOF, or the timeout. Returns whether
// delim was found; `eof` tells whether the peer closed.
inline bool raw_read_until(int fd, std::string& out, std::string_view delim, ms timeout = 3000ms, bool* eof = nullptr) {
    auto until = Clock::now() + timeout;
    if (eof) *eof = false;
    for (;;) {
        if (!delim.empty() && out.find(delim) != std::string::npos) return true;
        auto left = std::chrono::duration_cast<ms>(until - Clock::now()).count();
        if (left <= 0) return false;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
        char buf[8192];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            if (eof) *eof = true;
            return !delim.empty() && out.find(delim) != std::string::npos;
        }
        out.append(buf, static_cast<size_t>(n));
    }
}

// Reads until the peer closes; returns false on timeout.
inline bool raw_read_to_eof(int fd, std::string& out, ms timeout = 3000ms) {
    bool eof = false;
    raw_read_until(fd, out, {}, timeout, &eof);
    return eof;
}

inline std::string ws_upgrade_request(std::string_view target = "/api/chat/stream") {
    return "GET " + std::string(target) +
           " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

// ------------------------------------------------------------- acceptor ---

// Mimics the front: accepts, reads the request head, hands the fd over.
class Acceptor {
public:
    // head_bytes > 0: hand over only that many bytes of the head (the hub
    // must read the rest itself).
    Acceptor(ConnectionHub& hub, oxios_route_kind kind, size_t head_bytes = 0)
        : hub_(hub), kind_(kind), head_bytes_(head_bytes) {
        lfd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(lfd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(lfd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
        ::listen(lfd_, 64);
        socklen_t len = sizeof a;
        ::getsockname(lfd_, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
        thread_ = std::thread([this] { run(); });
    }
    ~Acceptor() {
        stop_ = true;
        thread_.join();
        ::close(lfd_);
    }
    Acceptor(const Acceptor&) = delete;
    Acceptor& operator=(const Acceptor&) = delete;

    uint16_t port = 0;

private:
    void run() {
        while (!stop_) {
            pollfd p{lfd_, POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) continue;
            int fd = ::accept(lfd_, nullptr, nullptr);
            if (fd < 0) continue;
            std::string head;
            if (head_bytes_ > 0) {
                head.resize(head_bytes_);
                ssize_t n = ::recv(fd, head.data(), head.size(), MSG_WAITALL);
                head.resize(n > 0 ? static_cast<size_t>(n) : 0);
            } else {
                raw_read_until(fd, head, "\r\n\r\n", 2000ms);
            }
            hub_.adopt(fd, std::move(head), kind_);
        }
    }

    ConnectionHub& hub_;
    oxios_route_kind kind_;
    size_t head_bytes_ = 0;
    int lfd_ = -1;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// ------------------------------------------------------------ WS client ---

// A Beast client whose operations run on its own io_context with timeouts.
class WsClient {
public:
    net::io_context ioc;
    websocket::stream<tcp::socket> ws{ioc};
    websocket::response_type res;
    beast::flat_buffer buf;

    // Connects and upgrades; returns the handshake's error.
    beast::error_code connect(uint16_t port, std::string target = "/api/chat/stream",
                              std::vector<std::pair<std::string, std::string>> headers = {}) {
        beast::error_code ec;
        ws.next_layer().connect(tcp::endpoint(net::ip::address_v4::loopback(), port), ec);
        if (ec) return ec;
        ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
            for (const auto& [k, v] : headers) req.set(k, v);
        }));
        std::optional<beast::error_code> r;
        ws.async_handshake(res, "127.0.0.1", target, [&](beast::error_code e) { r = e; });
        return drive(r, 3000ms);
    }

    void write(std::string_view s, bool text = true) {
        ws.text(text);
        std::optional<beast::error_code> r;
        ws.async_write(net::buffer(s), [&](beast::error_code e, size_t) { r = e; });
        auto ec = drive(r, 3000ms);
        if (ec) throw beast::system_error(ec);
    }

    void start_read() {
        read_result_.reset();
        buf.consume(buf.size());
        ws.async_read(buf, [this](beast::error_code e, size_t) { read_result_ = e; });
    }
    // Runs the client (answering pings) for a while.
    void run_for(ms d) {
        ioc.restart();
        ioc.run_for(d);
    }
    beast::error_code finish_read(std::string& out, ms timeout = 3000ms) {
        auto ec = drive(read_result_, timeout);
        out = beast::buffers_to_string(buf.data());
        return ec;
    }
    beast::error_code read(std::string& out, ms timeout = 3000ms) {
        start_read();
        return finish_read(out, timeout);
    }
    beast::error_code close(uint16_t code = websocket::close_code::normal) {
        std::optional<beast::error_code> r;
        ws.async_close(websocket::close_reason(code), [&](beast::error_code e) { r = e; });
        return drive(r, 3000ms);
    }

private:
    beast::error_code drive(std::optional<beast::error_code>& r, ms timeout) {
        auto until = Clock::now() + timeout;
        while (!r && Clock::now() < until) {
            ioc.restart();
            ioc.run_one_for(until - Clock::now());
        }
        if (!r) {
            beast::error_code ig;
            ws.next_layer().cancel(ig);
            ioc.restart();
            ioc.run_for(500ms);
            return net::error::timed_out;
        }
        return *r;
    }

    std::optional<beast::error_code> read_result_;
};

inline ConnectionHub::Options quick_options() {
    ConnectionHub::Options o;
    o.ws_ping_interval = 10000ms;
    o.ws_silence_limit = 20000ms;
    o.sse_ping_interval = 10000ms;
    o.io_threads = 2;
    return o;
}

}  // namespace hubtest
