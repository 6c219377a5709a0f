// The WebSocket chat client of oxios-bench-ws: sends unique messages, checks
// each reply comes back exactly once and to its own socket; totals and log.
#pragma once

#include <utility>  // before Boost 1.74 Asio: its awaitable.hpp uses std::exchange without it

#include "ws_common.hpp"

#include <rapidjson/document.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <cstdio>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace oxios_bench {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

// Counters the main thread watches while the io thread runs.
struct Progress {
    std::atomic<long> ws_open{0}, ws_failed{0}, sse_open{0}, sse_failed{0};
    std::atomic<long> in_flight{0};   // sent, neither done nor error yet (all sockets)
    std::atomic<long> mid_stream{0};  // replies with tokens received and no final frame yet
};

// ------------------------------------------------------ streamed replies ---
// With the fake provider's --echo --tokens N, the reply to content C is the
// tokens "C " "0;" "1;" ... "<N-1>;". What one message's token frames spelled,
// taken apart into those tokens: each token that came more than once counts
// its extra copies as duplicated, each one that never came as missing, and
// anything else (or another order) makes the reply inexact.
struct StreamCheck {
    std::string content;  // C, the text before the first space
    long duplicated = 0, missing = 0;
    bool exact = false;
};

inline std::string expected_stream(const std::string& content, long n_tokens) {
    std::string out = content + " ";
    for (long k = 0; k < n_tokens; ++k) out += std::to_string(k) + ";";
    return out;
}

inline StreamCheck check_stream(const std::string& text, long n_tokens) {
    StreamCheck c;
    const size_t sp = text.find(' ');
    if (sp == std::string::npos) {
        c.missing = n_tokens + 1;
        return c;
    }
    c.content = text.substr(0, sp);
    const std::string echo = c.content + " ";
    std::vector<long> seen(static_cast<size_t>(n_tokens) + 1, 0);  // [0]: the echo token, [k + 1]: "k;"
    for (size_t at = 0; at < text.size();) {
        if (text.compare(at, echo.size(), echo) == 0) {
            ++seen[0];
            at += echo.size();
            continue;
        }
        const size_t semi = text.find(';', at);
        const std::string piece = text.substr(at, semi == std::string::npos ? std::string::npos : semi - at);
        const bool digits =
            !piece.empty() && piece.size() < 10 && piece.find_first_not_of("0123456789") == std::string::npos;
        if (semi == std::string::npos || !digits || std::stol(piece) >= n_tokens) break;  // not a token: inexact
        ++seen[static_cast<size_t>(std::stol(piece)) + 1];
        at = semi + 1;
    }
    for (long n : seen) {
        c.duplicated += n > 1 ? n - 1 : 0;
        c.missing += n == 0 ? 1 : 0;
    }
    c.exact = text == expected_stream(c.content, n_tokens);
    return c;
}

