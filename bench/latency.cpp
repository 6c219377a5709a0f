// oxios-bench-driver latency: request latencies, interleaved (P3, P4, P5).
//
//   latency  --req 'PORT|METHOD|PATH|BODY' [--req ...] --n N [--warmup W]
//            [--fsync-dir D --fsync-bytes F] [--settle-ms MS]
// Requests cycle through the --req specs on one keep-alive connection per
// port, each request built once and written whole; percentiles per spec.
// With --fsync-dir (P3: the host's own sessions directory), each round also
// writes F's bytes the way the session store does, without the store: into a
// temp file created ahead of time, fsync, rename to a new name ("fsync", the
// baseline); then the same plus a directory fsync ("protocol", the store's
// whole protocol). --settle-ms: a pause (spun) before each timed operation,
// so that none overlaps what the previous one left running (the host's work
// after a reply, its spare-file creation, the disk's after a write).
#include "driver_common.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace fs = std::filesystem;

namespace oxios_bench {

namespace {

struct Spec {
    int port = 0;
    std::string request;  // the whole request as written to the socket
};

Spec parse_spec(const std::string& s) {
    Spec spec;
    std::vector<std::string> parts;
    size_t at = 0;
    for (int i = 0; i < 3; ++i) {
        size_t bar = s.find('|', at);
        if (bar == std::string::npos) {
            parts.push_back(s.substr(at));
            at = s.size() + 1;
            break;
        }
        parts.push_back(s.substr(at, bar - at));
        at = bar + 1;
    }
    if (parts.size() < 3) throw std::runtime_error("bad --req " + s);
    spec.port = std::atoi(parts[0].c_str());
    const std::string& method = parts[1];
    const std::string body = at <= s.size() ? s.substr(at) : std::string();
    if (method != "GET" && method != "POST" && method != "PUT" && method != "DELETE")
        throw std::runtime_error("unsupported method " + method);
    spec.request = method + " " + parts[2] + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (method == "POST" || method == "PUT")
        spec.request +=
            "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    else
        spec.request += "\r\n";
    return spec;
}

// One keep-alive connection that writes each request whole, head and body
// in one send(), as curl does with a small body. cpp-httplib's client writes
// the body apart, which makes the server wait for a second segment: a cost
// of that client, not of the server P3 measures.
class Connection {
public:
    explicit Connection(int port) : port_(port) {}
    ~Connection() { close_fd(); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // The response's status, or -1 when the exchange failed (reconnects next time).
    int exchange(const Spec& s) {
        if (fd_ < 0 && !open_fd()) return -1;
        const int status = round_trip(s.request);
        if (status < 0) close_fd();
        return status;
    }

private:
    bool open_fd() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) return false;
        const int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<uint16_t>(port_));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            close_fd();
            return false;
        }
        return true;
    }
    void close_fd() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        in_.clear();
    }
    int round_trip(const std::string& req) {
        for (size_t off = 0; off < req.size();) {
            const ssize_t w = ::send(fd_, req.data() + off, req.size() - off, MSG_NOSIGNAL);
            if (w <= 0) return -1;
            off += static_cast<size_t>(w);
        }
        size_t head_end;
        while ((head_end = in_.find("\r\n\r\n")) == std::string::npos)
            if (!fill()) return -1;
        int status = -1;
        if (std::sscanf(in_.c_str(), "HTTP/1.%*d %d", &status) != 1) return -1;
        // Every route timed here sends a length; a chunked answer is not read.
        const char* field = ::strcasestr(in_.c_str(), "\r\ncontent-length:");
        if (field == nullptr || field > in_.c_str() + head_end) return -1;
        const size_t length = std::strtoul(field + 17, nullptr, 10);
        while (in_.size() < head_end + 4 + length)
            if (!fill()) return -1;
        in_.erase(0, head_end + 4 + length);
        return status;
    }
    bool fill() {
        char buf[16384];
        const ssize_t r = ::recv(fd_, buf, sizeof buf, 0);
        if (r <= 0) return false;
        in_.append(buf, static_cast<size_t>(r));
        return true;
    }

    int port_;
    int fd_ = -1;
    std::string in_;
};

// A temp file created ahead of its write, in the same directory: the store
// takes one its spare-file thread made after the previous write
// (host/kernel/infra/spare_files.hpp), so neither side times an inode allocation.
struct Spare {
    int fd = -1;
    fs::path path;
};

Spare make_spare(const fs::path& dir, int kind, long i) {
    Spare s;
    s.path = dir / (".bench-spare-" + std::to_string(kind) + "-" + std::to_string(i) + ".tmp");
    s.fd = ::open(s.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (s.fd < 0) throw std::runtime_error("create " + s.path.string());
    return s;
}

// Write into the spare, fsync, close, rename to `target` (+ fsync of the
// directory if asked), as host/kernel/infra/atomic_file.cpp does; microseconds.
double baseline_write(Spare& spare, const std::string& bytes, const fs::path& target, bool dir_sync) {
    const auto t0 = Clock::now();
    size_t off = 0;
    while (off < bytes.size()) {
        ssize_t w = ::write(spare.fd, bytes.data() + off, bytes.size() - off);
        if (w < 0) throw std::runtime_error("write");
        off += static_cast<size_t>(w);
    }
    if (::fsync(spare.fd) != 0) throw std::runtime_error("fsync");
    ::close(spare.fd);
    spare.fd = -1;
    if (::rename(spare.path.c_str(), target.c_str()) != 0) throw std::runtime_error("rename");
    if (dir_sync) {
        int dfd = ::open(target.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)::fsync(dfd);
            ::close(dfd);
        }
    }
    return since_us(t0);
}

}  // namespace

