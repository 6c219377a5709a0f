#include "fake_openai.hpp"

#include <httplib.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <stdexcept>

namespace oxios::fake {

namespace {

std::string to_json(const rapidjson::Value& v) {
    rapidjson::StringBuffer b;
    rapidjson::Writer<rapidjson::StringBuffer> w(b);
    v.Accept(w);
    return std::string(b.GetString(), b.GetSize());
}

std::string data_line(const rapidjson::Value& v) { return "data: " + to_json(v) + "\n\n"; }

rapidjson::Value str(std::string_view s, rapidjson::Document::AllocatorType& a) {
    return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

}  // namespace

std::string sse_delta(std::string_view content) {
    rapidjson::Document d(rapidjson::kObjectType);
    auto& a = d.GetAllocator();
    d.AddMember("id", "chatcmpl-fake", a);
    d.AddMember("object", "chat.completion.chunk", a);
    rapidjson::Value delta(rapidjson::kObjectType);
    delta.AddMember("content", str(content, a), a);
    rapidjson::Value choice(rapidjson::kObjectType);
    choice.AddMember("index", 0, a);
    choice.AddMember("delta", delta, a);
    choice.AddMember("finish_reason", rapidjson::Value(rapidjson::kNullType), a);
    rapidjson::Value choices(rapidjson::kArrayType);
    choices.PushBack(choice, a);
    d.AddMember("choices", choices, a);
    return data_line(d);
}

std::string sse_usage(int64_t prompt, int64_t completion) {
    rapidjson::Document d(rapidjson::kObjectType);
    auto& a = d.GetAllocator();
    d.AddMember("id", "chatcmpl-fake", a);
    d.AddMember("choices", rapidjson::Value(rapidjson::kArrayType), a);
    rapidjson::Value usage(rapidjson::kObjectType);
    usage.AddMember("prompt_tokens", prompt, a);
    usage.AddMember("completion_tokens", completion, a);
    usage.AddMember("total_tokens", prompt + completion, a);
    d.AddMember("usage", usage, a);
    return data_line(d);
}

std::string sse_error(std::string_view message) {
    rapidjson::Document d(rapidjson::kObjectType);
    auto& a = d.GetAllocator();
    rapidjson::Value e(rapidjson::kObjectType);
    e.AddMember("message", str(message, a), a);
    e.AddMember("type", "server_error", a);
    d.AddMember("error", e, a);
    return data_line(d);
}

std::string sse_done() { return "data: [DONE]\n\n"; }

Reply stream_of(const std::vector<std::string>& tokens, int64_t prompt, int64_t completion) {
    Reply r;
    for (const auto& t : tokens) r.chunks.push_back(sse_delta(t));
    r.chunks.push_back(sse_usage(prompt, completion));
    r.chunks.push_back(sse_done());
    return r;
}

std::string last_user_content(std::string_view request_body) {
    rapidjson::Document d;
    d.Parse(request_body.data(), request_body.size());
    if (d.HasParseError() || !d.IsObject() || !d.HasMember("messages") || !d["messages"].IsArray()) return {};
    std::string last;
    for (const auto& m : d["messages"].GetArray()) {
        if (!m.IsObject() || !m.HasMember("role") || !m["role"].IsString() || !m.HasMember("content") ||
            !m["content"].IsString())
            continue;
        if (std::string_view(m["role"].GetString()) == "user")
            last.assign(m["content"].GetString(), m["content"].GetStringLength());
    }
    return last;
}

Reply error_reply(int status, std::string_view message) {
    rapidjson::Document d(rapidjson::kObjectType);
    auto& a = d.GetAllocator();
    rapidjson::Value e(rapidjson::kObjectType);
    e.AddMember("message", str(message, a), a);
    e.AddMember("type", "invalid_request_error", a);
    d.AddMember("error", e, a);
    Reply r;
    r.status = status;
    r.body = to_json(d);
    return r;
}

FakeOpenAI::FakeOpenAI(int threads) : server_(std::make_unique<httplib::Server>()) {
    if (threads > 0)
        server_->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
    default_ = stream_of({"Hello", " world"});
    {
        rapidjson::Document d(rapidjson::kObjectType);
        auto& a = d.GetAllocator();
        rapidjson::Value list(rapidjson::kArrayType);
        rapidjson::Value m(rapidjson::kObjectType);
        m.AddMember("id", "test-model", a);
        m.AddMember("object", "model", a);
        list.PushBack(m, a);
        d.AddMember("object", "list", a);
        d.AddMember("data", list, a);
        models_body_ = to_json(d);
    }
    auto record = [this](const httplib::Request& req) {
        Recorded r;
        r.method = req.method;
        r.path = req.path;
        r.body = req.body;
        for (const auto& [k, v] : req.headers) {
            std::string name = k;
            std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
            r.headers[name] = v;
        }
        r.at = std::chrono::steady_clock::now();
        std::lock_guard lock(mutex_);
        requests_.push_back(std::move(r));
    };
    server_->Post("/v1/chat/completions", [this, record](const httplib::Request& req, httplib::Response& res) {
        record(req);
        Reply reply;
        {
            std::lock_guard lock(mutex_);
            if (!queue_.empty()) {
                reply = std::move(queue_.front());
                queue_.pop_front();
            } else {
                reply = default_;
            }
        }
        if (reply.echo_user && !reply.chunks.empty())
            reply.chunks.insert(reply.chunks.begin(), sse_delta(last_user_content(req.body) + " "));
        serve_chat(std::move(reply), &res);
    });
    server_->Get("/v1/models", [this, record](const httplib::Request& req, httplib::Response& res) {
        record(req);
        std::lock_guard lock(mutex_);
        if (!required_key_.empty() && req.get_header_value("Authorization") != "Bearer " + required_key_) {
            std::string got = req.get_header_value("Authorization");
            if (got.rfind("Bearer ", 0) == 0) got = got.substr(7);
            Reply r = error_reply(401, "Incorrect API key provided: " + got);
            res.status = 401;
            res.set_content(r.body, "application/json");
            return;
        }
        res.status = models_status_;
        res.set_content(models_body_, "application/json");
    });
    port_ = server_->bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("fake openai: cannot bind");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    for (int i = 0; i < 500 && !server_->is_running(); ++i) std::this_thread::sleep_for(Ms(2));
}

FakeOpenAI::~FakeOpenAI() { stop(); }

void FakeOpenAI::stop() {
    stopping_ = true;
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
}

std::string FakeOpenAI::base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }

void FakeOpenAI::push(Reply reply) {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(reply));
}

