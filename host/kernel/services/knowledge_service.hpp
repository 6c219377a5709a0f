// The knowledge service's shared state (knowledge.cpp: files, links, history;
// knowledge_pages.cpp: chat, checklist, journal, habits, config; copilot).
#pragma once

#include "services/knowledge_index.hpp"
#include "services/knowledge_vault.hpp"
#include "services/service_registry.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace oxios::kernel::services {

struct KnowledgeService {
    ServiceContext ctx;
    std::function<KnowledgeSettings()> settings;
    ServiceRegistry* registry = nullptr;  // git.history / git.restore
    knowledge::LinkIndex index;
    std::unique_ptr<Vault> vault;

    // Rule 4: the index follows the write; knowledge_changed {path, change, source}.
    void changed(const std::string& path, Vault::Change change, std::string_view source,
                 const std::optional<std::string>& content);
    // Indexes every note of the vault (at most knowledge.max_notes).
    void rebuild();
    // The note at `path` as it is on disk now, into the index (another host
    // of a cluster wrote the shared vault).
    void reindex(const std::string& path);
};

// chat_*, checklist_add, journal_*, habits, config_* (knowledge_pages.cpp).
void register_knowledge_pages(ServiceRegistry& registry, const std::shared_ptr<KnowledgeService>& svc);

}  // namespace oxios::kernel::services
