// Mock host harness: the fake gateway (scripted replies, deliveries).
#include "harness_impl.hpp"

namespace oxios::harness {

// ---------------------------------------------------------------------------
// Host functions: gateway
// ---------------------------------------------------------------------------
bool MockHost::Impl::copy_message(const oxios_chat_message* msg, ChatMessage& out) const {
    if (!msg || msg->size < offsetof(oxios_chat_message, space_id) + sizeof(oxios_str)) return false;
    out.id.assign(view(msg->id));
    out.content.assign(view(msg->content));
    out.user_id.assign(view(msg->user_id));
    out.session_id.assign(view(msg->session_id));
    out.space_id.assign(view(msg->space_id));
    out.connection = OXIOS_HAS(msg, oxios_chat_message, connection) ? msg->connection : 0;
    return true;
}

GatewayReply MockHost::Impl::script_reply(const ChatMessage& m) {
    std::function<GatewayReply(const ChatMessage&)> fn;
    {
        std::lock_guard<std::mutex> lock(mu_);
        fn = gateway_fn_;
    }
    GatewayReply r;
    if (fn) {
        try {
            r = fn(m);
        } catch (const std::exception& e) {
            r = GatewayReply{};
            r.error = OXIOS_E_INTERNAL;
            r.error_text = std::string("gateway script threw: ") + e.what();
        }
    }
    if (r.content.empty() && r.error == OXIOS_OK) r.content = "echo: " + m.content;
    if (r.session_id.empty()) r.session_id = m.session_id.empty() ? detail::uuid_v4() : m.session_id;
    if (r.space_id.empty()) r.space_id = m.space_id;
    return r;
}

namespace {
oxios_chat_message abi_message(const ChatMessage& m) {
    oxios_chat_message c{};
    c.size = sizeof(oxios_chat_message);
    c.id = str(m.id);
    c.content = str(m.content);
    c.user_id = str(m.user_id);
    c.session_id = str(m.session_id);
    c.space_id = str(m.space_id);
    c.connection = m.connection;
    return c;
}

oxios_delivery abi_delivery(const oxios_chat_message* msg, const GatewayReply& r, uint32_t kind,
                            const std::string& content, uint64_t duration_ms) {
    oxios_delivery d{};
    d.size = sizeof(oxios_delivery);
    d.kind = kind;
    d.message = msg;
    d.content = str(content);
    d.session_id = str(r.session_id);
    d.space_id = str(r.space_id);
    d.phase = str(r.phase);
    d.seed_id = str(r.seed_id);
    d.space_tag = str(r.space_tag);
    d.evaluation_passed = r.evaluation_passed;
    d.error = kind == OXIOS_DELIVERY_ERROR ? r.error : OXIOS_OK;
    d.duration_ms = duration_ms;
    d.prompt_tokens = -1;
    d.completion_tokens = -1;
    return d;
}
}  // namespace

void MockHost::Impl::deliver(const std::shared_ptr<ChatMessage>& msg, const GatewayReply& reply, uint32_t kind,
                             const std::string& content, uint64_t duration_ms) {
    Flight f;
    {
        std::lock_guard<std::mutex> lock(mu_);
        f = Flight(current_);  // whichever instance is current now
    }
    if (!f) {
        log(nullptr, OXIOS_LOG_WARN, "gateway delivery for message '" + msg->id + "' dropped: no plugin loaded");
        return;
    }
    if (!f->api->deliver) return;
    const oxios_chat_message m = abi_message(*msg);
    const oxios_delivery d = abi_delivery(&m, reply, kind, content, duration_ms);
    try {
        f->api->deliver(f->self, &d);
    } catch (...) {
        log(f.get().get(), OXIOS_LOG_ERROR, "deliver threw across the ABI");
    }
}

oxios_status MockHost::Impl::gateway_submit(const oxios_chat_message* msg) {
    auto m = std::make_shared<ChatMessage>();
    if (!copy_message(msg, *m)) return OXIOS_E_INVALID;
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (gateway_busy_) return OXIOS_E_BUSY;
        gateway_messages_.push_back(*m);
    }
    auto reply = std::make_shared<const GatewayReply>(script_reply(*m));
    if (reply->never) return OXIOS_OK;
    const auto now = Clock::now();
    for (const auto& t : reply->tokens)
        scheduler_.post_at(now, [this, m, reply, t] { deliver(m, *reply, OXIOS_DELIVERY_TOKEN, t, 0); });
    const auto ms = static_cast<uint64_t>(reply->delay.count());
    scheduler_.post_at(now + reply->delay, [this, m, reply, ms] {
        if (reply->error != OXIOS_OK)
            deliver(m, *reply, OXIOS_DELIVERY_ERROR, reply->error_text, ms);
        else
            deliver(m, *reply, OXIOS_DELIVERY_REPLY, reply->content, ms);
    });
    return OXIOS_OK;
}

oxios_status MockHost::Impl::gateway_call(const oxios_chat_message* msg, uint32_t timeout_ms, oxios_delivery_fn fn,
                                          void* user) {
    ChatMessage m;
    if (!copy_message(msg, m)) return OXIOS_E_INVALID;
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (gateway_busy_) return OXIOS_E_BUSY;
        gateway_messages_.push_back(m);
    }
    if (timeout_ms == 0) {
        int64_t secs = 120;
        std::string v;
        if (config_get("gateway.reply_timeout_secs", v) == OXIOS_OK) {
            rapidjson::Document d;
            d.Parse(v.c_str());
            if (!d.HasParseError() && d.IsNumber() && d.GetDouble() > 0) secs = static_cast<int64_t>(d.GetDouble());
        }
        timeout_ms = static_cast<uint32_t>(std::min<int64_t>(secs * 1000, UINT32_MAX));
    }
    const GatewayReply reply = script_reply(m);
    const auto timeout = std::chrono::milliseconds(timeout_ms);
    const bool times_out = reply.never || reply.delay > timeout;
    {
        std::unique_lock<std::mutex> lock(sleep_mu_);
        sleep_cv_.wait_for(lock, times_out ? timeout : reply.delay, [&] { return shutting_down_; });
        if (shutting_down_ && !times_out) return OXIOS_E_TIMEOUT;
    }
    if (times_out) return OXIOS_E_TIMEOUT;
    const oxios_chat_message am = abi_message(m);
    const bool failed = reply.error != OXIOS_OK;
    const std::string& content = failed ? reply.error_text : reply.content;
    const oxios_delivery d = abi_delivery(&am, reply, failed ? OXIOS_DELIVERY_ERROR : OXIOS_DELIVERY_REPLY, content,
                                          static_cast<uint64_t>(reply.delay.count()));
    if (fn) fn(user, &d);
    return failed ? reply.error : OXIOS_OK;
}

// ---------------------------------------------------------------------------
// Public interface: gateway script
// ---------------------------------------------------------------------------
void MockHost::set_gateway(std::function<GatewayReply(const ChatMessage&)> fn) {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    impl_->gateway_fn_ = std::move(fn);
}

void MockHost::set_gateway_busy(bool busy) {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    impl_->gateway_busy_ = busy;
}

std::vector<ChatMessage> MockHost::gateway_messages() const {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    return impl_->gateway_messages_;
}

}  // namespace oxios::harness