void FakeOpenAI::set_default(Reply reply) {
    std::lock_guard lock(mutex_);
    default_ = std::move(reply);
}

void FakeOpenAI::set_chunk_observer(ChunkObserver observer) {
    std::lock_guard lock(mutex_);
    observer_ = std::move(observer);
}

void FakeOpenAI::set_models(int status, std::string body) {
    std::lock_guard lock(mutex_);
    models_status_ = status;
    models_body_ = std::move(body);
}

void FakeOpenAI::require_key(std::string key) {
    std::lock_guard lock(mutex_);
    required_key_ = std::move(key);
}

std::vector<Recorded> FakeOpenAI::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

std::vector<Recorded> FakeOpenAI::chat_requests() const {
    std::vector<Recorded> out;
    for (auto& r : requests())
        if (r.path == "/v1/chat/completions") out.push_back(r);
    return out;
}

TimePoint FakeOpenAI::last_chunk_at() const {
    std::lock_guard lock(mutex_);
    return last_chunk_at_;
}

TimePoint FakeOpenAI::aborted_at() const {
    std::lock_guard lock(mutex_);
    return aborted_at_;
}

bool FakeOpenAI::wait_aborted(int n, Ms timeout) const {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
        if (aborted_.load() >= n) return true;
        std::this_thread::sleep_for(Ms(2));
    }
    return aborted_.load() >= n;
}

bool FakeOpenAI::sleep_for(Ms d) const {
    const auto end = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < end) {
        if (stopping_.load()) return false;
        std::this_thread::sleep_for(
            std::min<std::chrono::steady_clock::duration>(Ms(5), end - std::chrono::steady_clock::now()));
    }
    return !stopping_.load();
}

void FakeOpenAI::serve_chat(Reply reply, void* res_ptr) {
    auto& res = *static_cast<httplib::Response*>(res_ptr);
    res.status = reply.status;
    for (const auto& [k, v] : reply.headers) res.set_header(k, v);
    if (reply.chunks.empty()) {
        res.set_content(reply.body, reply.content_type.empty() ? "application/json" : reply.content_type);
        return;
    }
    const int stream = started_.fetch_add(1);
    ChunkObserver observer;
    {
        std::lock_guard lock(mutex_);
        observer = observer_;
    }
    auto script = std::make_shared<Reply>(std::move(reply));
    const std::string type = script->content_type.empty() ? "text/event-stream" : script->content_type;
    res.set_chunked_content_provider(type, [this, script, stream, observer](size_t, httplib::DataSink& sink) {
        auto failed = [this] {
            ++aborted_;
            std::lock_guard lock(mutex_);
            aborted_at_ = std::chrono::steady_clock::now();
            return false;
        };
        if (!sleep_for(script->first_delay)) return false;
        for (size_t i = 0; i < script->chunks.size(); ++i) {
            if (i > 0 && !sleep_for(script->chunk_delay)) return false;
            const std::string& c = script->chunks[i];
            timespec ts{};
            if (observer) clock_gettime(CLOCK_MONOTONIC, &ts);
            if (!sink.write(c.data(), c.size())) return failed();
            if (observer)
                observer(stream, i, script->chunks.size(), static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec);
            std::lock_guard lock(mutex_);
            last_chunk_at_ = std::chrono::steady_clock::now();
        }
        if (script->disconnect) return false;
        while (script->hang) {
            if (!sleep_for(Ms(50))) return false;
            static const std::string ping = ": ping\n\n";
            if (!sink.write(ping.data(), ping.size())) return failed();
        }
        sink.done();
        return true;
    });
}

}  // namespace oxios::fake
