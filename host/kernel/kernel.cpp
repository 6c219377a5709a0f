// The Kernel facade: builds the parts (kernel_impl.hpp) and forwards to them.
#include "kernel.hpp"

#include "audit/audit_service.hpp"
#include "audit/file_audit_store.hpp"
#include "audit/pg_audit_store.hpp"
#include "config/config_report.hpp"
#include "engines/engine.hpp"
#include "event_watch.hpp"
#include "infra/clock.hpp"
#include "infra/json_util.hpp"
#include "kernel_impl.hpp"
#include "marketplace/marketplace.hpp"
#include "services/knowledge_vault.hpp"
#include "services/resource_sampler.hpp"
#include "session_doc.hpp"

#include <algorithm>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace oxios::kernel {

namespace fs = std::filesystem;

namespace {

std::string resolve_workspace(const Kernel::Options& options, const Config& config) {
    std::string path = options.workspace_override.empty()
                           ? expand_home(config.get_string("kernel.workspace", "~/.oxios/workspace"))
                           : expand_home(options.workspace_override);
    std::error_code ec;
    fs::path p = fs::absolute(path, ec);
    if (ec) throw std::runtime_error("Invalid config: kernel.workspace: " + ec.message());
    fs::create_directories(p, ec);
    if (ec) throw std::runtime_error("cannot create workspace " + p.string() + ": " + ec.message());
    return fs::weakly_canonical(p).string();
}

std::string env_api_key() {
    const char* key = std::getenv("OXIOS_API_KEY");
    return key == nullptr ? std::string() : std::string(key);
}

std::function<void(std::string_view, const rapidjson::Value&)> publisher(EventBus& bus) {
    return [&bus](std::string_view type, const rapidjson::Value& fields) { bus.publish(type, fields); };
}

std::function<uint64_t(std::string_view, std::string_view)> text_publisher(EventBus& bus) {
    return [&bus](std::string_view type, std::string_view fields) { return bus.publish(type, fields); };
}

size_t config_size(const Config& c, std::string_view key, int64_t fallback) {
    const int64_t v = c.get_int(key, fallback);
    return static_cast<size_t>(v > 0 ? v : fallback);
}

// What the resources sampler reads of the kernel (docs/api-operator.md, "Resources").
services::ResourceSources resource_sources(Kernel::Impl& k) {
    services::ResourceSources s;
    s.settings = [c = k.config.get()] {
        services::ResourceSettings r;
        r.sample_interval_secs = c->get_int("resources.sample_interval_secs", r.sample_interval_secs);
        r.history_size = c->get_int("resources.history_size", r.history_size);
        r.overload_cpu_percent = c->get_double("resources.overload_cpu_percent", r.overload_cpu_percent);
        r.overload_memory_percent = c->get_double("resources.overload_memory_percent", r.overload_memory_percent);
        r.overload_disk_percent = c->get_double("resources.overload_disk_percent", r.overload_disk_percent);
        r.overload_load_avg = c->get_double("resources.overload_load_avg", r.overload_load_avg);
        return r;
    };
    s.active_agents = [&k] { return k.agents.counts().active; };
    s.pending_tasks = [&k] { return static_cast<uint64_t>(k.gateway.queue_depth()); };
    s.total_tokens = [&k] { return k.engine->tokens_used(); };
    return s;
}

// What the cron service uses of the kernel (docs/api-operator.md, "Cron jobs"): its
// runs go through the gateway and are stored in the session store like a
// POST /api/chat exchange.
services::CronService::Deps cron_deps(Kernel::Impl& k) {
    services::CronService::Deps d;
    d.settings = [c = k.config.get()] {
        services::CronSettings s;
        s.enabled = c->get_bool("cron.enabled", s.enabled);
        s.zone = c->get_string("cron.timezone", "local") == "UTC" ? cron::Zone::utc : cron::Zone::local;
        s.max_concurrent = c->get_int("cron.max_concurrent", s.max_concurrent);
        s.missed_grace_secs = c->get_int("cron.missed_grace_secs", s.missed_grace_secs);
        s.max_jobs = c->get_int("cron.max_jobs", s.max_jobs);
        s.user_id = c->get_string("cron.user_id", s.user_id);
        return s;
    };
    d.submit = [&k](ChatMessage msg, DeliverySink sink) { return k.gateway.submit(std::move(msg), std::move(sink)); };
    d.append = [&k](const oxios_exchange& ex) { return k.sessions.append(ex); };
    d.may_fire = [duty = k.store.duty.get()] { return duty->held(); };  // one host of a cluster
    return d;
}

// The audit log on the state store's backend: PostgreSQL's audit tables (one
// chain for the cluster), else <workspace>/.oxios/audit/.
std::unique_ptr<audit::AuditLog> open_audit_log(const Config& c, const std::string& workspace,
                                                const std::shared_ptr<pg::Pool>& pool,
                                                std::function<uint64_t(std::string_view, std::string_view)> publish) {
    std::unique_ptr<audit::AuditStore> store;
    if (pool)
        store = std::make_unique<audit::PgAuditStore>(pool);
    else
        store = std::make_unique<audit::FileAuditStore>(fs::path(workspace) / ".oxios" / "audit", [&c] {
            return static_cast<uint64_t>(c.get_int("audit.max_file_bytes", 64 << 20));
        });
    return std::make_unique<audit::AuditLog>(audit::AuditLog::Options{
        std::move(store),
        [&c] {
            return audit::Settings{c.get_bool("audit.enabled", true),
                                   static_cast<uint64_t>(c.get_int("audit.memory_entries", 10'000))};
        },
        std::move(publish), clock::now_us});
}

}  // namespace

constexpr size_t kSubscriberQueue = 1024;

Kernel::Impl::Impl(const Options& opts)
    : options(opts),
      config(std::make_unique<Config>(opts.config_path)),
      workspace(resolve_workspace(opts, *config)),
      unreadable(workspace),
      security(*config, env_api_key()),
      // The replay ring must outlast the deepest backlog a subscriber may
      // have without being told it lagged (its queue, 1024): a plugin reload
      // hands every SSE stream over from the old instance's position, and the
      // new instance replays from the ring. Below that, a busy bus would make
      // a reload skip events. It is also where an SSE stream whose client
      // reads slower than events come for a while waits (backpressure, see
      // plugin/channels/sse_events.hpp): 16 queues' worth (a few MB, shared by
      // every stream) lets a client fall seconds behind before it needs a
      // resync. kernel.event_bus_capacity can only raise it.
      bus(std::max<size_t>(config_size(*config, "kernel.event_bus_capacity", 256), 16 * kSubscriberQueue),
          kSubscriberQueue, clock::now_us),
      store(open_state_store(*config, workspace, clock::now_us, &unreadable)),
      sessions(*store.sessions),
      spaces(*store.records, publisher(bus), clock::now_us),
      agents(publisher(bus), clock::now_us),
      personas(store.records.get(), text_publisher(bus), clock::now_us),
      budget(BudgetLedger::Options{store.records.get(), budget_settings_reader(*config),
                                   [this](std::string_view type, std::string_view fields) {
                                       const uint64_t seq = bus.publish(type, fields);
                                       if (type == "budget_exhausted" && audit) {  // once per transition, here
                                           const auto doc = json::parse_object(fields);
                                           const std::string id = doc ? json::get_string(*doc, "agent_id") : "";
                                           audit->record("agent:" + id, "budget.exhausted", id, false,
                                                         std::string_view("budget exhausted"));
                                       }
                                       return seq;
                                   },
                                   clock::now_us}),
      engine(
          std::make_shared<EngineHub>(*config, EngineServices{[this](std::string_view id) { return sessions.get(id); },
                                                              [this] { return personas.active_prompt(); }})),
      gateway(Gateway::Options{config_size(*config, "gateway.queue_capacity", 1024),
                               config_size(*config, "gateway.max_concurrent", 32),
                               [c = config.get()] {
                                   return static_cast<uint64_t>(c->get_int("gateway.reply_timeout_secs", 120)) * 1000;
                               }},
              engine,
              Gateway::Services{
                  &spaces, &agents, publisher(bus), [this](const ChatMessage& m) { return budget.admit(m.user_id); },
                  [this](const ChatMessage& m, const EngineReply& r, const Delivery& d, bool delivered) {
                      budget.record(m.user_id, m.content, d.content, r, delivered && d.kind == OXIOS_DELIVERY_REPLY);
                  }}) {
    if (!opts.config_path.empty())
        std::fprintf(stderr, "[info] config: %s (%s)\n", opts.config_path.c_str(), format_name(config->format()));
    for (const auto& note : config_notes(*config)) std::fprintf(stderr, "[warn] config: %s\n", note.c_str());
    if (store.pool) {
        event_log =
            std::make_unique<PgEventLog>(store.pool, bus,
                                         PgEventLog::Retention{config->get_int("events.retention_count", 100000),
                                                               config->get_int("events.retention_hours", 168)},
                                         clock::now_us, *store.duty);
        bus.set_history([log = event_log.get()](uint64_t after, uint64_t before, const EventFn& fn) {
            return log->history(after, before, fn);
        });
        bus.set_log([log = event_log.get()](EventBus::Text event) { log->append(std::move(event)); });
    }
    ServiceContext ctx;
    ctx.workspace = workspace;
    ctx.publish = text_publisher(bus);
    ctx.now_us = clock::now_us;
    ctx.unreadable = &unreadable;
    ctx.records = store.records.get();
    ctx.duty = store.duty.get();
    ctx.on_event = watch_events(bus, registry);
    ctx.on_event({"space_created", "space_activated", "space_archived"}, [this](const rapidjson::Value& e) {
        const std::string type = json::get_string(e, "type");  // an activation changes two spaces
        spaces.changed_elsewhere(type == "space_activated" || type == "lagged" ? "" : json::get_string(e, "space_id"));
    });
    git = std::make_unique<GitService>(GitService::Options{
        workspace,
        [c = config.get()] {
            return GitSettings{c->get_bool("git.enabled", true), c->get_int("git.commit_delay_ms", 2000),
                               c->get_int("git.max_commit_delay_ms", 10000), c->get_string("git.author_name", "oxios"),
                               c->get_string("git.author_email", "oxios@localhost")};
        },
        ctx.publish, clock::now_us});
    ctx.git = git.get();
    audit = open_audit_log(*config, workspace, store.pool, ctx.publish);
    ctx.audit = audit.get();
    auto knowledge_settings = [c = config.get()] {
        return KnowledgeSettings{c->get_int("knowledge.max_file_bytes", 1048576),
                                 c->get_int("knowledge.max_notes", 10000),
                                 c->get_int("knowledge.copilot_context_bytes", 16384)};
    };
    register_knowledge_service(registry, ctx, knowledge_settings);  // sets ctx.workspace_written
    register_knowledge_copilot(registry, gateway, knowledge_settings);
    register_workspace_service(registry, ctx);
    register_seeds_service(registry, ctx);
    register_skills_service(registry, ctx);
    register_memory_service(registry, ctx);
    register_approvals_service(registry, ctx);
    register_git_service(registry, ctx);
    register_resources_service(registry, ctx, resource_sources(*this));
    register_scheduler_service(registry, gateway);
    register_cron_service(registry, ctx, cron_deps(*this));
    register_personas_service(registry, personas);
    ctx.on_event({"persona_created", "persona_updated", "persona_deleted", "persona_activated"},
                 [this](const rapidjson::Value&) { personas.reload(); });
    register_budget_service(registry, budget);
    register_spaces_methods(registry, spaces);
    register_agents_methods(registry, agents);
    register_config_methods(registry, *config);
    register_engine_methods(registry, *config, *engine);
    register_system_methods(registry, *this);
    register_marketplace_service(registry, ctx, [c = config.get()] {
        return marketplace::Settings{
            c->get_string("marketplace.registry", ""), c->get_int("marketplace.timeout_ms", 10'000),
            c->get_int("marketplace.cache_secs", 300), c->get_int("marketplace.max_skill_bytes", 1 << 20),
            c->get_int("marketplace.max_files", 64)};
    });
    register_audit_service(registry, *audit);
    register_permissions_service(registry, *config, [this] { return security.key_count(); });
    audit_methods(registry, *audit);  // after every service: wraps the audited methods
    // Seeds and skills are read when listed: read them once now, so that a
    // file the host cannot read shows in /health/ready from the start.
    registry.call("seeds.list", "{}");
    registry.call("skills.list", "{}");
    audit->record("host", "host.start", workspace);
}

Kernel::Kernel(const Options& options) : impl_(std::make_unique<Impl>(options)) {}

Kernel::~Kernel() {
    if (impl_) {
        impl_->registry.stop();
        impl_->engine->abort_all();
        impl_->gateway.shutdown(0);
        impl_->budget.stop();  // stores the last usage
        impl_->git->stop();    // commits what is pending
    }
}

void Kernel::drain(uint32_t deadline_ms) { impl_->gateway.drain(deadline_ms); }

void Kernel::shutdown(uint32_t deadline_ms) {
    impl_->audit->record("host", "host.stop", impl_->workspace);
    impl_->registry.stop();      // service threads (resources sampler) first
    impl_->engine->abort_all();  // upstream model calls end now, not at the deadline
    impl_->gateway.shutdown(deadline_ms);
    impl_->budget.stop();  // after the last chat: stores its usage
    impl_->git->stop();    // after the last chat: commits what is pending
}

std::optional<std::string> Kernel::config_get(std::string_view dotted_key) const {
    return impl_->config->get(dotted_key);
}
uint64_t Kernel::config_generation() const { return impl_->config->generation(); }
std::string Kernel::workspace() const { return impl_->workspace; }
uint16_t Kernel::port() const { return static_cast<uint16_t>(impl_->config->get_int("gateway.port", 4200)); }
std::string Kernel::bind_host() const { return impl_->config->get_string("gateway.host", "127.0.0.1"); }

Status Kernel::submit(ChatMessage msg, DeliverySink sink) {
    return impl_->gateway.submit(std::move(msg), std::move(sink));
}
Status Kernel::call_chat(ChatMessage msg, DeliverySink sink) {
    return impl_->gateway.call(std::move(msg), std::move(sink));
}
void Kernel::cancel_connection(uint64_t connection) { impl_->gateway.cancel_connection(connection); }
size_t Kernel::queue_depth() const { return impl_->gateway.queue_depth(); }
size_t Kernel::in_flight() const { return impl_->gateway.in_flight(); }

SessionStore& Kernel::session_store() { return impl_->sessions; }
Result Kernel::session_get(std::string_view id) { return impl_->sessions.get(id); }
Status Kernel::session_append(const oxios_exchange& exchange) { return impl_->sessions.append(exchange); }
Result Kernel::session_list(uint32_t page, uint32_t limit) { return impl_->sessions.list(page, limit); }
Status Kernel::session_delete(std::string_view id) { return impl_->sessions.remove(id); }
Result Kernel::session_prune(bool force) {
    const int64_t max_sessions = impl_->config->get_int("session.max_sessions", 100);
    const int64_t ttl_hours = impl_->config->get_int("session.ttl_hours", 168);
    // The hourly prune is a once-only duty of the cluster; a forced one is an operator's.
    if (!force && !impl_->store.duty->held()) return Result{OXIOS_OK, prune_result_json(0, max_sessions, ttl_hours)};
    return impl_->sessions.prune(force, max_sessions, ttl_hours);
}

uint64_t Kernel::events_subscribe(EventFn fn) { return impl_->bus.subscribe(std::move(fn)); }
void Kernel::events_unsubscribe(uint64_t subscription) { impl_->bus.unsubscribe(subscription); }
uint64_t Kernel::events_since(uint64_t after_seq, const EventFn& fn) { return impl_->bus.since(after_seq, fn); }
bool Kernel::events_reach(uint64_t seq) { return !impl_->event_log || impl_->event_log->wait_for(seq); }
void Kernel::audit_record(std::string_view action, std::string_view resource, bool allowed, std::string_view reason) {
    impl_->audit->record("host", action, resource, allowed,
                         allowed ? std::nullopt : std::optional<std::string_view>(reason));
}
uint64_t Kernel::events_publish(std::string_view type, std::string_view fields_json) {
    return impl_->bus.publish(type, fields_json);
}

bool Kernel::token_valid(std::string_view token) const { return impl_->security.token_valid(token); }

Result Kernel::call(std::string_view method, std::string_view json_in) { return impl_->registry.call(method, json_in); }

void Kernel::set_plugins_status_provider(StatusProvider provider) {
    std::lock_guard lock(impl_->providers_mutex);
    impl_->plugins_status = std::move(provider);
}
void Kernel::set_http_metrics_provider(MetricsProvider provider) {
    std::lock_guard lock(impl_->providers_mutex);
    impl_->http_metrics = std::move(provider);
}

uint64_t Kernel::uptime_secs() const { return impl_->uptime_secs(); }
const std::string& Kernel::version() const { return impl_->options.host_version; }

}  // namespace oxios::kernel
