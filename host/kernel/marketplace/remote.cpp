#include "marketplace/remote.hpp"

#include "marketplace/registry.hpp"

#include "services/service_error.hpp"

#include <arpa/inet.h>
#include <httplib.h>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace oxios::kernel::marketplace {

namespace {

using services::fail;
using Clock = std::chrono::steady_clock;

constexpr int kMaxRedirects = 5;

struct Url {
    std::string scheme, authority, host, port, target;  // host without IPv6 brackets; target "/..."
    std::string origin() const {
        const bool v6 = host.find(':') != std::string::npos;
        return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + port;
    }
};

// Splits an absolute http(s) URL; the error says why it is not one.
std::optional<Url> parse(std::string_view url, std::string& why) {
    const auto refuse = [&why](const char* because) {
        why = because;
        return std::optional<Url>();
    };
    for (const char c : url)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
            return refuse("the URL has blanks or control characters");
    const size_t sep = url.find("://");
    Url u;
    u.scheme = sep == std::string_view::npos ? "" : ascii_lower(url.substr(0, sep));
    if (u.scheme != "https" && u.scheme != "http") return refuse("the URL must start with https:// or http://");
    std::string_view rest = url.substr(sep + 3);
    const size_t end = std::min(rest.find_first_of("/?#"), rest.size());
    std::string_view authority = rest.substr(0, end);
    u.authority = authority;
    std::string target(rest.substr(end));
    target = target.substr(0, target.find('#'));
    u.target = target.empty() || target.front() != '/' ? "/" + target : target;
    if (authority.find('@') != std::string_view::npos) return refuse("credentials in the URL are not supported");
    std::string_view port;
    if (authority.starts_with('[')) {
        const size_t close = authority.find(']');
        if (close == std::string_view::npos) return refuse("the URL has a bad IPv6 host");
        u.host = ascii_lower(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty() && !after.starts_with(':')) return refuse("the URL has a bad IPv6 host");
        port = after.empty() ? after : after.substr(1);
    } else {
        const size_t colon = authority.find(':');
        u.host = ascii_lower(authority.substr(0, colon));
        if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    }
    if (u.host.empty()) return refuse("the URL has no host");
    if (port.empty()) {
        u.port = u.scheme == "https" ? "443" : "80";
    } else {
        if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
            std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535)
            return refuse("the URL has a bad port");
        u.port = port;
    }
    return u;
}

bool is_loopback(const std::string& host) {
    if (host == "localhost" || host == "::1") return true;
    unsigned char v4[4];
    return ::inet_pton(AF_INET, host.c_str(), v4) == 1 && v4[0] == 127;
}

[[noreturn]] void unreachable(const std::string& why) {
    fail(OXIOS_E_UPSTREAM, "marketplace registry unreachable: " + why);
}

