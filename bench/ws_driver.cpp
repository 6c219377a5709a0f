// oxios-bench-ws: the WebSocket chat and SSE driver behind scripts/reliability
// (R2's WS half, R8, R10). One io_context on one thread runs every WebSocket
// (Boost.Beast) and SSE (raw socket) client; plain HTTP (POST /api/chat,
// /health while reloading) runs on a few threads of its own with cpp-httplib.
// Every phase is bounded in count and in time; the driver stops by itself.
//
//   r2        --port P --session S --post N --ws N --sockets K --log FILE [--max-seconds S]
//             N POSTs and N WS messages (over K sockets) on one session id, all
//             released at once.
//   isolation --port P --sockets N --messages M [--window W] [--sessions K] --log FILE [--max-seconds S]
//             N sockets each send M unique messages (W in flight at a time,
//             default all M); sockets share K session ids (default 4), so a
//             reply routed by session instead of by connection shows up.
//   reload    --port P --ws N --sse N --reloads R --plugin-dir D --so-a A --ver-a VA --so-b B --ver-b VB
//             --log FILE [--window W] [--gap-ms G] [--hold-ms H] [--max-seconds S]
//             N sockets chat continuously (W messages in flight each, own
//             session each) and N SSE clients listen while R reloads run
//             (install A/B alternately by rename, wait until /health shows
//             the new version, then G ms more); H ms of chat before the first.
// (E1, the engine job, is oxios-bench-e1: e1_driver.cpp.)
//
// How replies are attributed: the server assigns the message id, so a socket
// learns it from the token frame, whose content is "echo: <what was sent>"
// (the echo engine). A done frame is that socket's answer when its id's tokens
// spell one of this socket's own contents (and its session_id is the one sent);
// anything else delivered to the socket (a done for an unknown id, a token
// whose text is not this socket's, tokens never followed by a done) is a
// reply delivered to the wrong connection.
// --log FILE gets "session_id<TAB>content" per acknowledged exchange (WS done,
// POST 200) for bench/check_sessions.py. Prints one line of key/value pairs;
// with OXIOS_WS_DRIVER_VERBOSE set, reload also lists each stream's first SSE
// anomalies and the ids of the plugin_reloaded events on stderr.
#include <utility>  // before Boost 1.74 Asio: its awaitable.hpp uses std::exchange without it

#include "ws_common.hpp"

#include <httplib.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <rapidjson/document.h>

#include <signal.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using namespace oxios_bench;

namespace {

// Counters the main thread watches while the io thread runs.
struct Progress {
    std::atomic<long> ws_open{0}, ws_failed{0}, sse_open{0}, sse_failed{0};
    std::atomic<long> in_flight{0};  // sent, neither done nor error yet (all sockets)
};

// ------------------------------------------------------------- WS client ---
class WsChat : public std::enable_shared_from_this<WsChat> {
public:
    struct Config {
        std::string session;  // sent with every message; done must name it
        std::string prefix;   // contents are prefix + "-m<k>;"
        long max_messages = -1;  // -1: until stop_sending()
        long window = 1;         // messages in flight at a time
    };
    struct Figures {
        bool opened = false, closed = false;  // closed: by the server or an error, not by us
        std::string close_reason;
        long sent = 0, answered = 0, not_once = 0, duplicate_finals = 0, foreign = 0, errors = 0, refusals = 0,
             unparsable = 0;
    };

    WsChat(asio::io_context& io, Progress& progress, tcp::endpoint ep, Config cfg)
        : ws_(io), progress_(progress), ep_(ep), cfg_(std::move(cfg)) {}

