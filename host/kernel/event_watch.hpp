// ServiceContext::on_event over an EventBus: a subscription per watcher that
// parses each event once and passes those of the wanted types (and "lagged")
// to the watcher; unsubscribed when the registry stops.
#pragma once

#include "event_bus.hpp"
#include "services/service_registry.hpp"

namespace oxios::kernel {

decltype(ServiceContext::on_event) watch_events(EventBus& bus, ServiceRegistry& registry);

}  // namespace oxios::kernel
