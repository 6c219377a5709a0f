// Mock host harness: security and the long-tail call (scripted), records.
// See mock_host.hpp for the interface, harness_impl.hpp for how it is split.
#include "harness_impl.hpp"

namespace oxios::harness {

// ---------------------------------------------------------------------------
// Host functions: security, long tail
// ---------------------------------------------------------------------------
oxios_status MockHost::Impl::token_check(std::string_view token) {
    std::vector<std::string> tokens;
    {
        std::lock_guard<std::mutex> lock(mu_);
        tokens = tokens_;
    }
    bool ok = false;
    for (const auto& t : tokens) {
        const bool eq = !t.empty() && detail::constant_time_equal(t, token);
        ok = ok || eq;  // no early exit: every configured token is compared
    }
    return (ok && !token.empty()) ? OXIOS_OK : OXIOS_E_DENIED;
}

oxios_status MockHost::Impl::call(std::string_view method, std::string_view json_in, std::string& out) {
    CallFn fn;
    {
        std::lock_guard<std::mutex> lock(mu_);
        calls_.emplace_back(std::string(method), std::string(json_in));
        if (auto it = call_fns_.find(std::string(method)); it != call_fns_.end()) fn = it->second;
    }
    if (!fn) {
        out = detail::json_error("unsupported method: " + std::string(method));
        return OXIOS_E_UNSUPPORTED;
    }
    try {
        auto [st, json] = fn(std::string(json_in));
        out = std::move(json);
        return st;
    } catch (const std::exception& e) {
        out = detail::json_error(e.what());
        return OXIOS_E_INTERNAL;
    }
}

// ---------------------------------------------------------------------------
// Public interface: scripts and records
// ---------------------------------------------------------------------------
void MockHost::set_tokens(std::vector<std::string> tokens) {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    impl_->tokens_ = std::move(tokens);
}

void MockHost::set_now_us(std::optional<int64_t> now) {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    impl_->now_ = now;
}

void MockHost::set_call(const std::string& method, CallFn fn) {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    if (fn)
        impl_->call_fns_[method] = std::move(fn);
    else
        impl_->call_fns_.erase(method);
}

std::vector<std::pair<std::string, std::string>> MockHost::calls() const {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    return impl_->calls_;
}

std::vector<LogLine> MockHost::logs() const {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    return impl_->logs_;
}

void MockHost::clear_records() {
    {
        std::lock_guard<std::mutex> lock(impl_->mu_);
        impl_->calls_.clear();
        impl_->logs_.clear();
        impl_->gateway_messages_.clear();
    }
    std::lock_guard<std::mutex> lock(impl_->conn_mu_);
    for (auto it = impl_->conns_.begin(); it != impl_->conns_.end();)
        it = it->second->open ? std::next(it) : impl_->conns_.erase(it);
}

}  // namespace oxios::harness