    void start(bool send_at_once) {
        sending_ = send_at_once;
        auto self = shared_from_this();
        beast::get_lowest_layer(ws_).expires_after(20s);
        beast::get_lowest_layer(ws_).async_connect(ep_, [self](beast::error_code ec) {
            if (ec) return self->failed_to_open(ec);
            beast::get_lowest_layer(self->ws_).expires_never();
            self->ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
            const std::string host = "127.0.0.1:" + std::to_string(self->ep_.port());
            self->ws_.async_handshake(host, "/api/chat/stream", [self](beast::error_code ec2) {
                if (ec2) return self->failed_to_open(ec2);
                self->fig_.opened = true;
                self->progress_.ws_open++;
                self->ws_.text(true);
                self->read();
                self->pump();
            });
        });
    }
    // On the io thread.
    void start_sending() {
        sending_ = true;
        pump();
    }
    void stop_sending() { sending_ = false; }
    void close() {
        if (!fig_.opened || fig_.closed || closing_) return;
        closing_ = true;
        auto self = shared_from_this();
        ws_.async_close(websocket::close_code::normal, [self](beast::error_code) {});
    }
    long in_flight() const { return in_flight_; }
    const Config& config() const { return cfg_; }

    // After the io thread stopped: the tallies, and the acknowledged contents.
    Figures figures() const {
        Figures f = fig_;
        for (const auto& [content, n] : answers_) f.not_once += n == 1 ? 0 : 1;
        // Tokens whose done never came to this socket: a reply (part) that
        // went astray, unless an error frame ended that message.
        for (const auto& [id, text] : tokens_)
            if (!finals_.count(id)) ++f.foreign;
        return f;
    }
    std::vector<std::string> acknowledged() const {
        std::vector<std::string> out;
        for (const auto& [content, n] : answers_)
            if (n >= 1) out.push_back(content);
        return out;
    }

private:
    void failed_to_open(beast::error_code ec) {
        fig_.close_reason = ec.message();
        progress_.ws_failed++;
    }
    void pump() {
        while (sending_ && fig_.opened && !fig_.closed && !closing_ && in_flight_ < cfg_.window &&
               (cfg_.max_messages < 0 || fig_.sent < cfg_.max_messages)) {
            const std::string content = cfg_.prefix + "-m" + std::to_string(fig_.sent) + ";";
            answers_.emplace(content, 0);
            ++fig_.sent;
            ++in_flight_;
            progress_.in_flight++;
            outq_.push_back(chat_frame(content, cfg_.session));
        }
        write();
    }
    void write() {
        if (writing_ || outq_.empty() || fig_.closed) return;
        writing_ = true;
        auto self = shared_from_this();
        ws_.async_write(asio::buffer(outq_.front()), [self](beast::error_code ec, size_t) {
            self->writing_ = false;
            if (ec) return self->lost(ec);
            self->outq_.pop_front();
            self->write();
        });
    }
    void read() {
        auto self = shared_from_this();
        ws_.async_read(buf_, [self](beast::error_code ec, size_t) {
            if (ec) return self->lost(ec);
            self->on_frame(beast::buffers_to_string(self->buf_.data()));
            self->buf_.consume(self->buf_.size());
            self->read();
        });
    }
    void lost(beast::error_code ec) {
        if (closing_ || fig_.closed) return;
        fig_.closed = true;
        fig_.close_reason = ec.message();
        if (ec == websocket::error::closed)
            fig_.close_reason += " (code " + std::to_string(ws_.reason().code) + " " +
                                 std::string(ws_.reason().reason.c_str()) + ")";
        progress_.in_flight -= in_flight_;  // nothing more will come
        in_flight_ = 0;
    }
    void settle_one() {
        if (in_flight_ > 0) {
            --in_flight_;
            progress_.in_flight--;
        }
        pump();
    }
    void on_frame(const std::string& text) {
        rapidjson::Document d;
        d.Parse(text.c_str(), text.size());
        const std::string type = sfield(d, "type");
        const std::string id = sfield(d, "id");
        if (d.HasParseError() || type.empty()) {
            ++fig_.unparsable;
            return;
        }
        if (type == "token") {
            if (id.empty() || finals_.count(id)) {
                ++fig_.foreign;  // no id, or a token after its message's final frame
                return;
            }
            tokens_[id] += sfield(d, "content");
        } else if (type == "done") {
            if (!finals_.insert(id).second) {
                ++fig_.duplicate_finals;
                return;
            }
            auto t = tokens_.find(id);
            static constexpr std::string_view kEcho = "echo: ";
            std::string content;
            if (t != tokens_.end() && t->second.rfind(kEcho, 0) == 0) content = t->second.substr(kEcho.size());
            auto a = answers_.find(content);
            if (t == tokens_.end() || a == answers_.end() || sfield(d, "session_id") != cfg_.session) {
                ++fig_.foreign;  // an id this socket never saw tokens for, or not its content/session
                return;
            }
            if (++a->second == 1) ++fig_.answered;
            settle_one();
        } else if (type == "error") {
            if (id.empty()) {
                ++fig_.refusals;  // a frame refused as a whole: none of ours should be
                return;
            }
            if (!finals_.insert(id).second) {
                ++fig_.duplicate_finals;
                return;
            }
            ++fig_.errors;
            if (fig_.errors <= 3) std::fprintf(stderr, "ws %s: error frame %s\n", cfg_.prefix.c_str(), text.c_str());
            settle_one();
        } else {
            ++fig_.unparsable;
        }
    }

