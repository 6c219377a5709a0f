#include "engines/openai_client.hpp"

#include "infra/json_util.hpp"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace oxios::kernel {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// ------------------------------------------------------------------ SSE ---

void SseParser::feed(std::string_view bytes, const OnData& on_data) {
    buffer_.append(bytes.data(), bytes.size());
    size_t start = 0;
    for (;;) {
        const size_t nl = buffer_.find('\n', start);
        if (nl == std::string::npos) break;
        std::string_view l(buffer_.data() + start, nl - start);
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        line(l, on_data);
        start = nl + 1;
    }
    buffer_.erase(0, start);
}

void SseParser::finish(const OnData& on_data) {
    if (!buffer_.empty()) {
        std::string rest;
        rest.swap(buffer_);
        std::string_view l(rest);
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        line(l, on_data);
    }
    dispatch(on_data);
}

void SseParser::dispatch(const OnData& on_data) {
    if (!has_data_) return;
    std::string data;
    data.swap(data_);
    has_data_ = false;
    on_data(data);
}

void SseParser::line(std::string_view l, const OnData& on_data) {
    if (l.empty()) {
        dispatch(on_data);
        return;
    }
    if (l.front() == ':') return;  // comment / keep-alive
    const size_t colon = l.find(':');
    const std::string_view field = l.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view{} : l.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (field != "data") return;  // event:, id:, retry: are of no use here
    if (has_data_) {
        // Servers that omit the blank line between events: a pending event
        // that is already complete JSON (or [DONE]) goes out first.
        rapidjson::Document probe;
        probe.Parse(data_.data(), data_.size());
        if (data_ == "[DONE]" || !probe.HasParseError()) {
            dispatch(on_data);
        } else {
            data_.push_back('\n');
        }
    }
    data_.append(value.data(), value.size());
    has_data_ = true;
}

// -------------------------------------------------------------- helpers ---

std::string scrub(std::string text, const std::string& secret) {
    if (secret.empty()) return text;
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
        text.replace(at, secret.size(), "***");
    return text;
}

