// Holds gateway deliveries back while a plugin's state is handed over: what
// an instance framed after its export_state() would be missing from the
// hand-over (a token streamed to the old instance there made the new one send
// the whole reply again). Deliveries pass concurrently; closing waits for
// those in flight, and new ones wait until it opens (a closer is never starved).
#pragma once

#include <condition_variable>
#include <mutex>

namespace oxios::plugins {

class DeliveryGate {
public:
    // One delivery, in flight while it lives.
    class Pass {
    public:
        explicit Pass(DeliveryGate& gate) : gate_(gate) {
            std::unique_lock lock(gate_.mutex_);
            gate_.cv_.wait(lock, [&] { return !gate_.closed_; });
            ++gate_.in_flight_;
        }
        ~Pass() {
            std::lock_guard lock(gate_.mutex_);
            if (--gate_.in_flight_ == 0) gate_.cv_.notify_all();
        }
        Pass(const Pass&) = delete;
        Pass& operator=(const Pass&) = delete;

    private:
        DeliveryGate& gate_;
    };

    // Closed while it lives (when `close` is true): no delivery runs meanwhile.
    class Closed {
    public:
        Closed(DeliveryGate& gate, bool close) : gate_(close ? &gate : nullptr) {
            if (gate_ == nullptr) return;
            std::unique_lock lock(gate_->mutex_);
            gate_->cv_.wait(lock, [&] { return !gate_->closed_; });  // one closer at a time
            gate_->closed_ = true;
            gate_->cv_.wait(lock, [&] { return gate_->in_flight_ == 0; });
        }
        ~Closed() {
            if (gate_ == nullptr) return;
            std::lock_guard lock(gate_->mutex_);
            gate_->closed_ = false;
            gate_->cv_.notify_all();
        }
        Closed(const Closed&) = delete;
        Closed& operator=(const Closed&) = delete;

    private:
        DeliveryGate* gate_;
    };

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool closed_ = false;
    int in_flight_ = 0;
};

}  // namespace oxios::plugins