    websocket::stream<beast::tcp_stream> ws_;
    Progress& progress_;
    tcp::endpoint ep_;
    Config cfg_;
    beast::flat_buffer buf_;
    std::deque<std::string> outq_;
    bool writing_ = false, sending_ = false, closing_ = false;
    long in_flight_ = 0;
    Figures fig_;
    std::map<std::string, int> answers_;                 // content sent -> done frames for it
    std::unordered_map<std::string, std::string> tokens_;  // message id -> token text so far
    std::unordered_set<std::string> finals_;              // ids that had their done/error
};

// ------------------------------------------------------------ SSE client ---
class SseListener : public std::enable_shared_from_this<SseListener> {
public:
    struct Figures {
        int status = 0;
        bool closed = false;  // by the server or an error, not by us
        std::string close_reason;
        uint64_t first = 0, last = 0;
        long events = 0, gaps = 0, announced = 0, missed = 0, repeats = 0, resyncs = 0, reloaded = 0;
        std::string first_anomaly;
        std::vector<std::string> anomalies;  // the first few
        std::vector<uint64_t> reload_ids;     // ids of plugin_reloaded events
    };
    SseListener(asio::io_context& io, Progress& progress, tcp::endpoint ep) : sock_(io), progress_(progress), ep_(ep) {}

