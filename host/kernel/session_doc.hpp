// One session file (API.md "Session file") held in memory in a form that
// makes an append cheap: the two message arrays are kept as serialised item
// text, everything else as a small JSON document. Appending serialises only
// the new items; writing the file splices the pieces (no re-serialisation of
// old messages), so the cost of an append barely depends on the history.
#pragma once

#include "oxios_plugin.h"

#include <rapidjson/document.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace oxios::kernel {

struct SessionSummary {
    std::string id, user_id, space_id, active_seed_id;  // "" = null
    std::string created_at, updated_at;
    int64_t created_us = 0, updated_us = 0;
    uint64_t message_count = 0;  // user messages
};

class SessionDoc {
public:
    static SessionDoc create(std::string_view id, std::string_view user_id, int64_t now_us);
    // Parses a session file; nullopt when it is not a JSON object.
    static std::optional<SessionDoc> parse(std::string_view text);
    // The summary of a file's text without keeping it (index build).
    static std::optional<SessionSummary> summarize(std::string_view id, std::string_view text);

    void append(const oxios_exchange& exchange, int64_t now_us);
    void write(const std::filesystem::path& file) const;  // atomic + durable
    std::string to_json() const;                          // the file's text
    SessionSummary summary(std::string_view id) const;
    size_t bytes() const { return user_items_.size() + agent_items_.size() + 256; }

private:
    // Serialises the head/tail with placeholders; returns the text and the
    // offsets of the two "[]" placeholders.
    std::string frame(size_t& user_at, size_t& agent_at) const;

    rapidjson::Document meta_;  // every member except the two arrays
    std::string user_items_, agent_items_;  // "{...},{...}"
    uint64_t user_count_ = 0;
};

}  // namespace oxios::kernel
