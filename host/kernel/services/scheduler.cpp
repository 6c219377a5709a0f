// scheduler.stats / scheduler.tasks (abi/METHODS.md; docs/api-operator.md, "Scheduler"): the
// gateway's queue and running set as the Scheduler page shows them. A copy
// taken under the gateway's lock, no I/O: answered even when saturated.
#include "gateway.hpp"
#include "infra/clock.hpp"
#include "infra/json_util.hpp"
#include "services/service_registry.hpp"

#include <string>
#include <string_view>

namespace oxios::kernel {
namespace {

constexpr size_t kMaxListed = 500;
constexpr size_t kDescriptionChars = 80;

// The first 80 Unicode characters of a message, each line break (\r\n, \n,
// \r) as one space, no ellipsis (the UI adds one).
std::string task_description(std::string_view content) {
    std::string out;
    size_t chars = 0;
    for (size_t i = 0; i < content.size(); ++i) {
        const auto c = static_cast<unsigned char>(content[i]);
        const bool continuation = (c & 0xC0) == 0x80;
        if (!continuation && chars++ == kDescriptionChars) break;
        if (out.size() == 4 * kDescriptionChars) break;  // bytes that are not UTF-8 count too
        if (c == '\r' && i + 1 < content.size() && content[i + 1] == '\n') ++i;
        out.push_back(c == '\r' || c == '\n' ? ' ' : static_cast<char>(c));
    }
    return out;
}

void write_task(json::Builder& b, const Gateway::TaskView& t) {
    const ChatMessage& m = *t.message;
    auto or_null = [](const std::string& s) { return s.empty() ? std::nullopt : std::optional<std::string>(s); };
    b.begin_object()
        .field("id", m.id)
        .field("description", task_description(m.content))
        .field("priority", "normal")
        .field("status", t.started_us != 0 ? "running" : "queued")
        .field("created_at", clock::format_rfc3339(t.created_us))
        .field("started_at", t.started_us != 0 ? std::optional(clock::format_rfc3339(t.started_us)) : std::nullopt)
        .field("user_id", m.user_id)
        .field("session_id", or_null(t.session_id))
        .field("agent_id", t.started_us != 0 ? or_null(t.agent_id) : std::nullopt)
        .field("error", nullptr)
        .end_object();
}

}  // namespace

void register_scheduler_service(ServiceRegistry& registry, const Gateway& gateway) {
    registry.add("scheduler.stats", [&gateway](const rapidjson::Value&) {
        const Gateway::Snapshot s = gateway.snapshot(0);
        json::Builder out;
        out.begin_object()
            .field("queued", s.queue_depth)
            .field("running", s.in_flight)
            .field("max_concurrent", s.max_concurrent)
            .field("queue_capacity", s.queue_capacity)
            .field("completed_total", s.completed_total)
            .field("failed_total", s.failed_total)
            .end_object();
        return out.result();
    });
    registry.add("scheduler.tasks", [&gateway](const rapidjson::Value&) {
        const Gateway::Snapshot s = gateway.snapshot(kMaxListed);
        json::Builder out;
        out.begin_object().key("queued").begin_array();
        for (const auto& t : s.queued) write_task(out, t);
        out.end_array().key("running").begin_array();
        for (const auto& t : s.running) write_task(out, t);
        out.end_array().end_object();
        return out.result();
    });
}

}  // namespace oxios::kernel