    void start() {
        auto self = shared_from_this();
        sock_.async_connect(ep_, [self](beast::error_code ec) {
            if (ec) return self->failed_to_open(ec);
            self->req_ = "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(self->ep_.port()) +
                         "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n";
            asio::async_write(self->sock_, asio::buffer(self->req_), [self](beast::error_code ec2, size_t) {
                if (ec2) return self->failed_to_open(ec2);
                self->read();
            });
        });
    }
    void close() {
        closing_ = true;
        beast::error_code ec;
        sock_.shutdown(tcp::socket::shutdown_both, ec);
        sock_.close(ec);
    }
    uint64_t last_id() const { return last_seen_.load(); }
    Figures figures() const { return fig_; }

private:
    void failed_to_open(beast::error_code ec) {
        if (head_done_) return lost(ec);
        fig_.close_reason = ec.message();
        progress_.sse_failed++;
    }
    void lost(beast::error_code ec) {
        if (closing_ || fig_.closed) return;
        fig_.closed = true;
        fig_.close_reason = ec.message();
    }
    void read() {
        auto self = shared_from_this();
        sock_.async_read_some(asio::buffer(chunk_), [self](beast::error_code ec, size_t n) {
            if (ec) return self->failed_to_open(ec);
            self->buf_.append(self->chunk_.data(), n);
            if (!self->consume()) return;
            self->read();
        });
    }
    // false: the stream is not one (bad status); stop reading.
    bool consume() {
        if (!head_done_) {
            const size_t end = buf_.find("\r\n\r\n");
            if (end == std::string::npos) return buf_.size() < 64 * 1024;
            fig_.status = buf_.rfind("HTTP/1.1 ", 0) == 0 ? std::atoi(buf_.c_str() + 9) : 0;
            head_done_ = true;
            buf_.erase(0, end + 4);
            if (fig_.status != 200) {
                fig_.close_reason = "status " + std::to_string(fig_.status);
                progress_.sse_failed++;
                return false;
            }
            progress_.sse_open++;
        }
        size_t end;
        while ((end = buf_.find("\n\n")) != std::string::npos) {
            block(std::string_view(buf_).substr(0, end));
            buf_.erase(0, end + 2);
        }
        return true;
    }
    void anomaly(const std::string& what) {
        if (fig_.first_anomaly.empty()) fig_.first_anomaly = what;
        if (fig_.anomalies.size() < 5) fig_.anomalies.push_back(what);
    }
    void block(std::string_view b) {
        uint64_t id = 0;
        std::string_view event, data;
        bool any = false;
        while (!b.empty()) {
            const size_t nl = b.find('\n');
            std::string_view line = b.substr(0, nl);
            b = nl == std::string_view::npos ? std::string_view() : b.substr(nl + 1);
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            if (line.empty() || line[0] == ':') continue;  // ": ping"
            any = true;
            if (line.rfind("id: ", 0) == 0) id = std::strtoull(std::string(line.substr(4)).c_str(), nullptr, 10);
            else if (line.rfind("event: ", 0) == 0) event = line.substr(7);
            else if (line.rfind("data: ", 0) == 0) data = line.substr(6);
        }
        if (!any) return;
        ++fig_.events;
        const bool after_resync = last_was_resync_;
        last_was_resync_ = event == "resync";
        if (event == "resync") {
            ++fig_.resyncs;
            anomaly("resync after " + std::to_string(fig_.last) + ": " + std::string(data));
        }
        if (data.find("\"type\":\"plugin_reloaded\"") != std::string_view::npos) {
            ++fig_.reloaded;
            fig_.reload_ids.push_back(id);
        }
        if (id == 0) return;
        if (fig_.first == 0) {
            fig_.first = id;
        } else if (id <= fig_.last) {
            ++fig_.repeats;
            anomaly("after " + std::to_string(fig_.last) + " came " + std::to_string(id));
        } else if (id != fig_.last + 1) {
            ++fig_.gaps;
            fig_.announced += after_resync ? 1 : 0;
            fig_.missed += static_cast<long>(id - fig_.last - 1);
            anomaly("after " + std::to_string(fig_.last) + " came " + std::to_string(id));
        }
        fig_.last = std::max(fig_.last, id);
        last_seen_ = fig_.last;
    }

