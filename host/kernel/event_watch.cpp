#include "event_watch.hpp"

#include "json_util.hpp"

#include <algorithm>

namespace oxios::kernel {

decltype(ServiceContext::on_event) watch_events(EventBus& bus, ServiceRegistry& registry) {
    return [&bus, &registry](std::vector<std::string> types, std::function<void(const rapidjson::Value&)> fn) {
        const uint64_t sub = bus.subscribe([types = std::move(types), fn = std::move(fn)](uint64_t, std::string_view text) {
            auto doc = json::parse(text);
            if (!doc || !doc->IsObject()) return;
            const std::string type = json::get_string(*doc, "type");
            if (type == "lagged" || std::find(types.begin(), types.end(), type) != types.end()) fn(*doc);
        });
        registry.on_stop([&bus, sub] { bus.unsubscribe(sub); });
    };
}

}  // namespace oxios::kernel
