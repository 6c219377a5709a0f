// P8's SSE side: N subscribers on plain non-blocking sockets, read by T
// threads that each own their share of the sockets and one epoll set, and
// count each event's arrivals in their own arrays. On one machine the reader
// shares the cores with the host it measures: it costs about one recv() per
// event per socket and nothing else (no reactor lock, no shared counters).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace oxios_bench {

// Binds a client socket to its source address (network order) before it
// connects; the port is chosen at connect time, per destination
// (IP_BIND_ADDRESS_NO_PORT), so K source addresses give K times the ports.
inline bool bind_source(int fd, in_addr_t source) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = source;
    return ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

class SseFanoutReader {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr size_t kMaxEvents = 65536;  // by bus seq (a fresh host)

    // stamp_us: the event's publish time from its "data:" line (0 if none);
    // wall_us: now on the clock the stamps use; key_field: the string field of
    // an event that seq_of() finds it by (e.g. memory_id).
    SseFanoutReader(int threads, int64_t (*stamp_us)(std::string_view), int64_t (*wall_us)(), std::string key_field)
        : stamp_us_(stamp_us),
          wall_us_(wall_us),
          key_("\"" + key_field + "\":\""),
          first_ns_(kMaxEvents + 1),
          published_us_(kMaxEvents + 1) {
        for (int t = 0; t < std::max(threads, 1); ++t) readers_.push_back(std::make_unique<Reader>());
    }
    ~SseFanoutReader() { stop(); }

    // Connects one subscriber from `source` (port chosen at connect time) and
    // sends its GET /api/events. False when the socket could not be set up.
    bool add(in_addr_t source, uint16_t port) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) return false;
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        to.sin_port = htons(port);
        static constexpr std::string_view req =
            "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
        if (!bind_source(fd, source) || ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 ||
            ::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
            ::close(fd);
            return false;
        }
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
        Reader& r = *readers_[added_ % readers_.size()];
        auto c = std::make_unique<Conn>();
        c->fd = fd;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = c.get();
        ::epoll_ctl(r.ep, EPOLL_CTL_ADD, fd, &ev);
        r.conns.push_back(std::move(c));
        ++added_;
        return true;
    }
    void start() {
        for (auto& r : readers_) r->thread = std::thread([this, &r] { run(*r); });
    }
    void stop() {
        stop_ = true;
        for (auto& r : readers_)
            if (r->thread.joinable()) r->thread.join();
    }

    long ok() const { return sum(&Reader::ok); }
    long failed() const { return sum(&Reader::failed); }
    long closed() const { return sum(&Reader::closed); }
    // The seq of the event whose key field is `key` (0 until it arrives).
    uint64_t seq_of(const std::string& key) const {
        std::lock_guard lock(keys_mutex_);
        auto it = seq_by_key_.find(key);
        return it == seq_by_key_.end() ? 0 : it->second;
    }
    int64_t first_ns(uint64_t seq) const { return first_ns_[seq].load(); }
    int64_t published_us(uint64_t seq) const { return published_us_[seq].load(); }
    // When the last subscriber got `seq` (steady ns, wall us), or 0 while some
    // have not; each thread's share is its subscribers whose head was 200.
    int64_t all_done_ns(uint64_t seq) const { return last_of(seq, &Reader::done_ns); }
    int64_t all_done_us(uint64_t seq) const { return last_of(seq, &Reader::done_us); }

