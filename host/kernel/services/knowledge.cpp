// knowledge.* (abi/METHODS.md; docs/api-knowledge.md, "Knowledge"): the vault's files,
// links, search, graph, and one note's git history and restore.
#include "services/knowledge_service.hpp"

#include "infra/json_util.hpp"
#include "services/fs_util.hpp"
#include "services/git_service.hpp"
#include "services/service_error.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace oxios::kernel::services {
namespace {
namespace fs = std::filesystem;

constexpr size_t kMaxGraphNodes = 2000;
constexpr size_t kMaxQueryBytes = 1024;
constexpr int64_t kHistoryLimit = 50;
constexpr std::string_view kVaultDir = "knowledge/";

const char* change_name(Vault::Change change) {
    switch (change) {
        case Vault::Change::created:
            return "created";
        case Vault::Change::updated:
            return "updated";
        case Vault::Change::deleted:
            return "deleted";
        case Vault::Change::restored:
            return "restored";
    }
    return "updated";
}

// The vault-relative path of a workspace-relative one, nullopt outside the vault.
std::optional<std::string> in_vault(std::string_view workspace_path) {
    if (workspace_path.substr(0, kVaultDir.size()) != kVaultDir) return std::nullopt;
    return std::string(workspace_path.substr(kVaultDir.size()));
}

Result tree(KnowledgeService& s, const rapidjson::Value& in) {
    return Result{OXIOS_OK, s.vault->tree_json(json::opt_string(in, "dir").value_or(""))};
}

Result read(KnowledgeService& s, const rapidjson::Value& in) {
    return Result{OXIOS_OK, s.vault->read(json::req_string(in, "path"))};  // raw bytes
}

Result write(KnowledgeService& s, const rapidjson::Value& in) {
    s.vault->write(json::req_string(in, "path"), json::req_string(in, "content"), "file", s.settings().max_file_bytes);
    return Result{OXIOS_OK, "{}"};
}

Result remove(KnowledgeService& s, const rapidjson::Value& in) {
    s.vault->remove(json::req_string(in, "path"));
    return Result{OXIOS_OK, "{}"};
}

// A note's path checked by the vault's rules (400/403), vault-relative.
std::string note_path(KnowledgeService& s, const rapidjson::Value& in) {
    const std::string path = json::opt_string(in, "path").value_or("");
    if (path.empty()) fail(OXIOS_E_INVALID, "path is required");
    std::string rel = s.vault->resolve(path).relative;
    if (rel.empty()) fail(OXIOS_E_INVALID, "path is required");
    return rel;
}

Result history(KnowledgeService& s, const rapidjson::Value& in) {
    json::Builder args;
    args.begin_object()
        .field("path", std::string(kVaultDir) + note_path(s, in))
        .field("limit", kHistoryLimit)
        .end_object();
    Result out = s.registry->call("git.history", args.str());
    if (out.status == OXIOS_E_BUSY) return Result{OXIOS_OK, R"({"history":[],"count":0})"};  // git off: no history
    return out;
}

Result restore(KnowledgeService& s, const rapidjson::Value& in) {
    const std::string rel = note_path(s, in);
    const std::string hash = json::req_string(in, "hash");
    json::Builder args;
    args.begin_object().field("hash", hash).field("path", std::string(kVaultDir) + rel).end_object();
    Result out = s.registry->call("git.restore", args.str());  // the index follows through on_restored
    if (out.status != OXIOS_OK) return out;
    const auto doc = json::parse_object(out.body);
    if (!doc) fail(OXIOS_E_INTERNAL, "git.restore answered no JSON");
    json::Builder body;
    body.begin_object()
        .field("status", "restored")
        .field("path", rel)
        .field("from", json::get_string(*doc, "from"))
        .field("commit", json::get_string(*doc, "commit"))
        .end_object();
    return body.result();
}

Result search(KnowledgeService& s, const rapidjson::Value& in) {
    const std::string query = json::req_string(in, "query");
    if (query.size() > kMaxQueryBytes) fail(OXIOS_E_TOO_LARGE, "query exceeds 1024 bytes");
    const auto limit = static_cast<size_t>(std::clamp<int64_t>(json::opt_int(in, "limit").value_or(20), 1, 100));
    const auto match = json::opt_string(in, "match").value_or("every_term");
    if (match != "every_term" && match != "related") fail(OXIOS_E_INVALID, "match must be every_term or related");
    const auto hits = s.index.search(
        query, limit,
        match == "related" ? knowledge::LinkIndex::Match::related : knowledge::LinkIndex::Match::every_term);
    json::Builder out;
    out.begin_object().key("results").begin_array();
    for (const auto& h : hits)
        out.begin_object()
            .field("path", h.path)
            .field("name", h.name)
            .field("snippet", h.snippet)
            .field("backlink_count", h.backlink_count)
            .field("name_similarity", h.name_similarity)
            .end_object();
    out.end_array().field("count", hits.size()).field("query", query).end_object();
    return out.result();
}

Result backlinks(KnowledgeService& s, const rapidjson::Value& in) {
    const auto list = s.index.backlinks(note_path(s, in));
    json::Builder out;
    out.begin_array();
    for (const auto& b : list)
        out.begin_object()
            .field("source_path", b.source_path)
            .field("link_text", b.link_text)
            .field("context", b.context)
            .end_object();
    out.end_array();
    return out.result();
}

}  // namespace

