// The vault's files (docs/api-knowledge.md, "Knowledge", rules 1-4): tree, raw read,
// atomic write and delete under <workspace>/knowledge. One lock serialises
// vault writes; each write is reported to git and to the change listener
// (the link index and the knowledge_changed event).
#pragma once

#include "services/knowledge_paths.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace oxios::kernel {

class GitService;

struct KnowledgeSettings {  // config section `knowledge`
    int64_t max_file_bytes = 1048576;
    int64_t max_notes = 10000;
    int64_t copilot_context_bytes = 16384;
};

namespace services {

// True when `bytes` is valid UTF-8.
bool valid_utf8(std::string_view bytes);

class Vault {
public:
    enum class Change { created, updated, deleted, restored };
    // (vault-relative path, change, source, new content or nullopt when gone)
    using Listener = std::function<void(const std::string& path, Change change, std::string_view source,
                                        const std::optional<std::string>& content)>;

    // `root` = <workspace>/knowledge, created when missing.
    Vault(const std::filesystem::path& workspace, GitService* git, Listener listener);

    const std::filesystem::path& root() const { return root_; }
    workspace_paths::Resolved resolve(std::string_view path) const { return knowledge_paths::resolve(root_, path); }

    // [{"name","is_dir","size"}] of `dir`, dot-names left out.
    std::string tree_json(std::string_view dir) const;
    // Raw bytes of a regular file; NOT_FOUND "file not found".
    std::string read(std::string_view path) const;
    // The file's content, nullopt when it does not exist (no error).
    std::optional<std::string> read_if_exists(std::string_view path) const;

    // Replaces (or creates, with its parents) the file. INVALID for a
    // directory, non-UTF-8 content; TOO_LARGE over `max_bytes`; CONFLICT
    // "refusing to overwrite a binary file". `<dir>/.keep` makes a directory.
    void write(std::string_view path, std::string_view content, std::string_view source, int64_t max_bytes);
    // Read-modify-write under the vault lock: `edit` gets the current content
    // (nullopt when missing) and returns the new one (nullopt = no change).
    void edit(std::string_view path, std::string_view source, int64_t max_bytes,
              const std::function<std::optional<std::string>(const std::optional<std::string>&)>& edit);
    // A file, or a directory empty but for `.keep`. NOT_FOUND; CONFLICT
    // "directory not empty".
    void remove(std::string_view path);

private:
    void write_locked(const workspace_paths::Resolved& at, std::string_view content, std::string_view source,
                      int64_t max_bytes);
    std::string workspace_relative(const std::filesystem::path& real) const;

    std::filesystem::path workspace_, root_;
    GitService* git_;
    Listener listener_;
    std::mutex writes_;
};

}  // namespace services
}  // namespace oxios::kernel
