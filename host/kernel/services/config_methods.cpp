// config.get / config.put (abi/METHODS.md).
#include "config/config.hpp"
#include "infra/json_util.hpp"
#include "kernel_impl.hpp"
#include "services/service_registry.hpp"

namespace oxios::kernel {

void register_config_methods(ServiceRegistry& registry, Config& config) {
    registry.add("config.get", [&config](const rapidjson::Value&) { return Result{OXIOS_OK, config.hidden_json()}; });
    registry.add("config.put", [&config](const rapidjson::Value& in) {
        const auto* partial = json::member(in, "config");
        if (partial == nullptr) return error_result(OXIOS_E_INVALID, "Invalid config: config: missing");
        return config.put(*partial);
    });
}

}  // namespace oxios::kernel
