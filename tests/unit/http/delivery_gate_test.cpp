// The gate that holds gateway deliveries back while a plugin's state is
// handed over (host/plugins/delivery_gate.hpp).
#include "plugins/delivery_gate.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

using oxios::plugins::DeliveryGate;
using namespace std::chrono_literals;

TEST_CASE("delivery gate: closing waits for deliveries in flight; none starts until it opens") {
    DeliveryGate gate;
    std::atomic<bool> delivering{false}, delivered{false}, closed{false}, late_ran{false};
    std::thread in_flight([&] {
        DeliveryGate::Pass pass(gate);
        delivering = true;
        std::this_thread::sleep_for(150ms);
        delivered = true;
    });
    while (!delivering) std::this_thread::sleep_for(1ms);
    std::thread late;
    {
        DeliveryGate::Closed hold(gate, true);
        closed = true;
        CHECK(delivered);  // the hand-over starts only after the delivery in flight ended
        late = std::thread([&] {
            DeliveryGate::Pass pass(gate);
            CHECK_FALSE(closed.load());  // it waited for the gate to open
            late_ran = true;
        });
        std::this_thread::sleep_for(100ms);
        CHECK_FALSE(late_ran.load());
        closed = false;
    }
    late.join();
    in_flight.join();
    CHECK(late_ran);
}

TEST_CASE("delivery gate: not closing (a first load) holds nothing back") {
    DeliveryGate gate;
    DeliveryGate::Closed hold(gate, false);
    std::atomic<bool> ran{false};
    std::thread t([&] {
        DeliveryGate::Pass pass(gate);
        ran = true;
    });
    t.join();
    CHECK(ran);
}