namespace {

std::string secs_text(milliseconds ms) {
    const auto count = ms.count();
    if (count % 1000 == 0) return std::to_string(count / 1000) + " s";
    return std::to_string(count) + " ms";
}

// The human part of an error body: error.message, error (string), message, or the text.
std::string upstream_detail(const std::string& body, const std::string& key) {
    std::string detail;
    if (auto doc = json::parse(body); doc && doc->IsObject()) {
        if (const auto* e = json::member(*doc, "error")) {
            if (e->IsString())
                detail = e->GetString();
            else if (e->IsObject())
                detail = json::get_string(*e, "message");
        }
        if (detail.empty()) detail = json::get_string(*doc, "message");
        if (detail.empty()) detail = json::get_string(*doc, "detail");
    } else {
        detail = body;
    }
    for (auto& c : detail)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (detail.size() > 300) detail = detail.substr(0, 300) + "...";
    while (!detail.empty() && detail.back() == ' ') detail.pop_back();
    return scrub(std::move(detail), key);
}

std::string http_error_text(const ProviderInfo& p, const std::string& host, const std::string& model, int status,
                            const std::string& body, const std::string& key) {
    const std::string code = "HTTP " + std::to_string(status);
    if (status == 401 || status == 403) {
        if (key.empty()) {
            std::string how =
                p.api_key_env.empty() ? std::string("engine.api_key") : p.api_key_env + " or engine.api_key";
            return "engine: the provider rejected the request: no API key is set for " + p.id + " (set " + how + ", " +
                   code + ")";
        }
        return "engine: the provider rejected the API key (" + p.id + ", " + code + ")";
    }
    const std::string detail = upstream_detail(body, key);
    std::string text;
    if (status == 404) {
        text = "engine: model \"" + model + "\" not found at " + host + " (" + code + ")";
    } else if (status == 429) {
        text = "engine: rate limited by " + host + " (" + code + ")";
    } else {
        text = "engine: " + host + " answered " + code;
    }
    if (!detail.empty()) text += ": " + detail;
    return text;
}

int64_t retry_after_ms(const httplib::Response& res) {
    auto digits = [](const std::string& v) {
        return !v.empty() && v.size() < 10 &&
               std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
    };
    const std::string ms = res.get_header_value("retry-after-ms");
    if (digits(ms)) return std::stoll(ms);
    const std::string s = res.get_header_value("Retry-After");
    if (digits(s)) return std::stoll(s) * 1000;
    return -1;
}

bool is_connect_error(httplib::Error e) {
    switch (e) {
        case httplib::Error::Connection:
        case httplib::Error::BindIPAddress:
        case httplib::Error::SSLConnection:
        case httplib::Error::SSLLoadingCerts:
        case httplib::Error::ConnectionTimeout:
            return true;
        default:
            return false;
    }
}

std::string connect_error_text(httplib::Error e, const std::string& host, milliseconds connect) {
    switch (e) {
        case httplib::Error::SSLServerVerification:
            return "engine: cannot reach " + host + ": TLS certificate verification failed";
        case httplib::Error::SSLConnection:
            return "engine: cannot reach " + host + ": TLS handshake failed";
        case httplib::Error::ConnectionTimeout:
            return "engine: cannot reach " + host + ": no connection within " + secs_text(connect);
        default:
            return "engine: cannot reach " + host + " (connection failed)";
    }
}

std::unique_ptr<httplib::Client> make_client(const Endpoint& ep, milliseconds connect, milliseconds read) {
    auto cli = std::make_unique<httplib::Client>(ep.scheme_host_port);
    cli->set_connection_timeout(std::chrono::duration_cast<std::chrono::microseconds>(connect));
    cli->set_read_timeout(std::chrono::duration_cast<std::chrono::microseconds>(read));
    cli->set_write_timeout(std::chrono::seconds(30));
    cli->set_keep_alive(false);
    cli->set_follow_location(false);
    if (ep.https) cli->enable_server_certificate_verification(true);
    return cli;
}

httplib::Headers base_headers(const ProviderInfo& p, const std::string& key) {
    httplib::Headers h;
    for (const auto& [name, value] : p.headers) h.emplace(name, value);
    if (!key.empty()) h.emplace("Authorization", "Bearer " + key);
    h.emplace("Accept-Encoding", "identity");
    h.emplace("User-Agent", "oxios-host");
    return h;
}

// Aborts a running request (Client::stop) when asked to.
class Watchdog {
public:
    enum Reason { None = 0, Cancelled, FirstToken, Idle, Deadline };

