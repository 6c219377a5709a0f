// Requests as curl sends them without -d (no Content-Length, no
// Transfer-Encoding) on the real host, over a raw socket.
#include "host_process.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <string>

using oxios::test::HostProcess;
using Clock = std::chrono::steady_clock;

namespace {

struct Answer {
    int status = 0;
    std::string body;
    double seconds = 0;
};

// Sends `head` (plus "Connection: close") and reads the answer until the host closes.
Answer raw_request(int port, const std::string& request_line, const std::string& headers = "") {
    Answer a;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return a;
    }
    const auto start = Clock::now();
    const std::string req = request_line + "\r\nHost: 127.0.0.1\r\n" + headers + "Connection: close\r\n\r\n";
    std::string in;
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
        while (Clock::now() - start < std::chrono::seconds(15)) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 200) <= 0) continue;
            char buf[4096];
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            in.append(buf, static_cast<size_t>(n));
        }
    }
    ::close(fd);
    a.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (in.rfind("HTTP/1.1 ", 0) == 0) a.status = std::atoi(in.c_str() + 9);
    if (const size_t end = in.find("\r\n\r\n"); end != std::string::npos) a.body = in.substr(end + 4);
    return a;
}

std::string error_of(const Answer& a) {
    rapidjson::Document d;
    d.Parse(a.body.c_str());
    if (d.HasParseError() || !d.IsObject() || !d.HasMember("error") || !d["error"].IsString()) return "<no JSON error>";
    return d["error"].GetString();
}

}  // namespace

TEST_CASE("a POST without Content-Length has an empty body: bodyless routes serve it at once") {
    HostProcess host;
    const Answer kill = raw_request(host.port(), "POST /api/agents/no-such-agent/kill HTTP/1.1");
    CHECK(kill.status == 404);  // routed: the agent is unknown, the request is not bad
    CHECK(error_of(kill) == "agent not found");
    CHECK(kill.seconds < 2.0);  // not after a read timeout
    const Answer approve =
        raw_request(host.port(), "POST /api/approvals/00000000-0000-4000-8000-000000000000/approve HTTP/1.1");
    CHECK(approve.status == 404);
    CHECK(error_of(approve) == "approval not found or not pending");
}

TEST_CASE("a route that needs a body, sent none, names the field it misses") {
    HostProcess host;
    const Answer chat = raw_request(host.port(), "POST /api/chat HTTP/1.1");
    CHECK(chat.status == 422);
    CHECK(error_of(chat) == "missing required field 'content'");
    CHECK(chat.seconds < 2.0);
}