    tcp::socket sock_;
    Progress& progress_;
    tcp::endpoint ep_;
    std::string req_, buf_;
    std::array<char, 16384> chunk_{};
    bool head_done_ = false, closing_ = false, last_was_resync_ = false;
    std::atomic<uint64_t> last_seen_{0};
    Figures fig_;
};

struct WsTotals {
    long opened = 0, failed = 0, closed = 0, sent = 0, answered = 0, not_once = 0, duplicate_finals = 0, foreign = 0,
         errors = 0, refusals = 0, unparsable = 0;
    std::string first_close;
};

WsTotals ws_totals(const std::vector<std::shared_ptr<WsChat>>& clients) {
    WsTotals t;
    for (const auto& c : clients) {
        const auto f = c->figures();
        t.opened += f.opened;
        t.failed += f.opened ? 0 : 1;
        t.closed += f.closed;
        if (f.closed && t.first_close.empty()) t.first_close = f.close_reason;
        if (!f.opened && t.first_close.empty()) t.first_close = "open failed: " + f.close_reason;
        t.sent += f.sent;
        t.answered += f.answered;
        t.not_once += f.not_once;
        t.duplicate_finals += f.duplicate_finals;
        t.foreign += f.foreign;
        t.errors += f.errors;
        t.refusals += f.refusals;
        t.unparsable += f.unparsable;
    }
    return t;
}

void write_log(const std::string& path, const std::vector<std::shared_ptr<WsChat>>& clients,
               const std::vector<std::pair<std::string, std::string>>& extra) {
    if (path.empty()) return;
    std::ofstream out(path, std::ios::app);
    for (const auto& c : clients)
        for (const auto& content : c->acknowledged()) out << c->config().session << '\t' << content << '\n';
    for (const auto& [s, content] : extra) out << s << '\t' << content << '\n';
}

void print_ws(const WsTotals& t) {
    std::printf(
        "ws_open %ld ws_failed %ld ws_closed %ld sent %ld answered %ld not_once %ld duplicate_finals %ld foreign %ld "
        "errors %ld refusals %ld unparsable %ld",
        t.opened, t.failed, t.closed, t.sent, t.answered, t.not_once, t.duplicate_finals, t.foreign, t.errors,
        t.refusals, t.unparsable);
}

// Opens the WS clients (sending right away or not) and waits until all opened or failed.
std::vector<std::shared_ptr<WsChat>> open_sockets(IoThread& io, Progress& pr, tcp::endpoint ep,
                                                  const std::vector<WsChat::Config>& cfgs, bool send_at_once) {
    std::vector<std::shared_ptr<WsChat>> out;
    for (const auto& cfg : cfgs) out.push_back(std::make_shared<WsChat>(io.io(), pr, ep, cfg));
    const long before = pr.ws_open + pr.ws_failed;
    for (size_t i = 0; i < out.size(); ++i) {
        asio::post(io.io(), [c = out[i], send_at_once] { c->start(send_at_once); });
        // Waves of 50: never near the listen backlog.
        if (i % 50 == 49)
            wait_until([&] { return pr.ws_open + pr.ws_failed >= before + static_cast<long>(i) + 1; }, 10s);
    }
    wait_until([&] { return pr.ws_open + pr.ws_failed >= before + static_cast<long>(out.size()); }, 20s);
    return out;
}

void close_all(IoThread& io, const std::vector<std::shared_ptr<WsChat>>& ws,
               const std::vector<std::shared_ptr<SseListener>>& sse) {
    io.run([&] {
        for (auto& c : ws) c->close();
        for (auto& s : sse) s->close();
    });
    std::this_thread::sleep_for(300ms);  // let the close handshakes run
}

// ---------------------------------------------------------------------- r2 ---
int cmd_r2(const Args& a) {
    const int port = static_cast<int>(a.num("port", 0));
    const std::string session = a.need("session");
    const long n_post = std::clamp<long>(a.num("post", 50), 0, 1000);
    const long n_ws = std::clamp<long>(a.num("ws", 50), 0, 10000);
    const long sockets = std::clamp<long>(a.num("sockets", 5), 1, std::max(1L, n_ws));
    const auto limit = std::chrono::seconds(std::clamp<long>(a.num("max-seconds", 120), 5, 3600));
    const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
    const auto t0 = Clock::now();

    Progress pr;
    IoThread io;
    std::vector<WsChat::Config> cfgs;
    for (long s = 0; s < sockets && n_ws > 0; ++s) {
        const long share = n_ws / sockets + (s < n_ws % sockets ? 1 : 0);
        cfgs.push_back({session, "r2-ws-s" + std::to_string(s), share, share});
    }
    auto ws = open_sockets(io, pr, ep, cfgs, false);

    // POST clients, connected first, then all released together with the sockets.
    std::mutex m;
    std::condition_variable cv;
    long ready = 0;
    bool go = false;
    std::atomic<long> post_ok{0}, post_bad{0};
    std::vector<std::pair<std::string, std::string>> post_acks;
    std::vector<std::thread> posters;
    for (long i = 0; i < n_post; ++i) {
        posters.emplace_back([&, i] {
            auto c = http_client(port, 60);
            const std::string content = "r2-post-" + std::to_string(i) + ";";
            const std::string body = R"({"content":")" + content + R"(","session_id":")" + session + "\"}";
            {
                std::unique_lock lock(m);
                ++ready;
                cv.notify_all();
                cv.wait_for(lock, 30s, [&] { return go; });
            }
            auto r = c->Post("/api/chat", body, "application/json");
            if (r && r->status == 200) {
                post_ok++;
                std::lock_guard lock(m);
                post_acks.emplace_back(session, content);
            } else {
                post_bad++;
                std::fprintf(stderr, "r2: POST %s -> %d\n", content.c_str(), r ? r->status : -1);
            }
        });
    }
    {
        std::unique_lock lock(m);
        cv.wait_for(lock, 30s, [&] { return ready == n_post; });
        go = true;
    }
    cv.notify_all();
    asio::post(io.io(), [&ws] {
        for (auto& c : ws) c->start_sending();
    });
    for (auto& t : posters) t.join();
    std::this_thread::sleep_for(50ms);
    wait_until([&] { return pr.in_flight.load() <= 0; },
               std::chrono::duration_cast<std::chrono::milliseconds>(limit - (Clock::now() - t0)));
    close_all(io, ws, {});
    io.stop();
    const auto t = ws_totals(ws);
    write_log(a.get("log"), ws, post_acks);
    std::printf("post_ok %ld post_bad %ld ", post_ok.load(), post_bad.load());
    print_ws(t);
    std::printf(" seconds %.2f\n", std::chrono::duration<double>(Clock::now() - t0).count());
    if (!t.first_close.empty()) std::fprintf(stderr, "r2: first closed socket: %s\n", t.first_close.c_str());
    return 0;
}

