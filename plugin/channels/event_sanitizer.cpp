// Which fields of a kernel event an SSE client may see: one whitelist per
// event type. A security boundary, kept apart from the transport.
#include "channels/event_sanitizer.hpp"

#include "json.hpp"

#include <array>
#include <initializer_list>

namespace web::channels {
namespace {

struct TypeRule {
    std::string_view type;
    std::initializer_list<std::string_view> fields;
};

// What each known event type may carry besides id, timestamp and type. Left
// out on purpose: message content, phase session_id and result summaries,
// agent output text and error text, approval reasons, memory content and
// query text.
const TypeRule kRules[]{
    {"agent_created", {"agent_id", "name", "seed_id", "status"}},
    {"agent_started", {"agent_id", "name", "seed_id", "status"}},
    {"agent_stopped", {"agent_id", "name", "seed_id", "status"}},
    {"agent_failed", {"agent_id", "name", "seed_id", "status"}},
    {"message_received", {"message_id", "session_id", "user_id", "space_id", "channel"}},
    {"seed_created", {"seed_id", "goal", "generation", "parent_seed_id", "session_id", "constraints_count"}},
    {"evaluation_complete", {"seed_id", "session_id", "score", "passed", "iteration"}},
    {"phase_started", {"phase", "seed_id", "iteration"}},
    {"phase_completed", {"phase", "seed_id", "success", "passed", "duration_ms", "iteration"}},
    {"agent_output", {"agent_id", "seed_id", "stream"}},
    {"approval_requested", {"approval_id", "subject", "action", "resource", "status", "created_at", "expires_at"}},
    {"approval_resolved", {"approval_id", "status", "approved"}},
    {"memory_stored", {"memory_id", "memory_type", "tags", "importance"}},
    {"memory_recalled", {"count", "memory_type"}},
    {"space_created", {"space_id", "name", "source"}},
    {"space_activated", {"space_id", "name", "source"}},
    {"space_archived", {"space_id", "name", "source"}},
    {"plugin_reloaded", {"plugin", "version", "previous_version"}},
    {"git_committed", {"hash", "short_hash", "source", "files"}},
    {"git_tagged", {"tag", "hash"}},
    {"git_restored", {"from", "commit", "snapshot", "path", "files_changed"}},
    {"resources_overloaded", {"cpu_percent", "memory_percent", "disk_percent", "load_avg_1m", "reasons"}},
    {"resources_recovered", {"cpu_percent", "memory_percent", "disk_percent", "load_avg_1m", "reasons"}},
    {"cron_job_created", {"job_id", "name"}},
    {"cron_job_updated", {"job_id", "name", "enabled", "schedule"}},
    {"cron_job_deleted", {"job_id", "name"}},
    {"cron_job_started", {"job_id", "name", "trigger", "session_id", "message_id"}},
    {"cron_job_completed", {"job_id", "name", "success", "duration_ms", "run_count"}},
    {"cron_job_skipped", {"job_id", "name", "reason"}},
    {"persona_created", {"persona_id", "name"}},
    {"persona_updated", {"persona_id", "name", "role"}},
    {"persona_deleted", {"persona_id", "name"}},
    {"persona_activated", {"persona_id", "name"}},
    {"budget_exhausted", {"agent_id", "tokens_used", "tokens_limit", "cost_used", "cost_limit", "resets_at"}},
    {"budget_updated", {"agent_id", "tokens_limit", "cost_limit", "window_secs", "action"}},
    {"knowledge_changed", {"path", "change", "source"}},
    {"audit_recorded", {"seq", "action", "allowed"}},
    {"skill_installed", {"name", "version", "source"}},
};

// For types this plugin does not know: only these fields, and only when the
// value is a scalar (string, number, boolean, null).
constexpr std::array<std::string_view, 20> kGenericScalars{
    "agent_id", "seed_id", "space_id",    "message_id",  "approval_id", "memory_id", "name",
    "status",   "phase",   "count",       "score",       "passed",      "success",   "generation",
    "version",  "plugin",  "duration_ms", "memory_type", "source",      "iteration"};

bool is_scalar(const json::Value& v) { return v.IsString() || v.IsNumber() || v.IsBool() || v.IsNull(); }

const TypeRule* rule_for(std::string_view type) {
    for (const auto& r : kRules)
        if (r.type == type) return &r;
    return nullptr;
}

}  // namespace

std::string sanitize_event(std::string_view raw) {
    json::Document doc;
    if (!json::parse(raw, doc) || !doc.IsObject()) return {};
    const json::Value* type = json::find(doc, "type");
    if (type == nullptr || !type->IsString()) return {};
    const std::string_view type_name(type->GetString(), type->GetStringLength());

    json::Builder b;
    b.obj();
    // "id" is always a string (the original UI calls string methods on it).
    b.key("id");
    const json::Value* id = json::find(doc, "id");
    if (id != nullptr && id->IsString())
        b.value(*id);
    else if (id != nullptr && !id->IsNull())
        b.str(json::to_string(*id));
    else
        b.str("");
    b.key("timestamp");
    const json::Value* ts = json::find(doc, "timestamp");
    if (ts != nullptr && ts->IsString())
        b.value(*ts);
    else
        b.null();
    b.key("type").value(*type);

    if (const TypeRule* rule = rule_for(type_name)) {
        for (std::string_view f : rule->fields) {
            if (const json::Value* v = json::find(doc, f)) b.key(f).value(*v);
        }
    } else {
        for (std::string_view f : kGenericScalars) {
            if (const json::Value* v = json::find(doc, f); v != nullptr && is_scalar(*v)) b.key(f).value(*v);
        }
    }
    b.end_obj();
    return b.take();
}

}  // namespace web::channels