// ------------------------------------------------------------- WS client ---
class WsChat : public std::enable_shared_from_this<WsChat> {
public:
    struct Config {
        std::string session;     // sent with every message; done must name it
        std::string prefix;      // contents are prefix + "-m<k>;"
        long max_messages = -1;  // -1: until stop_sending()
        long window = 1;         // messages in flight at a time
        long stream_tokens = 0;  // > 0: replies come from the fake provider (--echo --tokens N), not echo
    };
    struct Figures {
        bool opened = false, closed = false;  // closed: by the server or an error, not by us
        std::string close_reason;
        long sent = 0, answered = 0, not_once = 0, duplicate_finals = 0, foreign = 0, errors = 0, refusals = 0,
             unparsable = 0;
        // Streamed replies (stream_tokens > 0) of answered messages: see check_stream.
        long token_frames = 0, tokens_duplicated = 0, tokens_missing = 0, replies_inexact = 0;
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
    // The reply text the token frames spelled, for an acknowledged content ("" if not kept).
    std::string received(const std::string& content) const {
        auto it = received_.find(content);
        return it == received_.end() ? std::string() : it->second;
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
        progress_.mid_stream -= open_streams_;
        open_streams_ = 0;
        fig_.close_reason = ec.message();
        if (ec == websocket::error::closed)
            fig_.close_reason +=
                " (code " + std::to_string(ws_.reason().code) + " " + std::string(ws_.reason().reason.c_str()) + ")";
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
    void stream_opened(long n) {
        open_streams_ += n;
        progress_.mid_stream += n;
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
            auto [t, fresh] = tokens_.try_emplace(id);
            if (fresh) stream_opened(1);
            t->second += sfield(d, "content");
            ++fig_.token_frames;
        } else if (type == "done") {
            if (!finals_.insert(id).second) {
                ++fig_.duplicate_finals;
                return;
            }
            auto t = tokens_.find(id);
            if (t != tokens_.end()) stream_opened(-1);
            static constexpr std::string_view kEcho = "echo: ";
            std::string content;
            StreamCheck sc;
            if (t != tokens_.end() && cfg_.stream_tokens > 0) {
                sc = check_stream(t->second, cfg_.stream_tokens);
                content = sc.content;
            } else if (t != tokens_.end() && t->second.rfind(kEcho, 0) == 0) {
                content = t->second.substr(kEcho.size());
            }
            auto a = answers_.find(content);
            if (t == tokens_.end() || a == answers_.end() || sfield(d, "session_id") != cfg_.session) {
                ++fig_.foreign;  // an id this socket never saw tokens for, or not its content/session
                return;
            }
            if (cfg_.stream_tokens > 0) {
                fig_.tokens_duplicated += sc.duplicated;
                fig_.tokens_missing += sc.missing;
                fig_.replies_inexact += sc.exact ? 0 : 1;
                if (!sc.exact && fig_.replies_inexact <= 3)
                    std::fprintf(stderr, "ws %s: streamed reply %s: duplicated %ld missing %ld: %s\n",
                                 cfg_.prefix.c_str(), id.c_str(), sc.duplicated, sc.missing, t->second.c_str());
                received_[content] = t->second;
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
            if (tokens_.count(id)) stream_opened(-1);
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
    long in_flight_ = 0, open_streams_ = 0;
    Figures fig_;
    std::map<std::string, int> answers_;                   // content sent -> done frames for it
    std::unordered_map<std::string, std::string> tokens_;  // message id -> token text so far
    std::unordered_set<std::string> finals_;               // ids that had their done/error
    std::map<std::string, std::string> received_;          // content -> streamed reply text (stream_tokens > 0)
};

struct WsTotals {
    long opened = 0, failed = 0, closed = 0, sent = 0, answered = 0, not_once = 0, duplicate_finals = 0, foreign = 0,
         errors = 0, refusals = 0, unparsable = 0, token_frames = 0, tokens_duplicated = 0, tokens_missing = 0,
         replies_inexact = 0;
    std::string first_close;
};

inline WsTotals ws_totals(const std::vector<std::shared_ptr<WsChat>>& clients) {
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
        t.token_frames += f.token_frames;
        t.tokens_duplicated += f.tokens_duplicated;
        t.tokens_missing += f.tokens_missing;
        t.replies_inexact += f.replies_inexact;
    }
    return t;
}

inline void write_log(const std::string& path, const std::vector<std::shared_ptr<WsChat>>& clients,
                      const std::vector<std::pair<std::string, std::string>>& extra) {
    if (path.empty()) return;
    std::ofstream out(path, std::ios::app);
    for (const auto& c : clients)
        for (const auto& content : c->acknowledged()) {
            out << c->config().session << '\t' << content;
            // A streamed reply: check_sessions.py also checks the stored reply is this text.
            if (c->config().stream_tokens > 0) out << '\t' << c->received(content);
            out << '\n';
        }
    for (const auto& [s, content] : extra) out << s << '\t' << content << '\n';
}

inline void print_ws(const WsTotals& t) {
    std::printf(
        "ws_open %ld ws_failed %ld ws_closed %ld sent %ld answered %ld not_once %ld duplicate_finals %ld foreign %ld "
        "errors %ld refusals %ld unparsable %ld token_frames %ld tokens_duplicated %ld tokens_missing %ld "
        "replies_inexact %ld",
        t.opened, t.failed, t.closed, t.sent, t.answered, t.not_once, t.duplicate_finals, t.foreign, t.errors,
        t.refusals, t.unparsable, t.token_frames, t.tokens_duplicated, t.tokens_missing, t.replies_inexact);
}

// Opens the WS clients (sending right away or not) and waits until all opened or failed.
inline std::vector<std::shared_ptr<WsChat>> open_sockets(IoThread& io, Progress& pr, tcp::endpoint ep,
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

}  // namespace oxios_bench
