#include "http/socket_stream.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace oxios::http {
namespace {

bool poll_fd(int fd, short events, int timeout_ms) {
    pollfd p{fd, events, 0};
    for (;;) {
        int r = ::poll(&p, 1, timeout_ms);
        if (r < 0 && errno == EINTR) continue;
        return r > 0 && (p.revents & (events | POLLHUP | POLLERR));
    }
}

void addr_to_text(const sockaddr_storage& addr, std::string& ip, int& port) {
    char text[INET6_ADDRSTRLEN] = {0};
    if (addr.ss_family == AF_INET) {
        auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
        ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
        port = ntohs(a->sin_port);
    } else if (addr.ss_family == AF_INET6) {
        auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
        ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
        port = ntohs(a->sin6_port);
    }
    ip = text;
}

}  // namespace

SocketStream::SocketStream(int fd, time_t read_timeout_sec, time_t write_timeout_sec)
    : fd_(fd), read_timeout_sec_(read_timeout_sec), write_timeout_sec_(write_timeout_sec) {
    buf_.reserve(4096);
    out_.reserve(4096);
    // A blocking send() gives up after the write timeout instead of a poll()
    // before every write.
    timeval tv{write_timeout_sec, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) addr_to_text(addr, remote_ip_, remote_port_);
    len = sizeof addr;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) addr_to_text(addr, local_ip_, local_port_);
}

bool SocketStream::is_readable() const {
    if (pos_ < buf_.size()) return true;
    // Whatever was written must reach the peer before waiting for its answer.
    if (!const_cast<SocketStream*>(this)->flush()) return false;
    return poll_fd(fd_, POLLIN, static_cast<int>(read_timeout_sec_ * 1000));
}

bool SocketStream::is_writable() const { return poll_fd(fd_, POLLOUT, static_cast<int>(write_timeout_sec_ * 1000)); }

bool SocketStream::fill_once(int timeout_ms) {
    if (!flush() || !poll_fd(fd_, POLLIN, timeout_ms)) return false;
    if (pos_ == buf_.size()) {
        buf_.clear();
        pos_ = 0;
    }
    char chunk[8192];
    ssize_t n;
    do {
        n = ::recv(fd_, chunk, sizeof chunk, 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
    buf_.append(chunk, static_cast<size_t>(n));
    return true;
}

bool SocketStream::wait_readable(int timeout_ms) {
    if (pos_ < buf_.size()) return true;
    return fill_once(timeout_ms);
}

bool SocketStream::fill_until(std::string_view needle, size_t max) {
    while (buffered().find(needle) == std::string_view::npos) {
        if (buffered().size() >= max) return false;
        if (!fill_once(static_cast<int>(read_timeout_sec_ * 1000))) return false;
    }
    return true;
}

ssize_t SocketStream::read(char* ptr, size_t size) {
    if (pos_ == buf_.size() && !fill_once(static_cast<int>(read_timeout_sec_ * 1000))) return -1;
    size_t n = std::min(size, buf_.size() - pos_);
    std::memcpy(ptr, buf_.data() + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
}

ssize_t SocketStream::write(const char* ptr, size_t size) {
    if (out_.size() + size <= kFlushAt) {
        out_.append(ptr, size);
        return static_cast<ssize_t>(size);
    }
    // Large writes go out directly, after what is already buffered.
    if (!flush() || !send_all(ptr, size)) return -1;
    return static_cast<ssize_t>(size);
}

bool SocketStream::flush() {
    if (out_.empty()) return true;
    const bool ok = send_all(out_.data(), out_.size());
    out_.clear();
    return ok;
}

bool SocketStream::send_all(const char* ptr, size_t size) const {
    while (size > 0) {
        ssize_t n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;  // peer gone, or SO_SNDTIMEO passed (EAGAIN)
        ptr += n;
        size -= static_cast<size_t>(n);
    }
    return true;
}

void SocketStream::get_remote_ip_and_port(std::string& ip, int& port) const {
    ip = remote_ip_;
    port = remote_port_;
}

void SocketStream::get_local_ip_and_port(std::string& ip, int& port) const {
    ip = local_ip_;
    port = local_port_;
}

std::string SocketStream::take_buffered() {
    std::string out(buffered());
    buf_.clear();
    pos_ = 0;
    return out;
}

}  // namespace oxios::http
