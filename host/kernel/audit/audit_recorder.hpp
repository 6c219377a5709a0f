// How any service audits an action (docs/api-operator.md, "Security"):
//   ctx.audit->record(audit::actor_of(in), "skill.install", slug);
// Never pass tokens, keys, message or file content, or config values.
#pragma once

#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <string_view>

namespace oxios::kernel {

class AuditRecorder {
public:
    virtual ~AuditRecorder() = default;
    // Appends one entry; never throws (a failure is logged). `metadata_json`
    // is a JSON object.
    virtual void record(std::string_view actor, std::string_view action, std::string_view resource, bool allowed = true,
                        std::optional<std::string_view> reason = std::nullopt,
                        std::string_view metadata_json = "{}") = 0;
};

// Records nothing: the default of ServiceContext::audit.
AuditRecorder& null_audit();

namespace audit {
// Who made a call: its "_actor" member (set by the plugin for HTTP
// requests: token:<8 hex> or ip:<address>), else the host itself ("host").
std::string actor_of(const rapidjson::Value& in);
}  // namespace audit

}  // namespace oxios::kernel