// --------------------------------------------------------------- isolation ---
int cmd_isolation(const Args& a) {
    const int port = static_cast<int>(a.num("port", 0));
    const long sockets = std::clamp<long>(a.num("sockets", 20), 1, 1000);
    const long messages = std::clamp<long>(a.num("messages", 50), 1, 10000);
    const long window = std::clamp<long>(a.num("window", messages), 1, messages);
    const long sessions = std::clamp<long>(a.num("sessions", 4), 1, sockets);
    const std::string prefix = a.get("prefix", "r8");
    const auto limit = std::chrono::seconds(std::clamp<long>(a.num("max-seconds", 120), 5, 3600));
    const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
    const auto t0 = Clock::now();

    Progress pr;
    IoThread io;
    std::vector<WsChat::Config> cfgs;
    for (long s = 0; s < sockets; ++s)
        cfgs.push_back({prefix + "-sess" + std::to_string(s % sessions), prefix + "-c" + std::to_string(s), messages,
                        window});
    auto ws = open_sockets(io, pr, ep, cfgs, false);
    asio::post(io.io(), [&ws] {
        for (auto& c : ws) c->start_sending();
    });
    std::this_thread::sleep_for(50ms);
    wait_until([&] { return pr.in_flight.load() <= 0; },
               std::chrono::duration_cast<std::chrono::milliseconds>(limit - (Clock::now() - t0)));
    std::this_thread::sleep_for(300ms);  // stray frames that would still come
    close_all(io, ws, {});
    io.stop();
    const auto t = ws_totals(ws);
    write_log(a.get("log"), ws, {});
    print_ws(t);
    std::printf(" seconds %.2f\n", std::chrono::duration<double>(Clock::now() - t0).count());
    if (!t.first_close.empty()) std::fprintf(stderr, "isolation: first closed socket: %s\n", t.first_close.c_str());
    return 0;
}

// ------------------------------------------------------------------ reload ---
bool wait_version(httplib::Client& c, const std::string& version, std::chrono::milliseconds limit) {
    const std::string needle = "\"version\":\"" + version + "\"";
    return wait_until(
        [&] {
            auto r = c.Get("/health");
            return r && r->status == 200 && r->body.find(needle) != std::string::npos;
        },
        limit);
}

