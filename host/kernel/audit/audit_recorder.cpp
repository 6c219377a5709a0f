#include "audit/audit_recorder.hpp"

#include "infra/json_util.hpp"

namespace oxios::kernel {

namespace {
class NullAudit : public AuditRecorder {
public:
    void record(std::string_view, std::string_view, std::string_view, bool, std::optional<std::string_view>,
                std::string_view) override {}
};
}  // namespace

AuditRecorder& null_audit() {
    static NullAudit none;
    return none;
}

std::string audit::actor_of(const rapidjson::Value& in) {
    const auto actor = json::member_string(in, "_actor");
    return actor && !actor->empty() ? *actor : std::string("host");
}

}  // namespace oxios::kernel
