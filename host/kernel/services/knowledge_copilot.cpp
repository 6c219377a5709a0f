// knowledge.copilot (docs/api-knowledge.md, "Knowledge", rule 11): one prompt built
// from the context note and the top search hits, sent through the gateway
// as a host-initiated chat (user `copilot`, session `copilot-<uuid>`).
#include "gateway.hpp"
#include "infra/json_util.hpp"
#include "infra/uuid.hpp"
#include "services/knowledge_vault.hpp"
#include "services/service_registry.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>

namespace oxios::kernel {
namespace {

constexpr size_t kMaxQuestionBytes = 10240;
constexpr size_t kHitBytes = 4096;
constexpr int kHits = 3;

// At most `max` bytes of `s`, never cutting a UTF-8 character.
std::string clip_bytes(std::string s, size_t max) {
    if (s.size() <= max) return s;
    size_t end = max;
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
    s.resize(end);
    return s;
}

// The final delivery of one chat served by the gateway, waited for.
Delivery ask(Gateway& gateway, const std::string& prompt, Status& status) {
    struct Wait {
        std::mutex mutex;
        std::condition_variable done;
        std::optional<Delivery> last;
    };
    auto wait = std::make_shared<Wait>();
    ChatMessage msg;
    msg.id = uuid_v4();
    msg.user_id = "copilot";
    msg.session_id = "copilot-" + uuid_v4();
    msg.no_space = true;  // host-initiated: no space resolved or bumped
    msg.content = prompt;
    status = gateway.call(std::move(msg), [wait](const Delivery& d) {
        if (d.kind != OXIOS_DELIVERY_REPLY && d.kind != OXIOS_DELIVERY_ERROR) return;
        std::lock_guard lock(wait->mutex);
        wait->last = d;
        wait->done.notify_all();
    });
    if (status != OXIOS_OK) return {};
    std::unique_lock lock(wait->mutex);
    wait->done.wait(lock, [&] { return wait->last.has_value(); });  // the gateway always delivers once
    return *wait->last;
}

Result copilot(ServiceRegistry& registry, Gateway& gateway, const std::function<KnowledgeSettings()>& settings,
               const rapidjson::Value& in) {
    const std::string question = json::req_string(in, "question");
    if (question.size() > kMaxQuestionBytes) return error_result(OXIOS_E_TOO_LARGE, "question exceeds 10240 bytes");
    const auto context_path = json::opt_string(in, "context_path");
    std::vector<std::string> referenced;
    std::string prompt =
        "You are the copilot of a personal knowledge vault of markdown notes. Answer the question below; "
        "use the notes given when they help and name the ones you rely on.\n";
    auto add_note = [&](const std::string& path, size_t max) {
        json::Builder read;
        read.begin_object().field("path", path).end_object();
        Result note = registry.call("knowledge.read", read.str());
        if (!note.ok()) return;
        prompt += "\n## Note: " + path + "\n" + clip_bytes(std::move(note.body), max) + "\n";
        referenced.push_back(path);
    };
    if (context_path && !context_path->empty())
        add_note(*context_path, static_cast<size_t>(std::max<int64_t>(settings().copilot_context_bytes, 0)));
    json::Builder args;
    // The search takes 1 KiB of question: enough words to rank by.
    args.begin_object()
        .field("query", clip_bytes(question, 1024))
        .field("limit", kHits + 1)
        .field("match", "related")
        .end_object();
    const Result found = registry.call("knowledge.search", args.str());
    if (const auto doc = found.ok() ? json::parse_object(found.body) : std::nullopt) {
        int hits = 0;
        for (const auto& hit : (*doc)["results"].GetArray()) {
            const std::string path = json::get_string(hit, "path");
            if (hits == kHits || (context_path && path == *context_path)) continue;
            add_note(path, kHitBytes);
            ++hits;
        }
    }
    prompt += "\n## Question\n" + question + "\n";

    Status status = OXIOS_OK;
    const Delivery reply = ask(gateway, prompt, status);
    if (status != OXIOS_OK)
        return error_result(
            status, status == OXIOS_E_BUSY ? "the gateway queue is full, try again later" : "the gateway is closed");
    if (reply.kind == OXIOS_DELIVERY_ERROR) return error_result(reply.error, reply.content);
    json::Builder out;
    out.begin_object().field("content", reply.content).field("referenced_notes", referenced).end_object();
    return out.result();
}

}  // namespace

void register_knowledge_copilot(ServiceRegistry& registry, Gateway& gateway,
                                const std::function<KnowledgeSettings()>& settings) {
    registry.add("knowledge.copilot", [&registry, &gateway, settings](const rapidjson::Value& in) {
        return copilot(registry, gateway, settings, in);
    });
}

}  // namespace oxios::kernel
