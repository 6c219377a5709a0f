#include "services/cron_store.hpp"

#include "infra/clock.hpp"
#include "infra/json_util.hpp"
#include "infra/uuid.hpp"

#include <cstdio>

namespace oxios::kernel::services::cron_store {
namespace {

std::optional<std::string> stamp(const std::optional<int64_t>& us) {
    if (!us) return std::nullopt;
    return clock::format_rfc3339(*us);
}

std::optional<int64_t> read_stamp(const rapidjson::Value& o, const char* key) {
    const auto s = json::member_string(o, key);
    if (!s) return std::nullopt;
    return clock::parse_rfc3339(*s);
}

}  // namespace

void write_job(json::Builder& out, const CronJob& j, std::optional<bool> running) {
    std::optional<int64_t> next_us;
    if (j.next_run_secs) next_us = *j.next_run_secs * 1'000'000;
    out.begin_object()
        .field("id", j.id)
        .field("name", j.name)
        .field("schedule", j.schedule)
        .field("command", j.command)
        .field("enabled", j.enabled)
        .field("last_run", stamp(j.last_run_us))
        .field("next_run", stamp(next_us))
        .field("run_count", j.run_count)
        .field("last_result", j.last_result)
        .field("last_success", j.last_success)
        .field("last_duration_ms", j.last_duration_ms);
    if (running) out.field("running", *running);
    out.field("session_id", "cron-" + j.id)
        .field("created_at", clock::format_rfc3339(j.created_us))
        .field("updated_at", clock::format_rfc3339(j.updated_us))
        .end_object();
}

std::string document(const std::vector<const CronJob*>& jobs) {
    json::Builder out;
    out.begin_object().field("version", 1).key("jobs").begin_array();
    for (const CronJob* j : jobs) write_job(out, *j, std::nullopt);
    out.end_array().end_object();
    return out.str();
}

std::vector<CronJob> parse_document(std::string_view text) {
    std::vector<CronJob> jobs;
    const auto doc = json::parse_object(text);
    if (!doc) return jobs;
    const rapidjson::Value* list = json::member(*doc, "jobs");
    if (list == nullptr || !list->IsArray()) return jobs;
    for (const auto& o : list->GetArray()) {
        if (!o.IsObject()) continue;
        CronJob j;
        j.id = json::get_string(o, "id");
        j.name = json::get_string(o, "name");
        j.schedule = json::get_string(o, "schedule");
        j.command = json::get_string(o, "command");
        if (!valid_uuid(j.id) || j.name.empty() || j.schedule.empty() || j.command.empty()) {
            std::fprintf(stderr, "[warn] cron: dropping a malformed job of .oxios/cron.json\n");
            continue;
        }
        j.enabled = json::get_bool(o, "enabled", true);
        j.last_run_us = read_stamp(o, "last_run");
        if (const auto next = read_stamp(o, "next_run")) j.next_run_secs = *next / 1'000'000;
        j.run_count = json::get_int(o, "run_count", 0);
        j.last_result = json::member_string(o, "last_result");
        if (const auto* v = json::member(o, "last_success"); v != nullptr && v->IsBool()) j.last_success = v->GetBool();
        if (const auto* v = json::member(o, "last_duration_ms"); v != nullptr && v->IsInt64())
            j.last_duration_ms = v->GetInt64();
        j.created_us = read_stamp(o, "created_at").value_or(0);
        j.updated_us = read_stamp(o, "updated_at").value_or(j.created_us);
        jobs.push_back(std::move(j));
    }
    return jobs;
}

std::string first_chars(std::string_view text, size_t max_chars) {
    size_t i = 0, chars = 0;
    while (i < text.size() && chars < max_chars) {
        ++i;
        while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;  // continuation bytes
        ++chars;
    }
    return std::string(text.substr(0, i));
}

}  // namespace oxios::kernel::services::cron_store
