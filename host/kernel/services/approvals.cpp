// approvals.request / list / approve / reject (abi/METHODS.md).
//
// Approvals live in memory only (a host restart forgets them). A pending
// approval older than one hour expires: it is listed as "expired" and can no
// longer be approved or rejected. At most kMaxKept approvals are kept; when
// over, the oldest resolved or expired ones are dropped first.
#include "uuid.hpp"
#include "json_util.hpp"
#include "services/service_error.hpp"
#include "services/service_registry.hpp"
#include "clock.hpp"

#include <algorithm>
#include <mutex>
#include <vector>

namespace oxios::kernel::services {
namespace {

constexpr int64_t kExpiryUs = int64_t{3600} * 1000000;
constexpr size_t kMaxKept = 1000;
constexpr size_t kMaxFieldBytes = 4096;

enum class State { pending, approved, rejected, expired };

const char* state_name(State s) {
    switch (s) {
        case State::pending: return "pending";
        case State::approved: return "approved";
        case State::rejected: return "rejected";
        case State::expired: return "expired";
    }
    return "pending";
}

struct Approval {
    std::string id, subject, action, resource, reason, created_at;
    int64_t created_us = 0;
    State state = State::pending;
};

struct ApprovalsService {
    ServiceContext ctx;
    std::mutex mutex;
    std::vector<Approval> approvals;  // in creation order

    int64_t now() const { return ctx.now_us ? ctx.now_us() : clock::now_us(); }

    // Caller holds mutex.
    void expire(int64_t now_us) {
        for (auto& a : approvals)
            if (a.state == State::pending && now_us - a.created_us >= kExpiryUs) a.state = State::expired;
    }

    // Caller holds mutex.
    void trim() {
        while (approvals.size() > kMaxKept) {
            auto it = std::find_if(approvals.begin(), approvals.end(),
                                   [](const Approval& a) { return a.state != State::pending; });
            if (it == approvals.end()) it = approvals.begin();  // all pending: oldest goes
            approvals.erase(it);
        }
    }

    static std::string field(const rapidjson::Value& in, const char* key, bool required) {
        std::string v = required ? json::req_string(in, key) : json::opt_string(in, key).value_or("");
        if (required && v.empty()) fail(OXIOS_E_INVALID, std::string(key) + " is required");
        if (v.size() > kMaxFieldBytes) fail(OXIOS_E_INVALID, std::string(key) + " is too long");
        return v;
    }

    void publish(std::string_view type, const json::Builder& fields) const {
        if (ctx.publish) ctx.publish(type, fields.str());
    }

    Result request(const rapidjson::Value& in) {
        Approval a;
        a.subject = field(in, "subject", true);
        a.action = field(in, "action", true);
        a.resource = field(in, "resource", false);
        a.reason = field(in, "reason", false);
        a.id = uuid_v4();
        a.created_us = now();
        a.created_at = clock::format_rfc3339(a.created_us);

        json::Builder event;
        event.begin_object()
            .field("approval_id", a.id)  // the bus owns the event's own "id"
            .field("subject", a.subject)
            .field("action", a.action)
            .field("resource", a.resource)
            .field("reason", a.reason)  // the web plugin strips it from SSE
            .end_object();
        std::string id = a.id;
        {
            std::lock_guard lock(mutex);
            approvals.push_back(std::move(a));
            trim();
        }
        publish("approval_requested", event);

        json::Builder out;
        out.begin_object().field("id", id).field("status", "pending").end_object();
        return out.result();
    }

    Result list(const rapidjson::Value&) {
        std::lock_guard lock(mutex);
        expire(now());
        json::Builder out;
        out.begin_array();
        for (auto it = approvals.rbegin(); it != approvals.rend(); ++it) {  // newest first
            out.begin_object()
                .field("id", it->id)
                .field("subject", it->subject)
                .field("action", it->action)
                .field("resource", it->resource)
                .field("reason", it->reason)
                .field("created_at", it->created_at)
                .field("status", state_name(it->state))
                .end_object();
        }
        out.end_array();
        return out.result();
    }

    Result resolve(const rapidjson::Value& in, State to) {
        std::string id = json::req_string(in, "id");
        if (!kernel::valid_uuid(id)) fail(OXIOS_E_INVALID, "invalid approval id: expected a UUID");
        {
            std::lock_guard lock(mutex);
            expire(now());
            auto it = std::find_if(approvals.begin(), approvals.end(),
                                   [&](const Approval& a) { return a.id == id; });
            if (it == approvals.end() || it->state != State::pending)
                fail(OXIOS_E_NOT_FOUND, "approval not found or not pending");
            it->state = to;
        }
        json::Builder event;
        event.begin_object().field("approval_id", id).field("status", state_name(to)).end_object();
        publish("approval_resolved", event);

        json::Builder out;
        out.begin_object().field("status", state_name(to)).field("id", id).end_object();
        return out.result();
    }
};

}  // namespace
}  // namespace oxios::kernel::services

namespace oxios::kernel {

void register_approvals_service(ServiceRegistry& registry, const ServiceContext& ctx) {
    auto svc = std::make_shared<services::ApprovalsService>();
    svc->ctx = ctx;
    registry.add("approvals.request", [svc](const rapidjson::Value& in) { return svc->request(in); });
    registry.add("approvals.list", [svc](const rapidjson::Value& in) { return svc->list(in); });
    registry.add("approvals.approve", [svc](const rapidjson::Value& in) {
        return svc->resolve(in, services::State::approved);
    });
    registry.add("approvals.reject", [svc](const rapidjson::Value& in) {
        return svc->resolve(in, services::State::rejected);
    });
}

}  // namespace oxios::kernel
