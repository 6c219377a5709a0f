// ServiceRegistry: parses the JSON argument of a long-tail call and dispatches
// it to the registered method (abi/METHODS.md).
#include "services/service_registry.hpp"

#include "session_store.hpp"

#include "infra/json_util.hpp"
#include "services/service_error.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <exception>
#include <string>

namespace oxios::kernel {

Result error_result(Status status, std::string_view message) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.StartObject();
    writer.Key("error");
    writer.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
    writer.EndObject();
    return Result{status, std::string(buffer.GetString(), buffer.GetSize())};
}

void ServiceRegistry::stop() {
    auto stoppers = std::move(stoppers_);
    stoppers_.clear();
    for (auto it = stoppers.rbegin(); it != stoppers.rend(); ++it) (*it)();
}

Result ServiceRegistry::call(std::string_view method, std::string_view json_in) const {
    try {
        auto it = methods_.find(std::string(method));
        if (it == methods_.end())
            return error_result(OXIOS_E_UNSUPPORTED, "unsupported method: " + std::string(method));

        rapidjson::Document doc;
        if (json_in.find_first_not_of(" \t\r\n") == std::string_view::npos) {
            doc.SetObject();
        } else {
            if (json_in.find('\0') != std::string_view::npos)
                return error_result(OXIOS_E_INVALID, "invalid JSON: contains a NUL byte");
            // Iterative: a deeply nested argument cannot exhaust the stack.
            doc.Parse<rapidjson::kParseIterativeFlag>(json_in.data(), json_in.size());
            if (doc.HasParseError()) {
                return error_result(OXIOS_E_INVALID, std::string("invalid JSON: ") +
                                                         rapidjson::GetParseError_En(doc.GetParseError()) +
                                                         " (offset " + std::to_string(doc.GetErrorOffset()) + ")");
            }
            if (!json::all_finite(doc)) return error_result(OXIOS_E_INVALID, "invalid JSON: a number is out of range");
            if (!doc.IsObject()) return error_result(OXIOS_E_INVALID, "invalid JSON: argument must be an object");
        }
        return it->second(doc);
    } catch (const StoreUnavailable&) {  // a PostgreSQL outage, from any service
        return error_result(OXIOS_E_BUSY, kStoreUnavailable);
    } catch (const services::ServiceError& e) {
        try {
            return error_result(e.status(), e.what());
        } catch (...) {
            return Result{OXIOS_E_INTERNAL, "{\"error\":\"internal error\"}"};
        }
    } catch (const std::exception& e) {
        try {
            return error_result(OXIOS_E_INTERNAL, std::string("internal error: ") + e.what());
        } catch (...) {
            return Result{OXIOS_E_INTERNAL, "{\"error\":\"internal error\"}"};
        }
    } catch (...) {
        try {
            return error_result(OXIOS_E_INTERNAL, "internal error");
        } catch (...) {
            return Result{OXIOS_E_INTERNAL, "{\"error\":\"internal error\"}"};
        }
    }
}

}  // namespace oxios::kernel
