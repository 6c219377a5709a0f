// The vault's text formats: chat blocks and msg_hash, checklist placement,
// journal naming and headers (month boundary, ±HH:MM zone), habits markers.
#include "services/knowledge_text.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace oxios::kernel::services::knowledge;

namespace {

// 2026-06-07 (a Sunday) 09:05 UTC.
constexpr int64_t kSundayMorning = int64_t{1780823100} * 1000000;

}  // namespace

TEST_CASE("msg_hash: MD5 of the first line without the checkbox, as the UI computes it") {
    CHECK(msg_hash("- [ ] `09:00` Buy milk") == "519984d180c");
    CHECK(msg_hash("- [x] `09:00` Buy milk\nmore lines") == "519984d180c");
    CHECK(msg_hash("`09:00` Buy milk") == "519984d180c");
    CHECK(msg_hash("- [ ] `09:01` Buy milk") != "519984d180c");
}

TEST_CASE("chat blocks: headers, messages, continuation lines, text before the first block") {
    const auto blocks = chat_blocks(
        "intro line\n\n#### 07 June, Sunday\n- [ ] `09:00` one\n  continued\n\n- [x] two\n#### 08 June, Monday\n");
    CHECK(blocks == std::vector<std::string>{"intro line", "#### 07 June, Sunday", "- [ ] `09:00` one\n  continued",
                                             "- [x] two", "#### 08 June, Monday"});
    CHECK(chat_blocks("").empty());
    CHECK(chat_blocks("\n\n- [ ] a").size() == 1);  // blank preamble is no block
}

TEST_CASE("chat append: today's header once, HH:MM in the zone, one line; delete by hash keeps headers") {
    const std::tm utc = local_time(kSundayMorning, "UTC");
    std::string chat = chat_append("", "Buy\nmilk", utc);
    CHECK(chat == "#### 07 June, Sunday\n- [ ] `09:05` Buy\nmilk\n");  // caller passes one_line text
    chat = chat_append("", one_line("  Buy\r\nmilk  "), utc);
    CHECK(chat == "#### 07 June, Sunday\n- [ ] `09:05` Buy milk\n");
    chat = chat_append(chat, "second", utc);
    CHECK(chat == "#### 07 June, Sunday\n- [ ] `09:05` Buy milk\n- [ ] `09:05` second\n");
    const std::tm tokyo = local_time(kSundayMorning, "+09:30");
    CHECK(tokyo.tm_hour == 18);
    CHECK(tokyo.tm_min == 35);
    CHECK(local_time(kSundayMorning, "-10:00").tm_mday == 6);  // still Saturday there
    chat = chat_append(chat, "late", local_time(kSundayMorning, "+23:00"));
    CHECK(chat.find("#### 08 June, Monday\n- [ ] `08:05` late\n") != std::string::npos);

    const auto hash = msg_hash("- [ ] `09:05` Buy milk");
    auto after = chat_delete(chat, hash);
    REQUIRE(after);
    CHECK(*after == "#### 07 June, Sunday\n- [ ] `09:05` second\n#### 08 June, Monday\n- [ ] `08:05` late\n");
    CHECK(!chat_delete(*after, hash));
    CHECK(!chat_delete(*after, msg_hash("#### 07 June, Sunday")));  // headers are not messages
}

TEST_CASE("checklist add: unchecked before the first open item, checked at the end, same item moved") {
    std::string list = checklist_add("", "milk", false);
    CHECK(list == "- [ ] milk\n");
    list = checklist_add("# Shop\n- [x] done\n- [ ] eggs\n", "milk", false);
    CHECK(list == "# Shop\n- [x] done\n- [ ] milk\n- [ ] eggs\n");
    list = checklist_add(list, "milk", true);
    CHECK(list == "# Shop\n- [x] done\n- [ ] eggs\n- [x] milk\n");
    CHECK(checklist_add("# Later\n", "x", false) == "# Later\n- [ ] x\n");
}

TEST_CASE("journal: monthly file with journal/, day header, across a month boundary and in a zone") {
    const std::tm utc = local_time(kSundayMorning, "UTC");
    CHECK(journal_path(utc) == "journal/2026.06 June.md");
    std::string j = journal_add("", "slept well jj", utc);
    CHECK(j == "## 7 June, Sunday\n`09:05` slept well jj\n");
    j = journal_add(j, "more", utc);
    CHECK(j == "## 7 June, Sunday\n`09:05` slept well jj\n`09:05` more\n");
    // 2026-06-30 23:30 UTC is already July 1st at +01:00.
    const int64_t june_end = int64_t{1782862200} * 1000000;
    CHECK(journal_path(local_time(june_end, "UTC")) == "journal/2026.06 June.md");
    const std::tm july = local_time(june_end, "+01:00");
    CHECK(journal_path(july) == "journal/2026.07 July.md");
    CHECK(journal_add("", "x", july) == "## 1 July, Wednesday\n`00:30` x\n");
    CHECK(check_zone("+05:30"));
    CHECK(!check_zone("+5:30"));
    CHECK(!check_zone("Europe/Paris"));
    CHECK(!check_zone("+24:00"));
}

TEST_CASE("habits: markers per day from the 1st, optional U+FE0F, Mood scale, unknown habits left out") {
    Habits habits{{"Run", {}}, {"Mood", {}}};
    fill_habits(habits,
                "# 2026\n### January\n\U0001F7E2\u26AA\uFE0F\U0001F7E1 Run\n\U0001F610\U0001F60A\u26AA Mood\n"
                "\U0001F7E2 Swim\n### February\n\u26AA\U0001F7E2 Run\nnot a marker line\n",
                2026);
    CHECK(habits["Run"] == std::map<int, int>{{1, 1}, {2, 0}, {3, 1}, {32, 0}, {33, 1}});
    CHECK(habits["Mood"] == std::map<int, int>{{1, 3}, {2, 5}, {3, 0}});
    CHECK(habits.count("Swim") == 0);
}
