// A test SSE client over a raw socket (the event stream's exact bytes), and
// the check that a stream's ids step by exactly one.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

namespace oxios::test {

class SseClient {
public:
    explicit SseClient(int port, const std::string& target = "/api/events", const std::string& extra_headers = "") {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<uint16_t>(port));
        ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
        const std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                                "\r\nAccept: text/event-stream\r\n" + extra_headers + "\r\n";
        if (::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) return;
        // Head.
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (head_.find("\r\n\r\n") == std::string::npos && std::chrono::steady_clock::now() < until) {
            if (!pump(200)) break;
            head_ += buf_;
            buf_.clear();
        }
        const size_t end = head_.find("\r\n\r\n");
        if (end == std::string::npos) return;
        buf_ = head_.substr(end + 4);
        head_.resize(end + 4);
        status_ = head_.rfind("HTTP/1.1 ", 0) == 0 ? std::atoi(head_.c_str() + 9) : 0;
        // A proxy (nginx) sends a body without a length as chunks.
        std::string lower = head_;
        for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        chunked_ = lower.find("transfer-encoding: chunked") != std::string::npos;
        if (chunked_) {
            raw_ = std::move(buf_);
            buf_.clear();
            dechunk();
        }
        parse_events();
    }
    ~SseClient() {
        if (fd_ >= 0) ::close(fd_);
    }
    SseClient(const SseClient&) = delete;
    SseClient& operator=(const SseClient&) = delete;

    int status() const { return status_; }
    const std::string& head() const { return head_; }
    bool closed() const { return closed_; }
    int fd() const { return fd_; }

    struct Message {
        uint64_t id = 0;
        std::string event, data;
    };
    // Reads for up to `ms`; returns false when the peer closed.
    bool poll_once(int ms) {
        if (!pump(ms)) return !closed_;
        parse_events();
        return true;
    }
    // Reads until pred() or the deadline.
    template <class Pred>
    bool wait(Pred pred, std::chrono::milliseconds timeout) {
        const auto until = std::chrono::steady_clock::now() + timeout;
        while (!pred()) {
            if (std::chrono::steady_clock::now() > until || closed_) return pred();
            poll_once(50);
        }
        return true;
    }
    std::vector<Message> messages() {
        std::lock_guard lock(mutex_);
        return messages_;
    }
    uint64_t last_id() {
        std::lock_guard lock(mutex_);
        for (auto it = messages_.rbegin(); it != messages_.rend(); ++it)
            if (it->id) return it->id;
        return 0;
    }

private:
    bool pump(int ms) {
        pollfd p{fd_, POLLIN, 0};
        const int r = ::poll(&p, 1, ms);
        if (r <= 0) return false;
        char tmp[16384];
        const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
        if (n <= 0) {
            closed_ = true;
            return false;
        }
        if (chunked_) {
            raw_.append(tmp, static_cast<size_t>(n));
            dechunk();
        } else {
            buf_.append(tmp, static_cast<size_t>(n));
        }
        return true;
    }
    void parse_events() {
        size_t end;
        while ((end = buf_.find("\n\n")) != std::string::npos) {
            const std::string block = buf_.substr(0, end);
            buf_.erase(0, end + 2);
            Message m;
            bool any = false;
            std::istringstream lines(block);
            std::string line;
            while (std::getline(lines, line)) {
                if (line.empty() || line[0] == ':') continue;
                any = true;
                if (line.rfind("id: ", 0) == 0)
                    m.id = std::stoull(line.substr(4));
                else if (line.rfind("event: ", 0) == 0)
                    m.event = line.substr(7);
                else if (line.rfind("data: ", 0) == 0)
                    m.data = line.substr(6);
            }
            if (any) {
                std::lock_guard lock(mutex_);
                messages_.push_back(std::move(m));
            }
        }
    }

    int fd_ = -1;
    int status_ = 0;
    std::atomic<bool> closed_{false};
    // Moves the complete chunks of raw_ into buf_ ("<hex size>\r\n<data>\r\n").
    void dechunk() {
        for (;;) {
            const size_t eol = raw_.find("\r\n");
            if (eol == std::string::npos) return;
            const size_t size = std::strtoul(raw_.substr(0, eol).c_str(), nullptr, 16);
            if (raw_.size() < eol + 2 + size + 2) return;
            buf_.append(raw_, eol + 2, size);
            raw_.erase(0, eol + 2 + size + 2);
            if (size == 0) return;
        }
    }

    bool chunked_ = false;
    std::string head_, buf_, raw_;
    std::mutex mutex_;
    std::vector<Message> messages_;
};

inline  // The ids of `msgs` are consecutive (no gap, no repeat); a resync would be a gap.
    bool
    consecutive(const std::vector<SseClient::Message>& msgs, uint64_t& first, uint64_t& last, std::string& why) {
    first = last = 0;
    for (const auto& m : msgs) {
        if (m.event == "resync") {
            why = "resync: " + m.data;
            return false;
        }
        if (m.id == 0) continue;
        if (first == 0)
            first = m.id;
        else if (m.id != last + 1) {
            why = "after " + std::to_string(last) + " came " + std::to_string(m.id);
            return false;
        }
        last = m.id;
    }
    return true;
}

}  // namespace oxios::test
