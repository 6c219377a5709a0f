// A buffered httplib::Stream over an accepted socket.
// Input is buffered so the host can look at the start of a request (to spot
// WebSocket and SSE routes) before cpp-httplib's request parser reads the same
// bytes. Output is buffered so a response's status line, headers and body
// leave in one send() (cpp-httplib writes headers and body separately: two
// TCP segments and twice the syscalls per small response); the buffer is
// flushed before any read (a 100 Continue must reach the client before its
// body is awaited), when it grows past kFlushAt, and by flush() after each
// response. The peer addresses are read once per connection.
#pragma once

#include <httplib.h>

#include <string>
#include <string_view>

namespace oxios::http {

class SocketStream final : public httplib::Stream {
public:
    SocketStream(int fd, time_t read_timeout_sec, time_t write_timeout_sec);

    bool is_readable() const override;
    bool is_writable() const override;
    ssize_t read(char* ptr, size_t size) override;
    ssize_t write(const char* ptr, size_t size) override;
    void get_remote_ip_and_port(std::string& ip, int& port) const override;
    void get_local_ip_and_port(std::string& ip, int& port) const override;
    int socket() const override { return fd_; }

    // Sends everything buffered for output; false if the peer is gone or the
    // write timeout passed.
    bool flush();

    // Waits up to timeout_ms for data (buffered or on the socket); false on
    // timeout, peer close or error.
    bool wait_readable(int timeout_ms);
    // Reads more into the buffer until `needle` is buffered or `max` bytes are
    // buffered; false on timeout/close.
    bool fill_until(std::string_view needle, size_t max);
    // Bytes read from the socket but not yet consumed.
    std::string_view buffered() const { return {buf_.data() + pos_, buf_.size() - pos_}; }
    // Takes the buffered bytes out (for handing the socket to another engine).
    std::string take_buffered();
    // Inserts `bytes` at `offset` into the bytes not yet consumed.
    void insert_buffered(size_t offset, std::string_view bytes) { buf_.insert(pos_ + offset, bytes); }

private:
    static constexpr size_t kFlushAt = 64 * 1024;

    bool fill_once(int timeout_ms);
    bool send_all(const char* ptr, size_t size) const;

    int fd_;
    time_t read_timeout_sec_, write_timeout_sec_;
    std::string buf_;
    size_t pos_ = 0;
    std::string out_;
    std::string remote_ip_, local_ip_;
    int remote_port_ = 0, local_port_ = 0;
};

}  // namespace oxios::http
