// The vault's text formats the UI's regular expressions parse (docs/api-knowledge.md,
// "Knowledge", rules 12-19): the chat file, checklists, the journal and the
// habits file, as pure functions of a file's text and a local time.
#pragma once

#include <cstdint>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oxios::kernel::services::knowledge {

// "local" (the host's zone), "UTC" or "±HH:MM"; nullopt for anything else.
std::optional<std::string> check_zone(std::string_view zone);
// `unix_us` as a broken-down time in `zone` (an unknown zone counts as local).
std::tm local_time(int64_t unix_us, std::string_view zone);

// Trimmed, every line break a space (the UI's regexes have no `s` flag).
std::string one_line(std::string_view text);

// --- chat (Chat.md) ---
// Message and header blocks, text before the first one too (rule 14).
std::vector<std::string> chat_blocks(std::string_view content);
// First 11 hex digits of MD5 over the block's first line minus `- [ ] `.
std::string msg_hash(std::string_view block);
// The file with today's header (when missing) and ``- [ ] `HH:MM` <text>``.
std::string chat_append(std::string_view content, std::string_view text, const std::tm& now);
// The file without the first message block of that hash; nullopt if none.
std::optional<std::string> chat_delete(std::string_view content, std::string_view hash);

// --- checklists, journal ---
std::string checklist_add(std::string_view content, std::string_view item, bool checked);
std::string journal_path(const std::tm& now);  // journal/<YYYY>.<MM> <Month>.md
std::string journal_add(std::string_view content, std::string_view record, const std::tm& now);

// --- habits: {habit: {day of year: status}} from `insights/<year> Habits.md`
using Habits = std::map<std::string, std::map<int, int>>;
void fill_habits(Habits& habits, std::string_view insights, int year);

}  // namespace oxios::kernel::services::knowledge