int cmd_reload(const Args& a) {
    const int port = static_cast<int>(a.num("port", 0));
    const long n_ws = std::clamp<long>(a.num("ws", 50), 0, 1000);
    const long n_sse = std::clamp<long>(a.num("sse", 50), 0, 1000);
    const long reloads = std::clamp<long>(a.num("reloads", 100), 0, 10000);
    const long window = std::clamp<long>(a.num("window", 2), 1, 100);
    const long gap_ms = std::clamp<long>(a.num("gap-ms", 100), 0, 10000);
    const long hold_ms = std::clamp<long>(a.num("hold-ms", 500), 0, 600000);
    const auto limit = std::chrono::seconds(std::clamp<long>(a.num("max-seconds", 600), 10, 3600));
    const fs::path dir = a.need("plugin-dir");
    const std::string so[2] = {a.need("so-a"), a.need("so-b")};
    const std::string ver[2] = {a.need("ver-a"), a.need("ver-b")};
    const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
    const auto t0 = Clock::now();
    auto left = [&] {
        return std::max(0ms, std::chrono::duration_cast<std::chrono::milliseconds>(limit - (Clock::now() - t0)));
    };

    auto health = http_client(port, 5);
    if (!wait_version(*health, ver[0], 10s)) throw std::runtime_error("host does not answer version " + ver[0]);

    Progress pr;
    IoThread io;
    std::vector<std::shared_ptr<SseListener>> sse;
    for (long i = 0; i < n_sse; ++i) {
        sse.push_back(std::make_shared<SseListener>(io.io(), pr, ep));
        asio::post(io.io(), [s = sse.back()] { s->start(); });
    }
    wait_until([&] { return pr.sse_open + pr.sse_failed >= n_sse; }, 20s);
    std::vector<WsChat::Config> cfgs;
    for (long s = 0; s < n_ws; ++s) cfgs.push_back({"r10-ws" + std::to_string(s), "r10-c" + std::to_string(s), -1, window});
    auto ws = open_sockets(io, pr, ep, cfgs, true);
    std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));  // chatting before the first reload

    // Reloads on this thread: A/B by rename, until /health shows the new version.
    std::vector<double> reload_ms;
    long reload_timeouts = 0, done_reloads = 0;
    for (long i = 1; i <= reloads && left() > 60s; ++i) {
        const int next = static_cast<int>(i % 2);
        const fs::path tmp = dir / ".web_plugin.so.r10-tmp";
        fs::copy_file(so[next], tmp, fs::copy_options::overwrite_existing);
        const auto r0 = Clock::now();
        fs::rename(tmp, dir / "web_plugin.so");
        if (wait_version(*health, ver[next], 10s))
            reload_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - r0).count());
        else
            ++reload_timeouts;
        done_reloads = i;
        std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms));
    }
    std::this_thread::sleep_for(300ms);
    // Stop chatting; every message sent must still get its one final frame.
    io.run([&] {
        for (auto& c : ws) c->stop_sending();
    });
    const bool drained = wait_until([&] { return pr.in_flight.load() <= 0; }, std::min<std::chrono::milliseconds>(left(), 60s));

    // One last event (a REST chat) every stream must reach, then wait for all to reach the top.
    auto poster = http_client(port, 30);
    auto last_chat = poster->Post("/api/chat", R"({"content":"r10-final;","session_id":"r10-final"})", "application/json");
    std::this_thread::sleep_for(500ms);
    uint64_t top = 0;
    for (auto& s : sse) top = std::max(top, s->last_id());
    wait_until(
        [&] {
            for (auto& s : sse)
                if (s->last_id() < top) return false;
            return true;
        },
        10s);
    std::this_thread::sleep_for(200ms);
    close_all(io, ws, sse);
    io.stop();

    const auto t = ws_totals(ws);
    std::vector<std::pair<std::string, std::string>> extra;
    if (last_chat && last_chat->status == 200) extra.emplace_back("r10-final", "r10-final;");
    write_log(a.get("log"), ws, extra);
    long sse_open = 0, sse_failed = 0, sse_closed = 0, events = 0, gaps = 0, announced = 0, missed = 0, repeats = 0, resyncs = 0,
         behind = 0, reloaded_min = -1, streams_bad = 0;
    std::string first_anomaly, first_sse_close;
    for (size_t i = 0; i < sse.size(); ++i) {
        const auto f = sse[i]->figures();
        if (f.status == 200) ++sse_open;
        else ++sse_failed;
        sse_closed += f.closed;
        if (f.closed && first_sse_close.empty()) first_sse_close = f.close_reason;
        events += f.events;
        gaps += f.gaps;
        announced += f.announced;
        missed += f.missed;
        repeats += f.repeats;
        resyncs += f.resyncs;
        const bool is_behind = f.status == 200 && f.last < top;
        behind += is_behind;
        streams_bad += (f.gaps || f.repeats || f.resyncs || is_behind) ? 1 : 0;
        reloaded_min = reloaded_min < 0 ? f.reloaded : std::min(reloaded_min, f.reloaded);
        if (first_anomaly.empty() && !f.first_anomaly.empty()) first_anomaly = f.first_anomaly;
        if (getenv("OXIOS_WS_DRIVER_VERBOSE"))
            for (const auto& x : f.anomalies) std::fprintf(stderr, "sse stream %zu: %s\n", i, x.c_str());
    }
    if (getenv("OXIOS_WS_DRIVER_VERBOSE") && !sse.empty()) {
        std::fprintf(stderr, "plugin_reloaded ids:");
        for (auto x : sse[0]->figures().reload_ids) std::fprintf(stderr, " %llu", static_cast<unsigned long long>(x));
        std::fprintf(stderr, "\n");
    }
    print_ws(t);
    std::printf(
        " drained %d sse_open %ld sse_failed %ld sse_closed %ld sse_events %ld sse_gaps %ld sse_gaps_after_resync %ld "
        "sse_missed %ld sse_repeats %ld sse_resyncs %ld sse_behind %ld sse_streams_bad %ld sse_reloaded_min %ld sse_top %llu "
        "reloads %ld reload_timeouts %ld reload_p50_ms %.1f reload_max_ms %.1f seconds %.1f\n",
        drained ? 1 : 0, sse_open, sse_failed, sse_closed, events, gaps, announced, missed, repeats, resyncs, behind, streams_bad,
        reloaded_min, static_cast<unsigned long long>(top), done_reloads, reload_timeouts, percentile(reload_ms, 0.5),
        percentile(reload_ms, 1.0), std::chrono::duration<double>(Clock::now() - t0).count());
    if (!t.first_close.empty()) std::fprintf(stderr, "reload: first closed socket: %s\n", t.first_close.c_str());
    if (!first_sse_close.empty()) std::fprintf(stderr, "reload: first closed stream: %s\n", first_sse_close.c_str());
    if (!first_anomaly.empty()) std::fprintf(stderr, "reload: first SSE anomaly: %s\n", first_anomaly.c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: oxios-bench-ws r2|isolation|reload --key value ...\n");
        return 2;
    }
    ::signal(SIGPIPE, SIG_IGN);
    const std::string cmd = argv[1];
    try {
        const Args a = parse_args(argc, argv, 2);
        if (a.num("port", 0) <= 0) throw std::runtime_error("need --port");
        if (cmd == "r2") return cmd_r2(a);
        if (cmd == "isolation") return cmd_isolation(a);
        if (cmd == "reload") return cmd_reload(a);
        std::fprintf(stderr, "oxios-bench-ws: unknown command %s\n", cmd.c_str());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "oxios-bench-ws %s: %s\n", cmd.c_str(), e.what());
        return 1;
    }
}