void KnowledgeService::changed(const std::string& path, Vault::Change change, std::string_view source,
                               const std::optional<std::string>& content) {
    if (content)
        index.put(path, *content);
    else
        index.remove(path);
    if (!ctx.publish) return;
    json::Builder event;
    event.begin_object().field("path", path).field("change", change_name(change)).field("source", source).end_object();
    ctx.publish("knowledge_changed", event.str());
}

void KnowledgeService::reindex(const std::string& path) {
    try {
        if (const auto content = vault->read_if_exists(path))
            index.put(path, *content);
        else
            index.remove(path);
    } catch (const ServiceError&) {
        // Not a path the vault serves: never indexed.
    }
}

void KnowledgeService::rebuild() {
    const auto started = std::chrono::steady_clock::now();
    const auto max_notes = static_cast<size_t>(std::max<int64_t>(settings().max_notes, 0));
    std::vector<std::pair<std::string, std::string>> found;
    size_t notes = 0;
    std::error_code ec;
    fs::recursive_directory_iterator it(vault->root(), ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (knowledge_paths::hidden(name)) {
            if (it->is_directory(ec)) it.disable_recursion_pending();
            continue;
        }
        if (!it->is_regular_file(ec) || name.size() < 4 || name.substr(name.size() - 3) != ".md") continue;
        if (notes == max_notes) {
            std::fprintf(stderr, "[warn] knowledge: more than %zu notes; the rest is not indexed\n", max_notes);
            break;
        }
        try {
            auto content = files::read_file(it->path());
            if (!content) continue;
            found.emplace_back(it->path().lexically_relative(vault->root()).string(), std::move(*content));
            ++notes;
        } catch (const std::system_error& e) {
            std::fprintf(stderr, "[warn] knowledge: cannot read %s: %s\n", it->path().c_str(), e.what());
        }
    }
    index.reset(std::move(found));
    const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    std::fprintf(stderr, "[info] knowledge: indexed %zu notes in %.1f ms\n", notes, ms);
}

}  // namespace oxios::kernel::services

namespace oxios::kernel {

void register_knowledge_service(ServiceRegistry& registry, ServiceContext& ctx,
                                std::function<KnowledgeSettings()> settings) {
    using services::KnowledgeService;
    auto svc = std::make_shared<KnowledgeService>();
    svc->ctx = ctx;
    svc->settings = std::move(settings);
    svc->registry = &registry;
    std::weak_ptr<KnowledgeService> weak = svc;
    svc->vault =
        std::make_unique<services::Vault>(ctx.workspace, ctx.git,
                                          [weak](const std::string& path, services::Vault::Change change,
                                                 std::string_view source, const std::optional<std::string>& content) {
                                              if (auto s = weak.lock()) s->changed(path, change, source, content);
                                          });
    svc->rebuild();

    // workspace.write under knowledge/ (rule 4); git already has it.
    ctx.workspace_written = [weak](const std::string& path, bool created) {
        auto s = weak.lock();
        auto rel = services::in_vault(path);
        if (!s || !rel) return;
        try {
            s->changed(*rel, created ? services::Vault::Change::created : services::Vault::Change::updated, "workspace",
                       s->vault->read_if_exists(*rel));
        } catch (const services::ServiceError&) {
            // A path the vault does not serve (a hidden one): written, not indexed.
        }
    };
    if (ctx.git != nullptr)
        ctx.git->on_restored([weak](const GitService::RestoreReport& report) {
            auto s = weak.lock();
            if (!s) return;
            if (!report.path) return s->rebuild();  // the whole tree moved
            if (auto rel = services::in_vault(*report.path))
                s->changed(*rel, services::Vault::Change::restored, "file", s->vault->read_if_exists(*rel));
        });

    // A host of a cluster sharing the workspace wrote a note: read it again
    // (after this host's own writes the index is current, and reading changes nothing).
    if (ctx.on_event)
        ctx.on_event({"knowledge_changed"}, [weak](const rapidjson::Value& e) {
            auto s = weak.lock();
            if (!s) return;
            if (json::get_string(e, "type") == "lagged") return s->rebuild();
            s->reindex(json::get_string(e, "path"));
        });

    auto add = [&](const char* name, Result (*fn)(KnowledgeService&, const rapidjson::Value&)) {
        registry.add(std::string("knowledge.") + name, [svc, fn](const rapidjson::Value& in) { return fn(*svc, in); });
    };
    add("tree", services::tree);
    add("read", services::read);
    add("write", services::write);
    add("delete", services::remove);
    add("history", services::history);
    add("restore", services::restore);
    add("search", services::search);
    add("backlinks", services::backlinks);
    services::register_knowledge_pages(registry, svc);
    registry.add("knowledge.graph", [svc](const rapidjson::Value&) {
        return Result{OXIOS_OK, svc->index.graph_json(services::kMaxGraphNodes)};
    });
}

}  // namespace oxios::kernel