    Watchdog(httplib::Client& cli, const ChatCall& call) : cli_(cli), call_(call), started_(Clock::now()) {
        last_ = started_.time_since_epoch().count();
        thread_ = std::thread([this] { loop(); });
    }
    ~Watchdog() {
        {
            std::lock_guard lock(m_);
            done_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }
    void activity() { last_ = Clock::now().time_since_epoch().count(); }
    void first_token() { first_ = true; }
    Reason reason() const { return static_cast<Reason>(reason_.load()); }

private:
    void loop() {
        std::unique_lock lock(m_);
        while (!done_) {
            cv_.wait_for(lock, milliseconds(20));
            if (done_) break;
            if (reason_.load() == None) {
                const auto now = Clock::now();
                const auto last = Clock::time_point(Clock::duration(last_.load()));
                Reason r = None;
                if ((call_.cancelled != nullptr && call_.cancelled->load()) ||
                    (call_.abort_all != nullptr && call_.abort_all->load()))
                    r = Cancelled;
                else if (now >= call_.limits.deadline)
                    r = Deadline;
                else if (!first_.load() && now - started_ >= call_.limits.first_token)
                    r = FirstToken;
                else if (first_.load() && now - last >= call_.limits.idle)
                    r = Idle;
                reason_ = r;
            }
            if (reason_.load() != None) {
                lock.unlock();
                cli_.stop();  // repeated until the request is gone: it may not have started yet
                lock.lock();
            }
        }
    }

    httplib::Client& cli_;
    const ChatCall& call_;
    const Clock::time_point started_;
    std::atomic<Clock::rep> last_{0};
    std::atomic<bool> first_{false};
    std::atomic<int> reason_{None};
    std::mutex m_;
    std::condition_variable cv_;
    bool done_ = false;
    std::thread thread_;
};

void read_usage(const rapidjson::Value& obj, ChatOutcome& out) {
    const auto* usage = json::member(obj, "usage");
    if (usage == nullptr || !usage->IsObject()) {
        if (const auto* xg = json::member(obj, "x_groq")) usage = json::member(*xg, "usage");
    }
    if (usage == nullptr || !usage->IsObject()) return;
    const int64_t p = json::get_int(*usage, "prompt_tokens", -1);
    const int64_t c = json::get_int(*usage, "completion_tokens", -1);
    if (p >= 0) out.prompt_tokens = p;
    if (c >= 0) out.completion_tokens = c;
}

// The text of choices[0].<field>.content, or nullptr.
const rapidjson::Value* choice_content(const rapidjson::Value& obj, const char* field) {
    const auto* choices = json::member(obj, "choices");
    if (choices == nullptr || !choices->IsArray() || choices->Empty()) return nullptr;
    const auto* part = json::member((*choices)[0], field);
    if (part == nullptr) return nullptr;
    const auto* content = json::member(*part, "content");
    return (content != nullptr && content->IsString()) ? content : nullptr;
}

}  // namespace

// ----------------------------------------------------------- chat call ---

ChatOutcome stream_chat(const ChatCall& call) {
    ChatOutcome out;
    const auto ep = parse_base_url(call.provider.base_url);
    if (!ep) {
        out.fail = FailKind::Connect;
        out.error = "engine: provider " + call.provider.id + " has no valid base_url";
        return out;
    }
    const std::string& host = ep->host;
    const milliseconds read_backstop = std::max(call.limits.first_token, call.limits.idle) + milliseconds(5000);
    auto cli = make_client(*ep, call.limits.connect, read_backstop);

    httplib::Request req;
    req.method = "POST";
    req.path = ep->base_path + "/chat/completions";
    req.headers = base_headers(call.provider, call.api_key);
    req.headers.emplace("Accept", "text/event-stream");
    req.headers.emplace("Content-Type", "application/json");
    req.body = call.body;

    bool responded = false, json_mode = false, done = false, stop_reading = false;
    int status = 0;
    std::string raw;  // error body or whole JSON answer (bounded)
    SseParser parser;
    Watchdog watch(*cli, call);

    auto on_data = [&](std::string_view data) {
        if (stop_reading) return;
        if (data == "[DONE]") {
            done = stop_reading = true;
            return;
        }
        rapidjson::Document doc;
        doc.Parse(data.data(), data.size());
        if (doc.HasParseError() || !doc.IsObject()) {
            out.fail = FailKind::Protocol;
            out.error = "engine: " + host + " sent a malformed stream chunk";
            stop_reading = true;
            return;
        }
        if (const auto* err = json::member(doc, "error"); err != nullptr && !err->IsNull()) {
            out.fail = FailKind::Remote;
            std::string detail = upstream_detail(std::string(data), call.api_key);
            out.error = "engine: " + host + " reported an error mid-reply" + (detail.empty() ? "" : ": " + detail);
            stop_reading = true;
            return;
        }
        read_usage(doc, out);
        if (const auto* c = choice_content(doc, "delta"); c != nullptr && c->GetStringLength() > 0) {
            std::string_view chunk(c->GetString(), c->GetStringLength());
            out.content.append(chunk);
            out.any_token = true;
            watch.first_token();
            if (call.on_token) call.on_token(chunk);
        }
    };

    req.response_handler = [&](const httplib::Response& res) {
        responded = true;
        status = res.status;
        out.http_status = res.status;
        if (status < 200 || status >= 300) {
            out.retry_after_ms = retry_after_ms(res);
        } else {
            json_mode = res.get_header_value("Content-Type").find("application/json") != std::string::npos;
        }
        return true;
    };
    req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
        watch.activity();
        if (status < 200 || status >= 300 || json_mode) {
            if (raw.size() < (1u << 20)) raw.append(data, len);
            return true;
        }
        parser.feed(std::string_view(data, len), on_data);
        return !stop_reading;
    };

    auto result = cli->send(req);
    const httplib::Error err = result.error();
    if (!stop_reading && status >= 200 && status < 300 && !json_mode && err == httplib::Error::Success)
        parser.finish(on_data);
    const Watchdog::Reason why = watch.reason();