// Stops the client's request when the deadline passes (its own timeouts are
// per socket operation, not per fetch).
class Watchdog {
public:
    Watchdog(httplib::Client& cli, Deadline deadline)
        : thread_([this, &cli, deadline] {
              std::unique_lock lock(mutex_);
              if (cv_.wait_until(lock, deadline, [this] { return done_; })) return;
              fired_ = true;
              lock.unlock();
              cli.stop();
          }) {}
    ~Watchdog() { finish(); }
    // Ends the watch; true when the deadline had stopped the request.
    bool finish() {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        cv_.notify_all();
        if (thread_.joinable()) thread_.join();
        return fired_;
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool done_ = false, fired_ = false;
    std::thread thread_;
};

std::string error_text(httplib::Error e) {
    switch (e) {
        case httplib::Error::Connection:
            return "cannot connect";
        case httplib::Error::Canceled:
            return "the fetch was canceled";
        case httplib::Error::Read:
            return "the connection broke while reading";
        case httplib::Error::Write:
            return "the connection broke while writing";
        case httplib::Error::SSLConnection:
            return "TLS handshake failed";
        case httplib::Error::SSLServerVerification:
            return "TLS certificate verification failed";
        case httplib::Error::SSLLoadingCerts:
            return "cannot load the CA certificates";
        default:
            return httplib::to_string(e);
    }
}

struct Answer {
    std::optional<std::string> body;      // nullopt: over max_bytes
    std::optional<std::string> location;  // a redirect to follow
};

bool is_redirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

Answer get_once(const Url& u, Deadline deadline, size_t max_bytes) {
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
    if (left.count() <= 0) fail(OXIOS_E_TIMEOUT, "marketplace registry timed out");
    httplib::Client cli(u.origin());
    // The watchdog ends the fetch at the deadline; the socket timeouts (a read's
    // one second later) only back it up, so a stall always reads as a timeout.
    cli.set_connection_timeout(left);
    cli.set_read_timeout(left + std::chrono::seconds(1));
    cli.set_write_timeout(left + std::chrono::seconds(1));
    cli.set_keep_alive(false);
    cli.set_follow_location(false);
    cli.enable_server_certificate_verification(true);
    int status = 0;
    std::string body, location;
    bool over = false, late = false;
    Watchdog watchdog(cli, deadline);
    auto res = cli.Get(
        u.target, httplib::Headers{{"Accept", "application/json, */*"}},
        [&](const httplib::Response& r) {
            status = r.status;
            if (is_redirect(status)) location = r.get_header_value("Location");
            return status >= 200 && status < 300;  // other bodies are not read
        },
        [&](const char* data, size_t len) {
            if (body.size() + len > max_bytes) return !(over = true);
            body.append(data, len);
            return Clock::now() < deadline || !(late = true);
        });
    const bool stopped = watchdog.finish();
    if (over) return Answer{std::nullopt, std::nullopt};
    if (is_redirect(status)) {
        if (location.empty()) unreachable("HTTP " + std::to_string(status) + " without a Location");
        return Answer{std::nullopt, location};
    }
    if (stopped || late || res.error() == httplib::Error::ConnectionTimeout)
        fail(OXIOS_E_TIMEOUT, "marketplace registry timed out");
    if (status != 0 && (status < 200 || status >= 300))
        unreachable("HTTP " + std::to_string(status) + " from " + u.origin());
    if (!res) unreachable(error_text(res.error()) + " (" + u.origin() + ")");
    return Answer{std::move(body), std::nullopt};
}

}  // namespace

bool is_remote(std::string_view registry) {
    const std::string head = ascii_lower(registry.substr(0, 8));
    return head.starts_with("https://") || head.starts_with("http://");
}

std::optional<std::string> url_refusal(std::string_view url) {
    std::string why;
    const auto u = parse(url, why);
    if (!u) return why;
    if (u->scheme == "http" && !is_loopback(u->host))
        return "http:// is only allowed to a loopback host (127.0.0.0/8, ::1, localhost); use https://";
    return std::nullopt;
}

std::string resolve_url(const std::string& base, const std::string& ref) {
    if (is_remote(ref)) return ref;
    std::string why;
    const auto u = parse(base, why);
    if (!u) return ref;  // refused by the caller's url_refusal
    const std::string origin = u->scheme + "://" + u->authority;
    if (ref.starts_with("//")) return u->scheme + ":" + ref;
    if (ref.starts_with("/")) return origin + ref;
    const std::string path = u->target.substr(0, u->target.find('?'));
    return origin + path.substr(0, path.rfind('/') + 1) + ref;
}

std::optional<std::string> fetch(const std::string& url, Deadline deadline, size_t max_bytes) {
    std::string at = url;
    for (int hop = 0;; ++hop) {
        std::string why;
        if (auto refused = url_refusal(at))
            unreachable((hop == 0 ? "" : "redirect to " + at + " refused: ") + *refused);
        const Answer a = get_once(*parse(at, why), deadline, max_bytes);
        if (!a.location) return a.body;
        if (hop == kMaxRedirects) unreachable("more than " + std::to_string(kMaxRedirects) + " redirects");
        at = resolve_url(at, *a.location);
    }
}

}  // namespace oxios::kernel::marketplace
