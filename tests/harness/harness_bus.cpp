// Mock host harness: the fake event bus (replay ring, subscriptions).
#include "harness_impl.hpp"

namespace oxios::harness {

// ---------------------------------------------------------------------------
// Host functions: event bus
// ---------------------------------------------------------------------------
oxios_status MockHost::Impl::events_subscribe(Instance* inst, oxios_event_fn fn, void* user, uint64_t* sub) {
    if (!fn) return OXIOS_E_INVALID;
    std::lock_guard<std::mutex> lock(ev_mu_);
    if (subscribe_status_ != OXIOS_OK) return subscribe_status_;
    Subscription s;
    s.id = next_sub_++;
    s.owner = inst;
    s.fn = fn;
    s.user = user;
    s.after_seq = last_seq_;
    subs_.emplace(s.id, s);
    if (sub) *sub = s.id;
    return OXIOS_OK;
}

oxios_status MockHost::Impl::events_unsubscribe(uint64_t sub) {
    std::unique_lock<std::mutex> lock(ev_mu_);
    if (subs_.erase(sub) == 0) return OXIOS_E_NOT_FOUND;
    const bool on_dispatcher = std::this_thread::get_id() == ev_thread_.get_id();
    if (!on_dispatcher) ev_cv_.wait(lock, [&] { return running_sub_ != sub; });
    return OXIOS_OK;
}

void MockHost::Impl::drop_subscriptions(Instance* owner) {
    std::unique_lock<std::mutex> lock(ev_mu_);
    for (auto it = subs_.begin(); it != subs_.end();) {
        if (it->second.owner == owner) {
            const uint64_t id = it->first;
            it = subs_.erase(it);
            if (std::this_thread::get_id() != ev_thread_.get_id())
                ev_cv_.wait(lock, [&] { return running_sub_ != id; });
            it = subs_.begin();
        } else {
            ++it;
        }
    }
}

oxios_status MockHost::Impl::events_since(uint64_t after, oxios_event_fn fn, void* user, uint64_t* missed) {
    std::vector<Event> copy;
    uint64_t lost = 0;
    {
        std::lock_guard<std::mutex> lock(ev_mu_);
        if (!ring_.empty() && ring_.front().seq > after + 1) lost = ring_.front().seq - after - 1;
        for (const auto& e : ring_)
            if (e.seq > after) copy.push_back(e);
    }
    if (missed) *missed = lost;
    if (fn)
        for (const auto& e : copy) fn(user, e.seq, e.json.data(), e.json.size());
    return OXIOS_OK;
}

oxios_status MockHost::Impl::events_publish(std::string_view type, std::string_view fields, uint64_t* seq_out) {
    if (type.empty()) return OXIOS_E_INVALID;
    rapidjson::Document f;
    if (!fields.empty()) {
        f.Parse(fields.data(), fields.size());
        if (f.HasParseError() || !f.IsObject()) return OXIOS_E_INVALID;
    } else {
        f.SetObject();
    }
    rapidjson::Document d;
    auto& a = d.GetAllocator();
    d.SetObject();
    d.AddMember("id", jstr(detail::uuid_v4(), a), a);
    d.AddMember("timestamp", jstr(detail::rfc3339_us(now_us()), a), a);
    d.AddMember("type", jstr(type, a), a);
    for (auto& m : f.GetObject()) {
        const std::string_view n(m.name.GetString(), m.name.GetStringLength());
        if (n == "id" || n == "timestamp" || n == "type") continue;
        d.AddMember(rapidjson::Value(m.name, a), rapidjson::Value(m.value, a), a);
    }
    std::string json = to_json(d);
    {
        std::lock_guard<std::mutex> lock(ev_mu_);
        const uint64_t seq = ++last_seq_;
        ring_.push_back(Event{seq, json});
        while (ring_.size() > kEventRing) ring_.pop_front();
        pending_.push_back(Event{seq, std::move(json)});
        if (seq_out) *seq_out = seq;
    }
    ev_cv_.notify_all();
    return OXIOS_OK;
}

void MockHost::Impl::event_loop() {
    std::unique_lock<std::mutex> lock(ev_mu_);
    for (;;) {
        ev_cv_.wait(lock, [&] { return ev_stop_ || !pending_.empty(); });
        if (ev_stop_) return;
        const Event e = std::move(pending_.front());
        pending_.pop_front();
        // Subscribers in id order; each one sees events one at a time, in seq order.
        uint64_t after_id = 0;
        for (;;) {
            auto it = subs_.upper_bound(after_id);
            while (it != subs_.end() && it->second.after_seq >= e.seq) ++it;
            if (it == subs_.end()) break;
            const Subscription s = it->second;
            after_id = s.id;
            Instance* owner = s.owner;
            if (!owner || !owner->enter()) continue;
            running_sub_ = s.id;
            lock.unlock();
            try {
                s.fn(s.user, e.seq, e.json.data(), e.json.size());
            } catch (...) {
            }
            owner->leave();
            lock.lock();
            running_sub_ = 0;
            ev_cv_.notify_all();
        }
    }
}

// ---------------------------------------------------------------------------
// Public interface: events
// ---------------------------------------------------------------------------
uint64_t MockHost::publish_event(const std::string& type, const std::string& fields_json) {
    uint64_t seq = 0;
    const oxios_status st = impl_->events_publish(type, fields_json, &seq);
    if (st != OXIOS_OK) throw std::invalid_argument("publish_event: empty type or fields not a JSON object");
    return seq;
}

void MockHost::set_events_subscribe_status(oxios_status status) {
    std::lock_guard<std::mutex> lock(impl_->ev_mu_);
    impl_->subscribe_status_ = status;
}

size_t MockHost::event_subscriptions() const {
    std::lock_guard<std::mutex> lock(impl_->ev_mu_);
    return impl_->subs_.size();
}

}  // namespace oxios::harness
