#include "engines/openai_hub.hpp"

#include "config/config.hpp"
#include "infra/json_util.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

namespace oxios::kernel {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

std::mutex g_log_mutex;
std::function<void(std::string_view)> g_log;

void log_line(std::string_view line) {
    std::function<void(std::string_view)> fn;
    {
        std::lock_guard lock(g_log_mutex);
        fn = g_log;
    }
    if (fn) {
        fn(line);
        return;
    }
    std::fprintf(stderr, "oxios: %.*s\n", static_cast<int>(line.size()), line.data());
}

bool is_echo(const std::string& model) { return model.empty() || model == "echo"; }

milliseconds config_ms(const Config& c, std::string_view key, int64_t fallback) {
    const int64_t v = c.get_int(key, fallback);
    return milliseconds(v > 0 ? v : fallback);
}

bool retriable(const ChatOutcome& o) {
    if (o.fail == FailKind::Connect) return true;
    if (o.fail == FailKind::Http) return o.http_status == 429 || o.http_status >= 500;
    return false;
}

// Sleeps up to `d`, waking early on cancellation; false when cancelled.
bool pause(milliseconds d, const EngineRequest& req, const std::atomic<bool>& aborting) {
    const auto end = Clock::now() + d;
    while (Clock::now() < end) {
        if (req.is_cancelled() || aborting.load()) return false;
        std::this_thread::sleep_for(std::min<Clock::duration>(milliseconds(20), end - Clock::now()));
    }
    return !(req.is_cancelled() || aborting.load());
}

}  // namespace

void set_engine_log(std::function<void(std::string_view)> fn) {
    std::lock_guard lock(g_log_mutex);
    g_log = std::move(fn);
}

std::string compose_system_prompt(std::string_view engine_prompt, std::string_view persona_prompt) {
    std::string out(engine_prompt);
    if (!out.empty() && !persona_prompt.empty()) out += "\n\n";
    out += persona_prompt;
    return out;
}

EngineHub::EngineHub(const Config& config, EngineServices services) : config_(config), services_(std::move(services)) {}

std::string EngineHub::name() const { return is_echo(config_.get_string("engine.default_model")) ? "echo" : "openai"; }

std::string EngineHub::request_body(const ProviderInfo& provider, const std::string& model,
                                    const EngineRequest& request) const {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    auto message = [&w](const char* role, std::string_view content) {
        w.StartObject();
        w.Key("role");
        w.String(role);
        w.Key("content");
        w.String(content.data(), static_cast<rapidjson::SizeType>(content.size()));
        w.EndObject();
    };
    w.StartObject();
    w.Key("model");
    w.String(model.c_str(), static_cast<rapidjson::SizeType>(model.size()));
    w.Key("stream");
    w.Bool(true);
    if (provider.stream_usage) {
        w.Key("stream_options");
        w.StartObject();
        w.Key("include_usage");
        w.Bool(true);
        w.EndObject();
    }
    if (const int64_t max_tokens = config_.get_int("engine.max_tokens", -1); max_tokens > 0) {
        w.Key("max_tokens");
        w.Int64(max_tokens);
    }
    if (auto t = config_.get("engine.temperature")) {
        if (auto doc = json::parse(*t); doc && doc->IsNumber()) {
            w.Key("temperature");
            w.Double(doc->GetDouble());
        }
    }
    w.Key("messages");
    w.StartArray();
    const std::string system = compose_system_prompt(config_.get_string("engine.system_prompt"),
                                                     services_.persona_prompt ? services_.persona_prompt() : "");
    if (!system.empty()) message("system", system);
    const int64_t keep = config_.get_int("engine.history_messages", 20);
    if (keep > 0 && services_.load_session && !request.session_id.empty()) {
        Result r = services_.load_session(request.session_id);
        std::optional<rapidjson::Document> doc;
        if (r.ok()) doc = json::parse(r.body);
        if (doc && doc->IsObject()) {
            const auto* users = json::member(*doc, "user_messages");
            const auto* agents = json::member(*doc, "agent_responses");
            if (users != nullptr && agents != nullptr && users->IsArray() && agents->IsArray()) {
                const size_t n = std::min(users->Size(), agents->Size());
                const size_t from = n > static_cast<size_t>(keep) ? n - static_cast<size_t>(keep) : 0;
                for (size_t i = from; i < n; ++i) {
                    const auto& u = (*users)[static_cast<rapidjson::SizeType>(i)];
                    const auto& a = (*agents)[static_cast<rapidjson::SizeType>(i)];
                    message("user", json::get_string(u, "content"));
                    message("assistant", json::get_string(a, "content"));
                }
            }
        }
    }
    message("user", request.message->content);
    w.EndArray();
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize());
}

