#include "event_watch.hpp"

#include "infra/json_util.hpp"

namespace oxios::kernel {

decltype(ServiceContext::on_event) watch_events(EventBus& bus, ServiceRegistry& registry) {
    return [&bus, &registry](std::vector<std::string> types, std::function<void(const rapidjson::Value&)> fn) {
        const uint64_t sub = bus.subscribe(
            [fn = std::move(fn)](uint64_t, std::string_view text) {
                if (auto doc = json::parse(text); doc && doc->IsObject()) fn(*doc);
            },
            std::move(types));
        registry.on_stop([&bus, sub] { bus.unsubscribe(sub); });
    };
}

}  // namespace oxios::kernel
