// audit.* methods (abi/METHODS.md): the list, stored ranges, verification,
// and entries the plugin records.
#include "audit/audit_service.hpp"
#include "infra/json_util.hpp"

#include <cstdint>

namespace oxios::kernel {

namespace {
constexpr int64_t kMaxSpan = 1000, kDefaultSpan = 100;
}

void register_audit_service(ServiceRegistry& registry, audit::AuditLog& log) {
    registry.add("audit.list", [&log](const rapidjson::Value& in) {
        const json::Page p = json::read_page(in);
        return log.list(p.page, p.limit);
    });
    registry.add("audit.entries", [&log](const rapidjson::Value& in) {
        const int64_t from = json::opt_int(in, "from_seq").value_or(1);
        if (from < 1) return error_result(OXIOS_E_INVALID, "from_seq must be >= 1");
        const int64_t to =
            json::opt_int(in, "to_seq").value_or(from > INT64_MAX - kDefaultSpan ? INT64_MAX : from + kDefaultSpan - 1);
        if (to < from) return error_result(OXIOS_E_INVALID, "to_seq must be >= from_seq");
        if (to - from >= kMaxSpan) return error_result(OXIOS_E_INVALID, "span from_seq..to_seq must be at most 1000");
        return log.entries(static_cast<uint64_t>(from), static_cast<uint64_t>(to));
    });
    registry.add("audit.verify", [&log](const rapidjson::Value&) { return log.verify(); });
    registry.add("audit.record", [&log](const rapidjson::Value& in) { return log.record_checked(in); });
}

}  // namespace oxios::kernel