private:
    struct Conn {
        int fd = -1;
        bool head_done = false;
        int status = 0;
        uint64_t seq = 0;
        std::string partial;  // an incomplete line
    };
    struct Reader {
        int ep = ::epoll_create1(EPOLL_CLOEXEC);
        std::vector<std::unique_ptr<Conn>> conns;
        std::thread thread;
        std::atomic<long> ok{0}, failed{0}, closed{0};
        std::vector<int> delivered = std::vector<int>(kMaxEvents + 1);
        std::vector<std::atomic<int64_t>> done_ns = std::vector<std::atomic<int64_t>>(kMaxEvents + 1);
        std::vector<std::atomic<int64_t>> done_us = std::vector<std::atomic<int64_t>>(kMaxEvents + 1);
        ~Reader() {
            for (auto& c : conns) ::close(c->fd);
            ::close(ep);
        }
    };

    long sum(std::atomic<long> Reader::*field) const {
        long n = 0;
        for (const auto& r : readers_) n += ((*r).*field).load();
        return n;
    }
    int64_t last_of(uint64_t seq, std::vector<std::atomic<int64_t>> Reader::*field) const {
        int64_t last = 0;
        for (const auto& r : readers_) {
            if (r->ok.load() == 0) continue;
            const int64_t t = ((*r).*field)[seq].load();
            if (t == 0) return 0;
            last = std::max(last, t);
        }
        return last;
    }

    void run(Reader& r) {
        std::vector<epoll_event> events(512);
        char buf[16384];
        while (!stop_) {
            const int n = ::epoll_wait(r.ep, events.data(), static_cast<int>(events.size()), 50);
            for (int i = 0; i < n; ++i) {
                Conn& c = *static_cast<Conn*>(events[i].data.ptr);
                for (;;) {
                    const ssize_t got = ::recv(c.fd, buf, sizeof buf, 0);
                    if (got > 0) {
                        consume(r, c, std::string_view(buf, static_cast<size_t>(got)));
                        if (static_cast<size_t>(got) < sizeof buf) break;
                        continue;
                    }
                    if (got < 0 && (errno == EAGAIN || errno == EINTR)) break;
                    ::epoll_ctl(r.ep, EPOLL_CTL_DEL, c.fd, nullptr);  // closed by the host, or an error
                    ++(c.head_done ? r.closed : r.failed);
                    break;
                }
            }
        }
    }

    void consume(Reader& r, Conn& c, std::string_view data) {
        if (!c.partial.empty()) {
            c.partial.append(data);
            const std::string joined = std::move(c.partial);
            c.partial.clear();
            lines(r, c, joined);
        } else {
            lines(r, c, data);
        }
    }
    void lines(Reader& r, Conn& c, std::string_view data) {
        size_t start = 0;
        for (size_t nl; (nl = data.find('\n', start)) != std::string_view::npos; start = nl + 1)
            line(r, c, data.substr(start, nl - start));
        c.partial.append(data.substr(start));
    }
    void line(Reader& r, Conn& c, std::string_view line) {
        if (!c.head_done) {
            if (line.rfind("HTTP/1.1 ", 0) == 0 && line.size() > 12) c.status = std::atoi(line.data() + 9);
            if (line == "\r" || line.empty()) {
                c.head_done = true;
                ++(c.status == 200 ? r.ok : r.failed);
            }
            return;
        }
        if (line.rfind("id: ", 0) == 0) {
            c.seq = std::strtoull(std::string(line.substr(4)).c_str(), nullptr, 10);
            return;
        }
        if (line.rfind("data:", 0) != 0) return;
        // Keyed by the event's id, so a subscriber that connected after some
        // earlier event counts the same event as the others.
        const uint64_t seq = c.seq;
        if (seq == 0 || seq > kMaxEvents) return;
        if (first_ns_[seq].load(std::memory_order_relaxed) == 0) {
            int64_t zero = 0;
            if (first_ns_[seq].compare_exchange_strong(zero, now_ns())) {
                published_us_[seq] = stamp_us_(line);
                remember_key(seq, line);
            }
        }
        if (++r.delivered[seq] == r.ok.load(std::memory_order_relaxed)) {
            r.done_us[seq] = wall_us_();
            r.done_ns[seq] = now_ns();
        }
    }
    void remember_key(uint64_t seq, std::string_view line) {
        const auto at = line.find(key_);
        if (at == std::string_view::npos) return;
        const auto start = at + key_.size(), end = line.find('"', start);
        if (end == std::string_view::npos) return;
        std::lock_guard lock(keys_mutex_);
        seq_by_key_.emplace(std::string(line.substr(start, end - start)), seq);
    }
    static int64_t now_ns() {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
    }

    int64_t (*stamp_us_)(std::string_view);
    int64_t (*wall_us_)();
    std::vector<std::unique_ptr<Reader>> readers_;
    size_t added_ = 0;
    std::atomic<bool> stop_{false};
    const std::string key_;  // "\"<field>\":\""
    mutable std::mutex keys_mutex_;
    std::unordered_map<std::string, uint64_t> seq_by_key_;  // by key field, first arrival
    std::vector<std::atomic<int64_t>> first_ns_, published_us_;
};

}  // namespace oxios_bench
