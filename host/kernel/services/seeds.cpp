// seeds.list / seeds.get / seeds.evolution (abi/METHODS.md).
//
// Storage (written by the orchestrator; this service only reads):
//   <workspace>/seeds/<id>.json   a JSON object with at least
//       "id", "goal", "constraints" (array of strings), "generation" (number),
//       "parent_seed_id" (string or null), "created_at" (RFC 3339 UTC)
//   <workspace>/evals/<id>-eval.md   the evaluation of a seed: Markdown in
//       which the first line of the form `score: <number>` gives the score
//       (0..1) and the first line `passed: true|false` the verdict. Keys are
//       case-insensitive; a leading list marker (`- `, `* `) and bold markup
//       (`**score**: 0.8`) are allowed. A missing file or line gives null.
// Ids follow ^[A-Za-z0-9_-]{1,128}$.
#include "infra/ids.hpp"
#include "infra/json_util.hpp"
#include "infra/uuid.hpp"
#include "services/fs_util.hpp"
#include "services/service_error.hpp"
#include "services/service_registry.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <unordered_set>
#include <vector>

namespace oxios::kernel::services {
namespace {
namespace fs = std::filesystem;

constexpr size_t kMaxChain = 10000;  // bounds a walk even without a cycle

struct Evaluation {
    std::optional<double> score;
    std::optional<bool> passed;
};

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view strip_markup(std::string_view s) {
    s = trim(s);
    if (s.starts_with("- ") || s.starts_with("* ")) s.remove_prefix(2);
    while (!s.empty() && (s.front() == '*' || s.front() == '_')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == '*' || s.back() == '_')) s.remove_suffix(1);
    return trim(s);
}

Evaluation parse_evaluation(std::string_view text) {
    Evaluation ev;
    size_t start = 0;
    while (start < text.size() && !(ev.score && ev.passed)) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        start = end + 1;
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string key = lower(strip_markup(line.substr(0, colon)));
        std::string value = lower(strip_markup(line.substr(colon + 1)));
        if (key == "score" && !ev.score && !value.empty()) {
            char* endp = nullptr;
            double d = std::strtod(value.c_str(), &endp);
            if (endp && *endp == '\0' && std::isfinite(d)) ev.score = d;
        } else if (key == "passed" && !ev.passed) {
            if (value == "true" || value == "yes")
                ev.passed = true;
            else if (value == "false" || value == "no")
                ev.passed = false;
        }
    }
    return ev;
}

struct SeedsService {
    ServiceContext ctx;

    fs::path seeds_dir() const { return fs::path(ctx.workspace) / "seeds"; }
    fs::path evals_dir() const { return fs::path(ctx.workspace) / "evals"; }

    // The parsed seed; nullopt when absent, unreadable or not a JSON object
    // (those two reported as unreadable).
    std::optional<rapidjson::Document> load(const std::string& id) const {
        const fs::path file = seeds_dir() / (id + ".json");
        std::optional<std::string> text;
        try {
            text = files::read_file(file);
        } catch (const std::system_error& e) {
            report_unreadable(ctx.unreadable, file, "cannot read: " + e.code().message());
            return std::nullopt;
        }
        if (!text) return std::nullopt;
        auto doc = json::parse_object(*text);
        if (doc)
            clear_unreadable(ctx.unreadable, file);
        else
            report_unreadable(ctx.unreadable, file, "not a seed (malformed JSON or not an object)");
        return doc;
    }

    Evaluation evaluation(const std::string& id) const {
        try {
            if (auto text = files::read_file(evals_dir() / (id + "-eval.md"))) return parse_evaluation(*text);
        } catch (const std::system_error&) {
        }
        return {};
    }

    static std::string id_arg(const rapidjson::Value& in) {
        std::string id = json::req_string(in, "id");
        if (!kernel::valid_id(id)) fail(OXIOS_E_INVALID, "invalid seed id");
        return id;
    }