EngineReply EngineHub::run(const EngineRequest& request) {
    const std::string model = config_.get_string("engine.default_model");
    if (is_echo(model)) return echo_.run(request);
    return run_openai(request, model);
}

EngineReply EngineHub::run_openai(const EngineRequest& request, const std::string& primary) {
    const auto started = Clock::now();
    const auto deadline =
        started + std::chrono::seconds(std::max<int64_t>(config_.get_int("gateway.reply_timeout_secs", 120), 1));
    CallLimits limits;
    limits.connect = config_ms(config_, "engine.connect_timeout_ms", 10'000);
    limits.first_token = config_ms(config_, "engine.first_token_timeout_ms", 60'000);
    limits.idle = config_ms(config_, "engine.idle_timeout_ms", 30'000);
    limits.deadline = deadline;
    const int64_t max_retries = std::clamp<int64_t>(config_.get_int("engine.max_retries", 2), 0, 10);
    const milliseconds backoff = config_ms(config_, "engine.retry_backoff_ms", 500);

    std::vector<std::string> models{primary};
    for (auto& m : config_.get_strings("engine.fallback_models"))
        if (!m.empty() && std::find(models.begin(), models.end(), m) == models.end()) models.push_back(m);

    EngineReply reply;
    bool success = false;
    Status first_status = OXIOS_OK;
    std::string first_error, used_model = primary;
    std::vector<std::string> tried_fallbacks;
    int retries = 0;

    for (size_t mi = 0; mi < models.size(); ++mi) {
        const std::string& model = models[mi];
        used_model = model;
        if (mi > 0) tried_fallbacks.push_back(model);
        if (request.is_cancelled() || aborting_) break;
        ChatOutcome outcome;
        Status status = OXIOS_E_UPSTREAM;
        if (is_echo(model)) {
            EngineReply echo = echo_.run(request);
            if (echo.status == OXIOS_OK) {
                reply = std::move(echo);
                success = true;
                break;
            }
            outcome.error = "engine: " + echo.error;
        } else if (auto ref = parse_model_ref(model); !ref) {
            outcome.error = "engine: engine.default_model \"" + model + "\" is not of the form provider/model";
        } else if (auto provider = find_provider(config_, ref->provider); !provider) {
            outcome.error = "engine: unknown provider \"" + ref->provider + "\" (model \"" + model + "\")";
        } else {
            ChatCall call;
            call.provider = *provider;
            call.model = ref->model;
            call.api_key = resolve_key(config_, *provider).key;
            call.body = request_body(*provider, ref->model, request);
            call.limits = limits;
            call.cancelled = request.cancelled;
            call.abort_all = &aborting_;
            call.on_token = [&request](std::string_view chunk) {
                if (request.emit_token) request.emit_token(chunk);
            };
            for (int attempt = 0;; ++attempt) {
                outcome = stream_chat(call);
                if (outcome.ok() || outcome.any_token || outcome.fail == FailKind::Cancelled) break;
                if (!retriable(outcome) || attempt >= max_retries) break;
                milliseconds wait = backoff * (1LL << std::min(attempt, 6));
                if (outcome.retry_after_ms >= 0) wait = milliseconds(outcome.retry_after_ms);
                wait = std::min(wait, milliseconds(30'000));
                if (Clock::now() + wait >= deadline) break;
                log_line(outcome.error + "; retrying in " + std::to_string(wait.count()) + " ms");
                ++retries;
                if (!pause(wait, request, aborting_)) {
                    outcome.fail = FailKind::Cancelled;
                    outcome.error = "engine: cancelled";
                    break;
                }
            }
            if (outcome.ok()) {
                reply.content = std::move(outcome.content);
                reply.phase = "execute";
                reply.evaluation_passed = -1;
                reply.prompt_tokens = outcome.prompt_tokens;
                reply.completion_tokens = outcome.completion_tokens;
                reply.model = model;
                if (auto info = catalog_.cached_model(*provider, call.api_key, ref->model)) {
                    reply.cost_input = info->cost_input;
                    reply.cost_output = info->cost_output;
                }
                success = true;
                break;
            }
            status = outcome.fail == FailKind::Timeout ? OXIOS_E_TIMEOUT : OXIOS_E_UPSTREAM;
        }
        if (first_error.empty()) {
            first_status = status;
            first_error = outcome.error;
        }
        log_line(outcome.error + " (model " + model + ")");
        // No fallback once tokens went out, after a cancel, or past the deadline.
        if (outcome.any_token || outcome.fail == FailKind::Cancelled || Clock::now() >= deadline) break;
    }

    if (!success) {
        reply = EngineReply{};
        reply.status = first_status == OXIOS_OK ? OXIOS_E_UPSTREAM : first_status;
        reply.error = first_error.empty() ? std::string("engine: cancelled") : first_error;
        if (!tried_fallbacks.empty()) {
            std::string list;
            for (auto& m : tried_fallbacks) list += (list.empty() ? "" : ", ") + m;
            reply.error += " (fallbacks failed too: " + list + ")";
        }
    }
    note(used_model, reply, retries, static_cast<int>(tried_fallbacks.size()));
    return reply;
}

void EngineHub::note(const std::string& model, const EngineReply& reply, int retries, int fallbacks) {
    std::lock_guard lock(stats_mutex_);
    ++requests_;
    last_model_ = model;
    retries_ += static_cast<uint64_t>(retries);
    fallbacks_ += static_cast<uint64_t>(fallbacks);
    if (reply.status != OXIOS_OK) {
        ++failures_;
        last_error_ = reply.error;
    }
    if (reply.prompt_tokens > 0) prompt_tokens_ += static_cast<uint64_t>(reply.prompt_tokens);
    if (reply.completion_tokens > 0) completion_tokens_ += static_cast<uint64_t>(reply.completion_tokens);
}

void EngineHub::status(rapidjson::Value& out, rapidjson::Document::AllocatorType& a) const {
    const std::string configured = config_.get_string("engine.default_model");
    std::lock_guard lock(stats_mutex_);
    out.AddMember(
        "model",
        json::str(is_echo(configured) ? std::string("echo") : (last_model_.empty() ? configured : last_model_), a), a);
    if (last_error_.empty())
        out.AddMember("last_error", rapidjson::Value(rapidjson::kNullType), a);
    else
        out.AddMember("last_error", json::str(last_error_, a), a);
    out.AddMember("requests", requests_, a);
    out.AddMember("failures", failures_, a);
    out.AddMember("retries", retries_, a);
    out.AddMember("fallbacks", fallbacks_, a);
    out.AddMember("prompt_tokens", prompt_tokens_, a);
    out.AddMember("completion_tokens", completion_tokens_, a);
}

uint64_t EngineHub::tokens_used() const {
    std::lock_guard lock(stats_mutex_);
    return prompt_tokens_ + completion_tokens_;
}

std::string EngineHub::metrics_text() const {
    std::lock_guard lock(stats_mutex_);
    std::string out;
    auto metric = [&out](const char* name, const char* help, uint64_t v) {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" + name + " " +
               std::to_string(v) + "\n";
    };
    metric("oxios_engine_requests_total", "Chat messages served by a model engine.", requests_);
    metric("oxios_engine_failures_total", "Model engine requests that failed.", failures_);
    metric("oxios_engine_retries_total", "Retries of model engine calls.", retries_);
    metric("oxios_engine_fallbacks_total", "Fallback models tried.", fallbacks_);
    metric("oxios_engine_prompt_tokens_total", "Prompt tokens reported by providers.", prompt_tokens_);
    metric("oxios_engine_completion_tokens_total", "Completion tokens reported by providers.", completion_tokens_);
    return out;
}

}  // namespace oxios::kernel
