// The SSE client of oxios-bench-ws: listens on /api/events and counts gaps,
// repeats, resyncs and plugin_reloaded events across reloads.
#pragma once

#include <utility>  // before Boost 1.74 Asio: its awaitable.hpp uses std::exchange without it

#include "ws_common.hpp"

#include <rapidjson/document.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "ws_chat_client.hpp"  // Progress

namespace oxios_bench {

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
        std::vector<uint64_t> reload_ids;    // ids of plugin_reloaded events
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
            if (line.rfind("id: ", 0) == 0)
                id = std::strtoull(std::string(line.substr(4)).c_str(), nullptr, 10);
            else if (line.rfind("event: ", 0) == 0)
                event = line.substr(7);
            else if (line.rfind("data: ", 0) == 0)
                data = line.substr(6);
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

}  // namespace oxios_bench
