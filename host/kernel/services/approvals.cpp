// approvals.request / list / approve / reject (abi/METHODS.md).
//
// Approvals are records of the state store (.oxios/approvals/<id>.json with
// files), kept in memory and refetched when the bus says another host
// changed one. A pending approval older than one hour expires: it is listed
// as "expired" and can no longer be approved or rejected. At most kMaxKept
// approvals are kept; when over, the oldest resolved or expired ones go first.
#include "infra/clock.hpp"
#include "infra/json_util.hpp"
#include "infra/uuid.hpp"
#include "services/service_error.hpp"
#include "services/service_registry.hpp"
#include "store/stale_keys.hpp"

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace oxios::kernel::services {
namespace {

constexpr int64_t kExpiryUs = int64_t{3600} * 1000000;
constexpr size_t kMaxKept = 1000;
constexpr size_t kMaxFieldBytes = 4096;
constexpr const char* kCollection = ".oxios/approvals";

enum class State { pending, approved, rejected, expired };

const char* state_name(State s) {
    switch (s) {
        case State::pending:
            return "pending";
        case State::approved:
            return "approved";
        case State::rejected:
            return "rejected";
        case State::expired:
            return "expired";
    }
    return "pending";
}

struct Approval {
    std::string id, subject, action, resource, reason, created_at;
    int64_t created_us = 0;
    State state = State::pending;
};

std::string to_json(const Approval& a) {
    json::Builder b;
    b.begin_object()
        .field("id", a.id)
        .field("subject", a.subject)
        .field("action", a.action)
        .field("resource", a.resource)
        .field("reason", a.reason)
        .field("created_at", a.created_at)
        .field("status", a.state == State::expired ? "pending" : state_name(a.state))  // expiry is computed
        .end_object();
    return b.str();
}

std::optional<Approval> from_json(const std::string& key, const std::string& text) {
    auto doc = json::parse_object(text);
    if (!doc) return std::nullopt;
    Approval a;
    a.id = key;
    a.subject = json::get_string(*doc, "subject");
    a.action = json::get_string(*doc, "action");
    a.resource = json::get_string(*doc, "resource");
    a.reason = json::get_string(*doc, "reason");
    a.created_at = json::get_string(*doc, "created_at");
    a.created_us = clock::parse_rfc3339(a.created_at).value_or(0);
    const std::string status = json::get_string(*doc, "status", "pending");
    a.state = status == "approved" ? State::approved : status == "rejected" ? State::rejected : State::pending;
    return a;
}

struct ApprovalsService {
    ServiceContext ctx;
    std::mutex mutex;
    std::vector<Approval> approvals;  // in creation order
    StaleKeys stale;                  // changed by another host (events)

    int64_t now() const { return ctx.now_us ? ctx.now_us() : clock::now_us(); }

    void load_all() {
        std::vector<Approval> fresh;
        for (auto& r : ctx.records->load_all(kCollection, RecordStore::OnBad::set_aside))
            if (auto a = from_json(r.key, r.json)) fresh.push_back(std::move(*a));
        std::stable_sort(fresh.begin(), fresh.end(),
                         [](const Approval& x, const Approval& y) { return x.created_us < y.created_us; });
        approvals.swap(fresh);
    }

    // Caller holds mutex: what other hosts changed since, from the store.
    void refresh() {
        auto taken = stale.take();
        if (taken.all) return load_all();
        for (const auto& id : taken.keys) {
            auto text = ctx.records->get(kCollection, id);
            auto it = std::find_if(approvals.begin(), approvals.end(), [&](const Approval& a) { return a.id == id; });
            auto fresh = text ? from_json(id, *text) : std::nullopt;
            if (!fresh) {
                if (it != approvals.end()) approvals.erase(it);
            } else if (it != approvals.end()) {
                *it = std::move(*fresh);
            } else {
                auto at = std::upper_bound(approvals.begin(), approvals.end(), fresh->created_us,
                                           [](int64_t us, const Approval& a) { return us < a.created_us; });
                approvals.insert(at, std::move(*fresh));
            }
        }
    }

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
            ctx.records->remove(kCollection, it->id);
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
            ctx.records->put(kCollection, a.id, to_json(a));  // durable before it is announced
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
        refresh();
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
            stale.mark(id);  // decided on the store's copy: another host may have resolved it
            refresh();
            expire(now());
            auto it = std::find_if(approvals.begin(), approvals.end(), [&](const Approval& a) { return a.id == id; });
            if (it == approvals.end() || it->state != State::pending)
                fail(OXIOS_E_NOT_FOUND, "approval not found or not pending");
            Approval resolved = *it;
            resolved.state = to;
            ctx.records->put(kCollection, id, to_json(resolved));
            *it = std::move(resolved);
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
    svc->load_all();
    if (ctx.on_event)
        ctx.on_event({"approval_requested", "approval_resolved"}, [w = std::weak_ptr(svc)](const rapidjson::Value& e) {
            auto live = w.lock();
            if (!live) return;
            const std::string id = json::get_string(e, "approval_id");
            if (json::get_string(e, "type") == "lagged")
                live->stale.mark_all();
            else if (kernel::valid_uuid(id))
                live->stale.mark(id);
        });
    registry.add("approvals.request", [svc](const rapidjson::Value& in) { return svc->request(in); });
    registry.add("approvals.list", [svc](const rapidjson::Value& in) { return svc->list(in); });
    registry.add("approvals.approve",
                 [svc](const rapidjson::Value& in) { return svc->resolve(in, services::State::approved); });
    registry.add("approvals.reject",
                 [svc](const rapidjson::Value& in) { return svc->resolve(in, services::State::rejected); });
}

}  // namespace oxios::kernel
