// oxios-bench-relay: E1's baseline. A bare WebSocket server (Boost.Beast on
// two I/O threads, a strand per connection, as the host's connection hub)
// that answers each chat frame by streaming POST /v1/chat/completions from an
// OpenAI-compatible server on a thread of its own (cpp-httplib, as the host's
// engine) and posting each SSE chunk's delta content to the connection's
// strand as a token frame the moment it arrives, then a done frame. The same
// chunks through the same kind of path (the same thread hand-off), without
// the engine, gateway, ABI and plugin that E1 measures.
//
//   oxios-bench-relay --upstream http://127.0.0.1:PORT/v1
// Prints "listening on http://127.0.0.1:<port>"; runs until killed.
#include <utility>  // before Boost 1.74 Asio: its awaitable.hpp uses std::exchange without it

#include <httplib.h>

#include <rapidjson/document.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

struct Upstream {
    std::string host;
    int port = 0;
    std::string base_path;  // "/v1"
};

Upstream parse_upstream(const std::string& url) {
    const std::string scheme = "http://";
    if (url.rfind(scheme, 0) != 0) throw std::runtime_error("--upstream must be http://HOST:PORT/PATH");
    const auto slash = url.find('/', scheme.size());
    const std::string hostport =
        url.substr(scheme.size(), slash == std::string::npos ? std::string::npos : slash - scheme.size());
    const auto colon = hostport.rfind(':');
    if (colon == std::string::npos) throw std::runtime_error("--upstream needs a port");
    return {hostport.substr(0, colon), std::atoi(hostport.c_str() + colon + 1),
            slash == std::string::npos ? std::string() : url.substr(slash)};
}

std::string field(const rapidjson::Document& d, const char* key) {
    if (!d.IsObject()) return {};
    auto it = d.FindMember(key);
    return it != d.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                       : std::string();
}

// The delta content of one SSE "data:" payload, found by text (the tokens
// the fake streams need no JSON unescaping); empty when none.
std::string_view delta_content(std::string_view data) {
    static constexpr std::string_view key = "\"content\":\"";
    const auto at = data.find(key);
    if (at == std::string_view::npos) return {};
    const auto from = at + key.size();
    const auto end = data.find('"', from);
    return end == std::string_view::npos ? std::string_view() : data.substr(from, end - from);
}

// One WebSocket connection: reads and writes on its strand; each chat
// streams upstream on a thread of its own, one chat at a time.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket sock, Upstream up) : ws_(std::move(sock)), up_(std::move(up)) {}
    void start() {
        beast::error_code ec;
        ws_.next_layer().socket().set_option(tcp::no_delay(true), ec);
        ws_.async_accept([self = shared_from_this()](beast::error_code e) {  // the socket's executor is its strand
            if (e) return;
            self->ws_.text(true);
            self->read();
        });
    }

private:
    void read() {
        ws_.async_read(buf_, [self = shared_from_this()](beast::error_code ec, size_t) {
            if (ec) return;
            rapidjson::Document d;
            const std::string text = beast::buffers_to_string(self->buf_.data());
            self->buf_.consume(self->buf_.size());
            d.Parse(text.c_str(), text.size());
            std::thread(&Session::chat, self, field(d, "content"), field(d, "session_id")).detach();
        });
    }
    // Any thread: queued on the connection's executor, written in order.
    void send(std::string frame) {
        asio::post(ws_.get_executor(), [self = shared_from_this(), f = std::move(frame)]() mutable {
            self->outq_.push_back(std::move(f));
            self->write();
        });
    }
    void write() {
        if (writing_ || outq_.empty()) return;
        writing_ = true;
        ws_.async_write(asio::buffer(outq_.front()), [self = shared_from_this()](beast::error_code ec, size_t) {
            self->writing_ = false;
            if (ec) return;
            self->outq_.pop_front();
            self->write();
        });
    }
    void chat(std::string content, std::string session) {
        const std::string id = "relay-" + std::to_string(++chats_);
        httplib::Client cli(up_.host, up_.port);
        cli.set_tcp_nodelay(true);
        cli.set_read_timeout(60);
        httplib::Request req;
        req.method = "POST";
        req.path = up_.base_path + "/chat/completions";
        req.headers.emplace("Accept", "text/event-stream");
        req.headers.emplace("Content-Type", "application/json");
        req.body = R"({"model":"m","stream":true,"messages":[{"role":"user","content":")" + content + "\"}]}";
        std::string pending;
        req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
            pending.append(data, len);
            size_t end;
            while ((end = pending.find("\n\n")) != std::string::npos) {
                const std::string_view event(pending.data(), end);
                if (event.rfind("data: ", 0) == 0) {
                    const auto token = delta_content(event.substr(6));
                    if (!token.empty())
                        send(R"({"type":"token","id":")" + id + R"(","content":")" + std::string(token) + "\"}");
                }
                pending.erase(0, end + 2);
            }
            return true;
        };
        const bool ok = static_cast<bool>(cli.send(req));
        send(ok ? R"({"type":"done","id":")" + id + R"(","session_id":")" + session + "\"}"
                : R"({"type":"error","id":")" + id + R"(","error":"upstream failed"})");
        asio::post(ws_.get_executor(), [self = shared_from_this()] { self->read(); });  // the next chat
    }

    websocket::stream<beast::tcp_stream> ws_;
    Upstream up_;
    beast::flat_buffer buf_;
    std::deque<std::string> outq_;
    bool writing_ = false;
    std::atomic<long> chats_{0};
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3 || std::string(argv[1]) != "--upstream") {
        std::fprintf(stderr, "usage: oxios-bench-relay --upstream http://127.0.0.1:PORT/v1\n");
        return 2;
    }
    ::signal(SIGPIPE, SIG_IGN);
    try {
        const Upstream up = parse_upstream(argv[2]);
        asio::io_context io;
        tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        std::printf("listening on http://127.0.0.1:%u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
        std::fflush(stdout);
        std::function<void()> accept = [&] {
            acceptor.async_accept(asio::make_strand(io), [&](beast::error_code ec, tcp::socket sock) {
                if (!ec) std::make_shared<Session>(std::move(sock), up)->start();
                accept();
            });
        };
        accept();
        std::thread second([&] { io.run(); });
        io.run();
        second.join();
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "oxios-bench-relay: %s\n", e.what());
        return 1;
    }
}
