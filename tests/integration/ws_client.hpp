// Test clients shared by the integration suites: a synchronous WebSocket
// client (Boost.Beast) and a watchdog that bounds its blocking reads.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace oxios::test {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;

// ---- a WebSocket client: Beast, synchronous, one thread per client ---------
// A watchdog (shutdown of the native socket) bounds every blocking read.
class WsClient {
    using tcp = net::ip::tcp;

public:
    WsClient(int port, const std::string& target = "/api/chat/stream",
             const std::vector<std::pair<std::string, std::string>>& headers = {})
        : ws_(ioc_) {
        tcp::endpoint ep(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
        ws_.next_layer().connect(ep);
        ws_.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
            for (const auto& [n, v] : headers) req.set(n, v);
        }));
        try {
            ws_.handshake(response_, "127.0.0.1:" + std::to_string(port), target);
            open_ = true;
        } catch (const beast::system_error&) {
            open_ = false;  // refused: response_ holds the answer
        }
    }
    ~WsClient() {
        beast::error_code ec;
        if (open_) ws_.close(websocket::close_code::normal, ec);
        ws_.next_layer().close(ec);
    }
    bool open() const { return open_; }
    const websocket::response_type& response() const { return response_; }
    int fd() { return ws_.next_layer().native_handle(); }

    bool send(const std::string& text, bool binary = false) {
        beast::error_code ec;
        ws_.binary(binary);
        ws_.write(net::buffer(text), ec);
        if (ec) open_ = false;
        return !ec;
    }
    // One frame, or "" when the connection failed / closed.
    std::string read() {
        beast::flat_buffer buf;
        beast::error_code ec;
        ws_.read(buf, ec);
        if (ec) {
            open_ = false;
            close_error_ = ec.message();
            return {};
        }
        return beast::buffers_to_string(buf.data());
    }
    const std::string& close_error() const { return close_error_; }

private:
    net::io_context ioc_;
    websocket::stream<tcp::socket> ws_;
    websocket::response_type response_;
    bool open_ = false;
    std::string close_error_;
};

// Shuts down registered sockets if the test outlives its deadline, so that no
// blocking read can hang the suite.
class Watchdog {
public:
    explicit Watchdog(std::chrono::seconds limit)
        : thread_([this, limit] {
              std::unique_lock lock(mutex_);
              if (!cv_.wait_for(lock, limit, [this] { return done_; })) {
                  fired_ = true;
                  for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
              }
          }) {}
    ~Watchdog() {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }
    void watch(int fd) {
        std::lock_guard lock(mutex_);
        fds_.push_back(fd);
    }
    bool fired() const { return fired_; }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<int> fds_;
    bool done_ = false;
    std::atomic<bool> fired_{false};
    std::thread thread_;
};

}  // namespace oxios::test
