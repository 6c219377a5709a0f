#include "event_watch.hpp"

#include "infra/json_util.hpp"

#include <algorithm>

namespace oxios::kernel {

namespace {

// The bus writes "id", "timestamp", then "type" first (event_bus.cpp), so the
// first "type" member is the event's: read without parsing every event.
std::string_view type_of(std::string_view text) {
    constexpr std::string_view key = "\"type\":\"";
    const size_t at = text.find(key);
    if (at == std::string_view::npos) return {};
    const size_t begin = at + key.size(), end = text.find('"', begin);
    return end == std::string_view::npos ? std::string_view{} : text.substr(begin, end - begin);
}

}  // namespace

decltype(ServiceContext::on_event) watch_events(EventBus& bus, ServiceRegistry& registry) {
    return [&bus, &registry](std::vector<std::string> types, std::function<void(const rapidjson::Value&)> fn) {
        const uint64_t sub =
            bus.subscribe([types = std::move(types), fn = std::move(fn)](uint64_t, std::string_view text) {
                const std::string_view type = type_of(text);
                if (type != "lagged" && std::find(types.begin(), types.end(), type) == types.end()) return;
                if (auto doc = json::parse(text); doc && doc->IsObject()) fn(*doc);
            });
        registry.on_stop([&bus, sub] { bus.unsubscribe(sub); });
    };
}

}  // namespace oxios::kernel