    Result list(const rapidjson::Value& in) const {
        auto page = json::read_page(in);
        struct Summary {
            std::string id, goal;
            size_t constraints = 0;
            std::optional<std::string> created_at;
        };
        std::vector<Summary> all;
        std::error_code ec;
        for (fs::directory_iterator it(seeds_dir(), ec), end; !ec && it != end; it.increment(ec)) {
            const fs::path& p = it->path();
            if (p.extension() != ".json") continue;
            std::string id = p.stem().string();
            if (!kernel::valid_id(id)) continue;
            auto doc = load(id);
            if (!doc) continue;
            Summary s;
            s.id = json::member_string(*doc, "id").value_or(id);
            s.goal = json::member_string(*doc, "goal").value_or("");
            auto c = doc->FindMember("constraints");
            if (c != doc->MemberEnd() && c->value.IsArray()) s.constraints = c->value.Size();
            s.created_at = json::member_string(*doc, "created_at");
            all.push_back(std::move(s));
        }
        // Newest first (RFC 3339 UTC strings order chronologically); undated last.
        std::sort(all.begin(), all.end(), [](const Summary& a, const Summary& b) {
            if (a.created_at.has_value() != b.created_at.has_value()) return a.created_at.has_value();
            if (a.created_at != b.created_at) return *a.created_at > *b.created_at;
            return a.id < b.id;
        });
        json::Builder out;
        out.begin_object().key("items").begin_array();
        for (uint64_t i = page.offset(); i < all.size() && i < page.offset() + page.limit; ++i) {
            const auto& s = all[i];
            out.begin_object()
                .field("id", s.id)
                .field("goal", s.goal)
                .field("constraints_count", s.constraints)
                .field("created_at", s.created_at)
                .end_object();
        }
        out.end_array().field("total", all.size()).end_object();
        return out.result();
    }

    Result get(const rapidjson::Value& in) const {
        std::string id = id_arg(in);
        std::optional<std::string> text;
        try {
            text = files::read_file(seeds_dir() / (id + ".json"));
        } catch (const std::system_error& e) {
            fail(OXIOS_E_IO, "cannot read seed: " + e.code().message());
        }
        if (!text) fail(OXIOS_E_NOT_FOUND, "seed not found");
        if (!json::parse_object(*text)) fail(OXIOS_E_IO, "seed file is not a JSON object");
        return Result{OXIOS_OK, std::move(*text)};  // the stored seed as it is
    }

    Result evolution(const rapidjson::Value& in) const {
        std::string id = id_arg(in);
        struct Node {
            std::string id, goal;
            std::optional<double> generation;
            std::optional<std::string> parent_id;
            Evaluation eval;
        };
        std::vector<Node> chain;
        std::unordered_set<std::string> seen;
        std::optional<std::string> next = id;
        while (next && kernel::valid_id(*next) && seen.insert(*next).second && chain.size() < kMaxChain) {
            auto doc = load(*next);
            if (!doc) break;  // the oldest seed still on disk is the root
            Node n;
            n.id = *next;
            n.goal = json::member_string(*doc, "goal").value_or("");
            auto g = doc->FindMember("generation");
            if (g != doc->MemberEnd() && g->value.IsNumber()) n.generation = g->value.GetDouble();
            n.parent_id = json::member_string(*doc, "parent_seed_id");
            if (n.parent_id && n.parent_id->empty()) n.parent_id.reset();
            n.eval = evaluation(n.id);
            next = n.parent_id;
            chain.push_back(std::move(n));
        }
        if (chain.empty()) fail(OXIOS_E_NOT_FOUND, "seed evolution not found");

        json::Builder out;
        out.begin_array();
        for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
            out.begin_object().field("id", it->id);
            if (it->generation && std::fabs(*it->generation) < 9.0e15 && *it->generation == std::floor(*it->generation))
                out.field("generation", static_cast<int64_t>(*it->generation));
            else
                out.field("generation", it->generation);
            out.field("goal", it->goal)
                .field("parent_id", it->parent_id)
                .field("score", it->eval.score)
                .field("passed", it->eval.passed)
                .end_object();
        }
        out.end_array();
        return out.result();
    }
};

}  // namespace
}  // namespace oxios::kernel::services

namespace oxios::kernel {

void register_seeds_service(ServiceRegistry& registry, const ServiceContext& ctx) {
    auto svc = std::make_shared<services::SeedsService>(services::SeedsService{ctx});
    registry.add("seeds.list", [svc](const rapidjson::Value& in) { return svc->list(in); });
    registry.add("seeds.get", [svc](const rapidjson::Value& in) { return svc->get(in); });
    registry.add("seeds.evolution", [svc](const rapidjson::Value& in) { return svc->evolution(in); });
}

}  // namespace oxios::kernel
