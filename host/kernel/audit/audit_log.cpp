#include "audit/audit_log.hpp"

#include "audit/audit_chain.hpp"
#include "infra/json_util.hpp"
#include "services/service_registry.hpp"

#include <cstdio>
#include <exception>
#include <regex>
#include <vector>

namespace oxios::kernel::audit {

namespace {

constexpr size_t kMaxActor = 128, kMaxAction = 64, kMaxText = 1024, kMaxMetadata = 2048;

bool valid_action(std::string_view action) {
    static const std::regex re("^[a-z_]+\\.[a-z_]+$");
    return !action.empty() && action.size() <= kMaxAction && std::regex_match(action.begin(), action.end(), re);
}

std::string bounded_metadata(std::string_view json) {
    if (json.empty()) return "{}";
    if (json.size() > kMaxMetadata) return "{\"truncated\":true}";
    const auto doc = json::parse_object(json);
    return doc ? json::to_string(*doc) : std::string("{}");
}

}  // namespace

AuditLog::AuditLog(Options options) : options_(std::move(options)) {
    if (store_->shared()) return;
    const auto head = read_head(store_->last_line());
    const uint64_t head_seq = head ? head->seq : 0;
    const uint64_t keep = options_.settings().memory_entries;
    const uint64_t from = head_seq > keep ? head_seq - keep + 1 : 1;
    store_->scan(from, head_seq, [this, from](std::string_view line) {
        if (const auto entry = read_head(line); entry && entry->seq >= from) remember(line);
        return true;
    });
}

AuditLog::Summary AuditLog::summary_of(std::string_view line) {
    const auto doc = json::parse_object(line);
    if (!doc) return Summary{0, "", "", "", "", false, std::nullopt, ""};
    return Summary{json::get_int(*doc, "seq", 0) > 0 ? static_cast<uint64_t>(json::get_int(*doc, "seq", 0)) : 0,
                   json::get_string(*doc, "timestamp"),
                   json::get_string(*doc, "actor"),
                   json::get_string(*doc, "action"),
                   json::get_string(*doc, "resource"),
                   json::get_bool(*doc, "allowed", false),
                   json::member_string(*doc, "reason"),
                   json::get_string(*doc, "hash")};
}

void AuditLog::remember(std::string_view line) {
    Summary s = summary_of(line);
    if (s.seq == 0) return;
    memory_.push_back(std::move(s));
    const uint64_t keep = std::max<uint64_t>(options_.settings().memory_entries, 1);
    while (memory_.size() > keep) memory_.pop_front();
}

void AuditLog::append(Fields f) {
    if (!options_.settings().enabled) return;
    f.actor = truncate_utf8(f.actor, kMaxActor);
    f.resource = truncate_utf8(f.resource, kMaxText);
    if (f.reason) f.reason = truncate_utf8(*f.reason, kMaxText);
    f.metadata_json = bounded_metadata(f.metadata_json);
    const int64_t now = options_.now_us();
    const std::string line = store_->append(  // throws: nothing stored
        [&](uint64_t next, std::string_view prev_hash) { return make_line(next, now, f, prev_hash, nullptr); });
    const uint64_t seq = read_head(line)->seq;
    if (!store_->shared()) {
        std::lock_guard lock(mutex_);
        remember(line);
    }
    if (options_.publish) {
        json::Builder ev;
        ev.begin_object().field("seq", seq).field("action", f.action).field("allowed", f.allowed).end_object();
        options_.publish("audit_recorded", ev.str());
    }
}

void AuditLog::record(std::string_view actor, std::string_view action, std::string_view resource, bool allowed,
                      std::optional<std::string_view> reason, std::string_view metadata_json) {
    try {
        if (!valid_action(action)) {
            std::fprintf(stderr, "[error] audit: invalid action name %.*s\n", static_cast<int>(action.size()),
                         action.data());
            return;
        }
        Fields f{std::string(actor),
                 std::string(action),
                 std::string(resource),
                 allowed,
                 reason ? std::optional<std::string>(std::string(*reason)) : std::nullopt,
                 std::string(metadata_json)};
        append(std::move(f));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "[error] audit: cannot record %.*s: %s\n", static_cast<int>(action.size()), action.data(),
                     e.what());
    }
}