int cmd_latency(const Args& a) {
    std::vector<Spec> specs;
    for (auto& r : a.all("req")) specs.push_back(parse_spec(r));
    if (specs.empty()) throw std::runtime_error("need --req");
    const long n = std::clamp<long>(a.num("n", 200), 1, 1'000'000);
    const long warmup = std::clamp<long>(a.num("warmup", 20), 0, 100'000);
    const double max_seconds = static_cast<double>(a.num("max-seconds", 120));
    const auto settle = std::chrono::milliseconds(std::clamp<long>(a.num("settle-ms", 0), 0, 1000));
    // Spun, not slept: a sleeping driver would let its CPU idle down and time
    // the next operation from a cold start, which a loaded server never sees.
    auto quiet = [&] {
        const auto until = Clock::now() + settle;
        while (Clock::now() < until) {
        }
    };
    std::map<int, std::unique_ptr<Connection>> clients;
    for (auto& s : specs)
        if (!clients.count(s.port)) clients[s.port] = std::make_unique<Connection>(s.port);
    // --fsync-dir D --fsync-bytes F: the baseline writes, after each round of
    // requests, side by side with them (P3).
    const fs::path fsync_dir = a.get("fsync-dir");
    const std::string fsync_bytes = fsync_dir.empty() ? std::string() : read_all(a.need("fsync-bytes"));
    std::vector<double> base_lat, protocol_lat;
    std::vector<fs::path> written;
    Spare spares[2];  // the next temp file of "fsync" and of "protocol"
    if (!fsync_dir.empty())
        for (int s = 0; s < 2; ++s) spares[s] = make_spare(fsync_dir, s, -1);
    std::vector<std::vector<double>> lat(specs.size());
    std::vector<long> bad(specs.size(), 0);
    std::vector<int> last_bad_status(specs.size(), 0);
    const auto start = Clock::now();
    for (long i = 0; i < warmup + n; ++i) {
        for (size_t k = 0; k < specs.size(); ++k) {
            auto& c = *clients[specs[k].port];
            quiet();
            const auto t0 = Clock::now();
            const int status = c.exchange(specs[k]);
            const double us = since_us(t0);
            if (i < warmup) continue;
            if (status != 200) {
                ++bad[k];
                last_bad_status[k] = status;
                continue;
            }
            lat[k].push_back(us);
        }
        if (!fsync_dir.empty()) {
            // The baseline, then the state store's whole write protocol
            // (docs/api.md: the same plus an fsync of the directory) on its own.
            for (const bool dir_sync : {false, true}) {
                const fs::path target =
                    fsync_dir / ((dir_sync ? "bench-protocol-" : "bench-baseline-") + std::to_string(i) + ".json");
                Spare& spare = spares[dir_sync ? 1 : 0];
                quiet();
                const double us = baseline_write(spare, fsync_bytes, target, dir_sync);
                if (i >= warmup) (dir_sync ? protocol_lat : base_lat).push_back(us);
                written.push_back(target);
                spare = make_spare(fsync_dir, dir_sync ? 1 : 0, i);  // untimed, as the store's refill
            }
        }
        if (since_us(start) > max_seconds * 1e6) break;
    }
    // Removed only now: on this ext4 (no journal) a file created soon after
    // others were deleted pays for skipping their inodes, which would slow
    // the baseline by its own deletions (the host deletes nothing per chat).
    std::error_code ec;
    for (const auto& f : written) fs::remove(f, ec);
    for (auto& s : spares)
        if (s.fd >= 0) {
            ::close(s.fd);
            fs::remove(s.path, ec);
        }
    if (!fsync_dir.empty()) {
        std::printf("fsync p50_us %.1f p90_us %.1f p99_us %.1f n %zu bytes %zu\n", percentile(base_lat, 0.5),
                    percentile(base_lat, 0.9), percentile(base_lat, 0.99), base_lat.size(), fsync_bytes.size());
        std::printf("protocol p50_us %.1f p90_us %.1f p99_us %.1f n %zu bytes %zu\n", percentile(protocol_lat, 0.5),
                    percentile(protocol_lat, 0.9), percentile(protocol_lat, 0.99), protocol_lat.size(),
                    fsync_bytes.size());
    }
    for (size_t k = 0; k < specs.size(); ++k)
        std::printf("req%zu p50_us %.1f p90_us %.1f p99_us %.1f n %zu bad %ld last_bad_status %d\n", k,
                    percentile(lat[k], 0.5), percentile(lat[k], 0.9), percentile(lat[k], 0.99), lat[k].size(), bad[k],
                    last_bad_status[k]);
    return 0;
}

}  // namespace oxios_bench