    if (out.fail != FailKind::None) return out;  // protocol / remote error from the stream
    if (done && status >= 200 && status < 300) {
        if (out.content.empty()) {
            out.fail = FailKind::Empty;
            out.error = "engine: " + host + " returned an empty reply";
        }
        return out;
    }
    if (why != Watchdog::None) {
        out.fail = why == Watchdog::Cancelled ? FailKind::Cancelled : FailKind::Timeout;
        switch (why) {
            case Watchdog::Cancelled:
                out.error = "engine: cancelled";
                break;
            case Watchdog::FirstToken:
                out.error = "engine: no reply from " + host + " within " + secs_text(call.limits.first_token);
                break;
            case Watchdog::Idle:
                out.error = "engine: " + host + " stopped sending for " + secs_text(call.limits.idle);
                break;
            default:
                out.error = "engine: no reply in time";
                break;
        }
        return out;
    }
    if (!responded) {
        out.fail = FailKind::Connect;
        if (err == httplib::Error::Read || err == httplib::Error::Write)
            out.error = "engine: " + host + " closed the connection";
        else
            out.error = connect_error_text(err, host, call.limits.connect);
        return out;
    }
    if (status < 200 || status >= 300) {
        out.fail = FailKind::Http;
        out.error = http_error_text(call.provider, host, call.model, status, raw, call.api_key);
        return out;
    }
    if (err != httplib::Error::Success) {
        out.fail = FailKind::Broken;
        out.error = "engine: the connection to " + host + " broke mid-reply";
        return out;
    }
    if (json_mode) {  // the server ignored stream:true and sent the whole completion
        auto doc = json::parse(raw);
        if (!doc || !doc->IsObject()) {
            out.fail = FailKind::Protocol;
            out.error = "engine: " + host + " sent a malformed answer";
            return out;
        }
        if (const auto* e = json::member(*doc, "error"); e != nullptr && !e->IsNull()) {
            out.fail = FailKind::Remote;
            out.error = "engine: " + host + " reported an error: " + upstream_detail(raw, call.api_key);
            return out;
        }
        read_usage(*doc, out);
        if (const auto* c = choice_content(*doc, "message"); c != nullptr && c->GetStringLength() > 0) {
            out.content.assign(c->GetString(), c->GetStringLength());
            out.any_token = true;
            if (call.on_token) call.on_token(out.content);
        }
    }
    // A stream that ended cleanly without [DONE] counts as complete.
    if (out.content.empty()) {
        out.fail = FailKind::Empty;
        out.error = "engine: " + host + " returned an empty reply";
    }
    return out;
}

// -------------------------------------------------------------- models ---

ModelsOutcome fetch_models(const ProviderInfo& provider, const std::string& api_key, milliseconds timeout) {
    ModelsOutcome out;
    const auto ep = parse_base_url(provider.base_url);
    if (!ep) {
        out.fail = FailKind::Connect;
        out.error = "engine: provider " + provider.id + " has no valid base_url";
        return out;
    }
    auto cli = make_client(*ep, std::min(timeout, milliseconds(10'000)), timeout);
    auto headers = base_headers(provider, api_key);
    headers.emplace("Accept", "application/json");
    auto res = cli->Get(ep->base_path + "/models", headers);
    if (!res) {
        out.fail = is_connect_error(res.error()) ? FailKind::Connect : FailKind::Broken;
        if (res.error() == httplib::Error::Read)
            out.error = "engine: no answer from " + ep->host + " within " + secs_text(timeout);
        else
            out.error = connect_error_text(res.error(), ep->host, std::min(timeout, milliseconds(10'000)));
        return out;
    }
    out.http_status = res->status;
    if (res->status < 200 || res->status >= 300) {
        out.fail = FailKind::Http;
        out.error = http_error_text(provider, ep->host, "", res->status, res->body, api_key);
        if (res->status == 404) out.error = "engine: " + ep->host + " has no model list (HTTP 404)";
        return out;
    }
    auto doc = json::parse(res->body);
    if (!doc || !(doc->IsObject() || doc->IsArray())) {
        out.fail = FailKind::Protocol;
        out.error = "engine: " + ep->host + " sent a malformed model list";
        return out;
    }
    out.body = std::move(res->body);
    return out;
}

}  // namespace oxios::kernel