Result AuditLog::record_checked(const rapidjson::Value& in) {
    Fields f;
    f.actor = json::req_string(in, "actor");
    f.action = json::req_string(in, "action");
    f.resource = json::opt_string(in, "resource").value_or("");
    f.allowed = json::opt_bool(in, "allowed").value_or(true);
    f.reason = json::opt_string(in, "reason");
    if (f.actor.size() > kMaxActor) return error_result(OXIOS_E_INVALID, "actor must be at most 128 bytes");
    if (!valid_action(f.action))
        return error_result(OXIOS_E_INVALID, "action must match ^[a-z_]+\\.[a-z_]+$ (at most 64 bytes)");
    if (const auto* m = json::member(in, "metadata"); m != nullptr && !m->IsNull()) {
        if (!m->IsObject()) return error_result(OXIOS_E_INVALID, "metadata must be an object");
        f.metadata_json = json::to_string(*m);
    }
    append(std::move(f));
    return Result{OXIOS_OK, "{\"status\":\"recorded\"}"};
}

Result AuditLog::list(uint64_t page, uint64_t limit) {
    json::Builder out;
    out.begin_object().key("items").begin_array();
    const auto item = [&out](const Summary& s) {
        out.begin_object()
            .field("seq", s.seq)
            .field("timestamp", s.timestamp)
            .field("agent_name", s.actor)
            .field("action", s.action)
            .field("resource", s.resource)
            .field("allowed", s.allowed)
            .field("reason", s.reason)
            .field("hash", s.hash)
            .end_object();
    };
    const Settings settings = options_.settings();
    const uint64_t skip = (page - 1) * limit;
    uint64_t total = 0;
    if (settings.enabled && store_->shared()) {
        // The newest memory_entries of the cluster's chain, read by seq.
        const auto head = read_head(store_->last_line());
        const uint64_t head_seq = head ? head->seq : 0;
        total = std::min(head_seq, settings.memory_entries);
        if (skip < total) {
            const uint64_t last = head_seq - skip, first = last - std::min(limit, total - skip) + 1;
            std::vector<Summary> newest;
            store_->scan(first, last, [&](std::string_view line) {
                if (Summary s = summary_of(line); s.seq >= first && s.seq <= last) newest.push_back(std::move(s));
                return true;
            });
            for (auto it = newest.rbegin(); it != newest.rend(); ++it) item(*it);
        }
    } else if (settings.enabled) {
        std::lock_guard lock(mutex_);
        total = memory_.size();
        for (uint64_t i = skip; i < total && i < skip + limit; ++i) item(memory_[total - 1 - i]);
    }
    out.end_array().field("total", total).end_object();
    return out.result();
}

Result AuditLog::entries(uint64_t from_seq, uint64_t to_seq) {
    std::string body = "{\"entries\":[";
    size_t count = 0;
    if (options_.settings().enabled) {
        store_->scan(from_seq, to_seq, [&](std::string_view line) {
            const auto head = read_head(line);
            if (!head || head->seq < from_seq) return true;
            if (head->seq > to_seq) return false;
            if (count++ > 0) body += ',';
            body += line;
            return true;
        });
    }
    body += "],\"count\":" + std::to_string(count) + "}";
    return Result{OXIOS_OK, body};
}

Result AuditLog::verify() {
    uint64_t count = 0;
    std::string prev(kZeroHash);
    std::optional<Break> broken;
    if (options_.settings().enabled) {
        store_->scan(1, UINT64_MAX, [&](std::string_view line) {
            broken = check_line(line, count + 1, prev);
            if (broken) return false;
            prev = read_head(line)->hash;
            ++count;
            return true;
        });
    }
    json::Builder out;
    out.begin_object();
    if (broken) {
        out.field("valid", false)
            .field("entry_count", count)
            .field("broken_at_seq", broken->seq)
            .field("expected", broken->expected)
            .field("found", broken->found)
            .field("reason", broken->reason);
    } else {
        out.field("valid", true).field("entry_count", count).key("head_hash");
        if (count == 0)
            out.null();
        else
            out.value(prev);
    }
    out.end_object();
    return out.result();
}

}  // namespace oxios::kernel::audit
