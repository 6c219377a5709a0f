// oxios-bench-e1: E1 for scripts/bench, against a host whose engine streams
// from tests/fake_openai (fake-openai --tokens N --send-log FILE) and, as the
// baseline, oxios-bench-relay on the same fake (relay_server.cpp: the same
// chunks relayed by a bare Beast WebSocket writer, without the engine).
//
//   oxios-bench-e1 --port P --base-port B --send-log FILE --tokens N --streams S
//                  [--warmup W] [--round R] [--concurrent C --sockets K] [--max-seconds S]
//
// Phase 1: W+S rounds of two chats streaming side by side, one to the host
// and one to the relay (one socket each), so that a busy moment slows both;
// per token frame, its arrival (CLOCK_MONOTONIC) minus the fake's send time
// of its chunk ("<k>;" tokens). The first W rounds are not timed. Every R
// timed pairs give one ratio, host p99 / relay p99 (round_ratios).
// Phase 2 (C > 0): C chats at once over K sockets to the host; each must spell
// all N tokens and get one done. Prints one line of key/value pairs.
#include "ws_common.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <deque>
#include <fstream>
#include <functional>
#include <unordered_map>

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using namespace oxios_bench;

namespace {

// A bare WS chat socket: hands every frame with its arrival time to on_frame.
class E1Socket : public std::enable_shared_from_this<E1Socket> {
public:
    using OnFrame = std::function<void(const std::string&, int64_t)>;
    E1Socket(asio::io_context& io, tcp::endpoint ep, OnFrame on_frame)
        : ws_(io), ep_(ep), on_frame_(std::move(on_frame)) {}
    std::atomic<int> state{0};  // 0 connecting, 1 open, 2 failed/closed
    std::string why;
    void start() {
        auto self = shared_from_this();
        beast::get_lowest_layer(ws_).expires_after(20s);
        beast::get_lowest_layer(ws_).async_connect(ep_, [self](beast::error_code ec) {
            if (ec) return self->fail(ec);
            beast::get_lowest_layer(self->ws_).expires_never();
            beast::get_lowest_layer(self->ws_).socket().set_option(tcp::no_delay(true));
            self->ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
            self->ws_.async_handshake("127.0.0.1:" + std::to_string(self->ep_.port()), "/api/chat/stream",
                                      [self](beast::error_code ec2) {
                                          if (ec2) return self->fail(ec2);
                                          self->ws_.text(true);
                                          self->state = 1;
                                          self->read();
                                          self->write();
                                      });
        });
    }
    void send(std::string frame) {  // on the io thread
        outq_.push_back(std::move(frame));
        write();
    }
    void close() {
        if (state != 1) return;
        state = 2;
        auto self = shared_from_this();
        ws_.async_close(websocket::close_code::normal, [self](beast::error_code) {});
    }

private:
    void fail(beast::error_code ec) {
        if (state == 2) return;
        why = ec.message();
        state = 2;
    }
    void write() {
        if (writing_ || outq_.empty() || state != 1) return;
        writing_ = true;
        auto self = shared_from_this();
        ws_.async_write(asio::buffer(outq_.front()), [self](beast::error_code ec, size_t) {
            self->writing_ = false;
            if (ec) return self->fail(ec);
            self->outq_.pop_front();
            self->write();
        });
    }
    void read() {
        auto self = shared_from_this();
        ws_.async_read(buf_, [self](beast::error_code ec, size_t) {
            const int64_t at = mono_ns();
            if (ec) return self->fail(ec);
            self->on_frame_(beast::buffers_to_string(self->buf_.data()), at);
            self->buf_.consume(self->buf_.size());
            self->read();
        });
    }
    websocket::stream<beast::tcp_stream> ws_;
    tcp::endpoint ep_;
    OnFrame on_frame_;
    beast::flat_buffer buf_;
    std::deque<std::string> outq_;
    bool writing_ = false;
};

// The tokens of one reply: "<k>;" each, in order; `at` per token.
struct E1Reply {
    std::string text;
    size_t parsed = 0;
    long next = 0, disorder = 0;
    std::vector<int64_t> at;
    bool done = false, error = false;
    void add(std::string_view content, int64_t ns) {
        text += content;
        size_t semi;
        while ((semi = text.find(';', parsed)) != std::string::npos) {
            const long k = std::strtol(text.c_str() + parsed, nullptr, 10);
            if (k == next) {
                at.push_back(ns);
                ++next;
            } else {
                ++disorder;
            }
            parsed = semi + 1;
        }
    }
};

// The fake numbers its streams from 0 in the order they start and logs each
// stream's send times after its last chunk. The next stream's number is one
// past the highest logged (every earlier stream has finished).
std::map<std::pair<long, long>, int64_t> read_send_log(const std::string& path, long* next_stream) {
    std::map<std::pair<long, long>, int64_t> sent;
    std::ifstream in(path);
    long st, k;
    long long ns;
    long top = -1;
    while (in >> st >> k >> ns) {
        sent[{st, k}] = ns;
        top = std::max(top, st);
    }
    if (next_stream != nullptr) *next_stream = top + 1;
    return sent;
}

struct Side {
    std::vector<double> over;  // ms, per timed chunk
    long lost = 0, disorder = 0, negative = 0;
};

int cmd_engine(const Args& a) {
    const int ports[2] = {static_cast<int>(a.num("port", 0)), static_cast<int>(a.num("base-port", 0))};
    if (ports[1] <= 0) throw std::runtime_error("need --base-port");
    const std::string send_log = a.need("send-log");
    const long tokens = std::clamp<long>(a.num("tokens", 200), 1, 100000);
    const long streams = std::clamp<long>(a.num("streams", 10), 1, 10000);
    const long warmup = std::clamp<long>(a.num("warmup", 1), 0, 100);
    const long per_round = std::clamp<long>(a.num("round", 2), 1, 10000);  // chat pairs per round
    const long concurrent = std::clamp<long>(a.num("concurrent", 0), 0, 1000);
    const long sockets = std::clamp<long>(a.num("sockets", 10), 1, std::max(1L, concurrent));
    const auto limit = std::chrono::seconds(std::clamp<long>(a.num("max-seconds", 300), 10, 3600));
    const auto t0 = Clock::now();
    auto left = [&] {
        return std::max(0ms, std::chrono::duration_cast<std::chrono::milliseconds>(limit - (Clock::now() - t0)));
    };
    auto endpoint = [](int port) {
        return tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
    };
    long first_stream = 0;
    read_send_log(send_log, &first_stream);
    IoThread io;

    // Phase 1: rounds of two chats streaming at the same time, chat 2r to the
    // host and 2r+1 to the relay, so that a busy moment of the machine slows
    // both. The relay's is sent on the host's first token: the fake numbers
    // the host's stream first. The next round starts when both are done.
    const long chats = 2 * (warmup + streams);
    std::vector<E1Reply> lat(static_cast<size_t>(chats));
    std::atomic<long> lat_done{0};  // chats finished (done or error)
    long lat_unparsable = 0, lat_foreign = 0;
    long cur[2] = {0, 1};  // each side's chat in this round
    bool relay_sent = false, finished[2] = {false, false};
    std::string cur_id[2];
    std::shared_ptr<E1Socket> s1[2];
    auto send_lat = [&](long i) {
        const std::string tag = "e1-lat-" + std::to_string(first_stream + i);
        s1[i % 2]->send(chat_frame(tag, tag));
    };
    for (int side = 0; side < 2; ++side)
        s1[side] =
            std::make_shared<E1Socket>(io.io(), endpoint(ports[side]), [&, side](const std::string& text, int64_t at) {
                rapidjson::Document d;
                d.Parse(text.c_str(), text.size());
                const std::string type = sfield(d, "type"), id = sfield(d, "id");
                const long i = cur[side];
                if (d.HasParseError() || i >= chats || finished[side]) {
                    ++lat_unparsable;
                    return;
                }
                auto& r = lat[static_cast<size_t>(i)];
                if (cur_id[side].empty()) cur_id[side] = id;
                if (id != cur_id[side]) {
                    ++lat_foreign;
                    return;
                }
                if (type == "token") {
                    r.add(sfield(d, "content"), at);
                    if (side == 0 && !relay_sent) {
                        relay_sent = true;
                        send_lat(i + 1);
                    }
                } else if (type == "done" || type == "error") {
                    r.done = type == "done";
                    r.error = type == "error";
                    if (r.error) std::fprintf(stderr, "engine: error frame %s\n", text.c_str());
                    if (side == 0 && !relay_sent) {  // no token at all: the relay's goes now
                        relay_sent = true;
                        send_lat(i + 1);
                    }
                    finished[side] = true;
                    lat_done.fetch_add(1);
                    if (!finished[0] || !finished[1]) return;
                    for (int k = 0; k < 2; ++k) {
                        cur[k] += 2;
                        cur_id[k].clear();
                        finished[k] = false;
                    }
                    relay_sent = false;
                    if (cur[0] < chats) send_lat(cur[0]);
                }
            });
    asio::post(io.io(), [&] {
        s1[0]->start();
        s1[1]->start();
        send_lat(0);
    });
    wait_until([&] { return lat_done.load() >= chats || s1[0]->state == 2 || s1[1]->state == 2; }, left());
    io.run([&] {
        s1[0]->close();
        s1[1]->close();
    });

    // The fake writes a stream's send times after its last chunk: wait for all.
    std::map<std::pair<long, long>, int64_t> sent;
    wait_until(
        [&] {
            sent = read_send_log(send_log, nullptr);
            return sent.size() >= static_cast<size_t>((first_stream + chats) * tokens);
        },
        std::min<std::chrono::milliseconds>(left(), 10s));
    Side sides[2];
    // Rounds of R chat pairs: host p99 / relay p99 within each round. A stall
    // of the machine lands in one round; the median over rounds decides.
    std::vector<double> round[2], round_ratios;
    for (long i = 2 * warmup; i < chats; ++i) {
        const auto& r = lat[static_cast<size_t>(i)];
        auto& s = sides[i % 2];
        s.lost += tokens - static_cast<long>(r.at.size()) + (r.done ? 0 : 1);
        s.disorder += r.disorder;
        for (size_t k = 0; k < r.at.size(); ++k) {
            auto it = sent.find({first_stream + i, static_cast<long>(k)});
            if (it == sent.end()) continue;
            const double ms = static_cast<double>(r.at[k] - it->second) / 1e6;
            s.negative += ms < 0 ? 1 : 0;
            s.over.push_back(ms);
            round[i % 2].push_back(ms);
        }
        const long pair = i / 2 - warmup;
        if (i % 2 == 1 && ((pair + 1) % per_round == 0 || i + 1 == chats)) {
            const double base = percentile(round[1], 0.99);
            if (!round[0].empty() && base > 0) round_ratios.push_back(percentile(round[0], 0.99) / base);
            round[0].clear();
            round[1].clear();
        }
    }
    std::string ratios_text;
    for (double x : round_ratios) ratios_text += (ratios_text.empty() ? "" : ",") + std::to_string(x);

    // Phase 2: C chats at once over K sockets to the host.
    std::unordered_map<std::string, E1Reply> replies;  // message id -> reply
    long conc_unparsable = 0, conc_duplicate = 0;
    std::atomic<long> conc_final{0};
    std::vector<std::shared_ptr<E1Socket>> socks;
    for (long s = 0; s < sockets && concurrent > 0; ++s)
        socks.push_back(
            std::make_shared<E1Socket>(io.io(), endpoint(ports[0]), [&](const std::string& text, int64_t at) {
                rapidjson::Document d;
                d.Parse(text.c_str(), text.size());
                const std::string type = sfield(d, "type"), id = sfield(d, "id");
                if (d.HasParseError() || id.empty()) {
                    ++conc_unparsable;
                    return;
                }
                auto& r = replies[id];
                if (type == "token") {
                    if (r.done || r.error)
                        ++conc_duplicate;
                    else
                        r.add(sfield(d, "content"), at);
                } else if (type == "done" || type == "error") {
                    if (r.done || r.error) {
                        ++conc_duplicate;
                        return;
                    }
                    (type == "done" ? r.done : r.error) = true;
                    if (r.error) std::fprintf(stderr, "engine: error frame %s\n", text.c_str());
                    ++conc_final;
                }
            }));
    if (concurrent > 0) {
        asio::post(io.io(), [&] {
            for (auto& s : socks) s->start();
            for (long c = 0; c < concurrent; ++c)
                socks[static_cast<size_t>(c % sockets)]->send(
                    chat_frame("e1-conc-" + std::to_string(c), "e1-conc-" + std::to_string(c)));
        });
        wait_until([&] { return conc_final.load() >= concurrent; }, left());
        std::this_thread::sleep_for(200ms);  // stray frames
        io.run([&] {
            for (auto& s : socks) s->close();
        });
        // Their send times are logged after their last chunks: the next run
        // numbers its streams from past them.
        wait_until(
            [&] {
                long next = 0;
                read_send_log(send_log, &next);
                return next >= first_stream + chats + concurrent;
            },
            std::min<std::chrono::milliseconds>(left(), 5s));
    }
    std::this_thread::sleep_for(200ms);
    io.stop();
    long conc_done = 0, conc_errors = 0, conc_lost = 0, conc_disorder = 0;
    std::string expected;
    for (long k = 0; k < tokens; ++k) expected += std::to_string(k) + ";";
    for (const auto& [id, r] : replies) {
        conc_done += r.done;
        conc_errors += r.error;
        conc_disorder += r.disorder;
        if (r.text != expected) conc_lost += std::max(1L, tokens - static_cast<long>(r.at.size()));
    }
    conc_lost += std::max(0L, concurrent - conc_done - conc_errors) * tokens;  // never answered
    conc_lost += conc_errors * tokens;
    const Side& h = sides[0];
    const Side& b = sides[1];
    std::printf(
        "chunks %ld matched %zu p50_ms %.3f p99_ms %.3f max_ms %.3f base_matched %zu base_p50_ms %.3f base_p99_ms %.3f "
        "base_max_ms %.3f negative %ld lat_lost %ld lat_disorder %ld lat_foreign %ld lat_unparsable %ld conc_chats %ld "
        "conc_sockets %ld conc_done %ld conc_errors %ld conc_lost %ld conc_disorder %ld conc_duplicate %ld "
        "conc_unparsable %ld seconds %.1f rounds %zu round_ratios %s\n",
        streams * tokens, h.over.size(), percentile(h.over, 0.5), percentile(h.over, 0.99), percentile(h.over, 1.0),
        b.over.size(), percentile(b.over, 0.5), percentile(b.over, 0.99), percentile(b.over, 1.0),
        h.negative + b.negative, h.lost + b.lost, h.disorder + b.disorder, lat_foreign, lat_unparsable, concurrent,
        sockets, conc_done, conc_errors, conc_lost, conc_disorder, conc_duplicate, conc_unparsable,
        std::chrono::duration<double>(Clock::now() - t0).count(), round_ratios.size(),
        ratios_text.empty() ? "-" : ratios_text.c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    ::signal(SIGPIPE, SIG_IGN);
    try {
        const Args a = parse_args(argc, argv, 1);
        if (a.num("port", 0) <= 0) throw std::runtime_error("need --port");
        return cmd_engine(a);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "oxios-bench-e1: %s\n", e.what());
        return 1;
    }
}
