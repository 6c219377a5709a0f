// libFuzzer target: the session-file parser and the session store's reading
// of a session's files (index build, get, append, journal replay).
//
// Input: the text of one session file (<workspace>/sessions/<id>.json),
// optionally followed by a NUL and the text of its journal (<id>.journal).
//
// Directly: SessionDoc::summarize (what the index build reads),
// SessionDoc::parse (what an append to a session not in the cache reads) and
// scan_journal; when the file parses, an exchange is appended and the file
// text rebuilt. Then through the store: the files are placed in a private
// sessions directory (tmpfs when there is one), a FileSessionStore (small journal
// threshold, so both append paths run) indexes them, lists, gets the session,
// appends an exchange (as POST /api/chat does), gets it again (one input in
// 8, see below: files are slow); then a second
// store over the same directory (after the first one's flush) must serve the
// same session.
//
// Checked besides sanitizer reports: summarize and parse agree on what is a
// session file; a rebuilt file is a JSON object with one user_messages and
// one agent_responses array, each exactly one exchange longer, and the
// summary's message count matches; an append to a readable session succeeds
// and adds exactly one exchange to what get() serves; a restart serves the
// same session.
#include "file_session_store.hpp"
#include "fuzz_common.hpp"
#include "session_doc.hpp"

#include <rapidjson/document.h>

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

namespace fs = std::filesystem;
using oxios::kernel::FileSessionStore;
using oxios::kernel::SessionDoc;

namespace {

constexpr int64_t kNowUs = 1'780'000'000'000'000;  // 2026-05-28
constexpr const char* kId = "fuzz-session";

const fs::path& sessions_dir() {
    static const fs::path dir = [] {
        const fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
        fs::path d = base / ("oxios-fuzz-session-" + std::to_string(::getpid()));
        fs::create_directories(d);
        std::atexit([] {
            std::error_code ec;
            fs::remove_all(sessions_dir(), ec);
        });
        return d;
    }();
    return dir;
}

oxios_str s(const char* text) { return oxios_str{text, std::strlen(text)}; }

oxios_exchange exchange() {
    oxios_exchange ex{};
    ex.size = sizeof(ex);
    ex.session_id = s(kId);
    ex.user_id = s("fuzz-user");
    ex.space_id = s("fuzz-space");
    ex.user_content = s("hello \"there\"\n");
    ex.reply_content = s("echo: hello");
    ex.seed_id = s("seed-1");
    ex.phase = s("execute");
    ex.evaluation_passed = 1;
    ex.user_time_us = kNowUs - 1000;
    ex.reply_time_us = kNowUs;
    return ex;
}

size_t array_size(const rapidjson::Value& obj, const char* name) {
    auto m = obj.FindMember(name);
    return (m != obj.MemberEnd() && m->value.IsArray()) ? m->value.Size() : 0;
}

// The rebuilt file text: a JSON object with each array one item longer.
void check_rebuilt(const std::string& text, size_t users_before, size_t agents_before, uint64_t summary_count) {
    rapidjson::Document d;
    d.Parse(text.c_str(), text.size());
    if (d.HasParseError() || !d.IsObject()) oxios_fuzz::fail("rebuilt session is not a JSON object", text);
    int users = 0, agents = 0;
    for (const auto& m : d.GetObject()) {
        if (std::strcmp(m.name.GetString(), "user_messages") == 0) ++users;
        if (std::strcmp(m.name.GetString(), "agent_responses") == 0) ++agents;
    }
    if (users != 1 || agents != 1) oxios_fuzz::fail("rebuilt session repeats or lacks a message array", text);
    if (array_size(d, "user_messages") != users_before + 1 || array_size(d, "agent_responses") != agents_before + 1)
        oxios_fuzz::fail("rebuilt session does not hold exactly one exchange more", text);
    if (array_size(d, "user_messages") != summary_count)
        oxios_fuzz::fail("summary message_count differs from the user messages", text);
}

// Items of the arrays of a parsed file (every member of that name that is an array).
void count_items(std::string_view text, size_t& users, size_t& agents) {
    users = agents = 0;
    rapidjson::Document d;
    d.Parse(text.data(), text.size());
    if (d.HasParseError() || !d.IsObject()) return;
    for (const auto& m : d.GetObject()) {
        if (!m.value.IsArray()) continue;
        if (std::strcmp(m.name.GetString(), "user_messages") == 0) users += m.value.Size();
        if (std::strcmp(m.name.GetString(), "agent_responses") == 0) agents += m.value.Size();
    }
}

void write(const fs::path& p, std::string_view text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out) oxios_fuzz::fail("cannot write a fuzz session file", p.string());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    const bool has_journal = in.find('\0') != std::string_view::npos;
    const std::string_view text = oxios_fuzz::take_until(in, '\0');
    const std::string_view journal = in;
    const oxios_exchange ex = exchange();

    // ---- the journal ----
    const auto scan = oxios::kernel::scan_journal(journal);
    if (scan.valid_bytes > journal.size()) oxios_fuzz::fail("scan_journal: valid_bytes past the end");
    for (const auto& r : scan.records) {
        const std::string line = r.journal_line();
        const auto again =
            oxios::kernel::ExchangeRecord::from_journal_line(std::string_view(line).substr(0, line.size() - 1));
        if (!again || again->journal_line() != line) oxios_fuzz::fail("journal line does not round-trip", line);
    }

    // ---- the parser ----
    const auto summary = SessionDoc::summarize(kId, text);
    auto doc = SessionDoc::parse(text);
    if (summary.has_value() != doc.has_value()) oxios_fuzz::fail("summarize and parse disagree");
    size_t users = 0, agents = 0;
    if (doc) {
        count_items(text, users, agents);
        (void)doc->summary(kId);
        doc->append(ex, kNowUs);
        check_rebuilt(doc->to_json(), users, agents, doc->summary(kId).message_count);
    }

    // ---- through the store ----
    // Files and fsyncs cost ~100x the parse: one input in 8 (chosen by its
    // content, so a replay takes the same path) goes through the store.
    uint32_t hash = 2166136261u;
    for (size_t i = 0; i < size; ++i) hash = (hash ^ data[i]) * 16777619u;
    if (hash % 8 != 0) return 0;
    const fs::path file = sessions_dir() / (std::string(kId) + ".json");
    const fs::path journal_file = sessions_dir() / (std::string(kId) + ".journal");
    write(file, text);
    if (has_journal) write(journal_file, journal);
    FileSessionStore::Limits limits;
    limits.journal_above_bytes = 512;
    limits.journal_max_exchanges = 3;
    std::string served;
    {
        FileSessionStore store(
            sessions_dir(), [] { return kNowUs; }, limits);
        if (store.count() > 1) oxios_fuzz::fail("index holds more than the one session");
        (void)store.list(1, 50);
        const auto before = store.get(kId);
        const oxios_status st = store.append(ex);
        if (before.status == OXIOS_OK) {
            if (st != OXIOS_OK) oxios_fuzz::fail("append to a readable session failed", before.body);
            const auto after = store.get(kId);
            if (after.status != OXIOS_OK) oxios_fuzz::fail("get after append failed", after.body);
            size_t stored_users = 0, stored_agents = 0;
            count_items(before.body, stored_users, stored_agents);
            check_rebuilt(after.body, stored_users, stored_agents, stored_users + 1);
            served = after.body;
        } else if (st == OXIOS_OK) {
            served = store.get(kId).body;
        }
        (void)store.list(1, 50);
    }
    if (!served.empty()) {
        FileSessionStore store(
            sessions_dir(), [] { return kNowUs; }, limits);
        const auto again = store.get(kId);
        if (again.status != OXIOS_OK || !oxios_fuzz::same_json(again.body, served))
            oxios_fuzz::fail("a restarted store serves another session", again.body + " | " + served);
        (void)store.prune(true, 1, 1);
    }
    for (const auto& entry : fs::directory_iterator(sessions_dir())) {
        std::error_code ec;
        fs::remove_all(entry.path(), ec);
    }
    return 0;
}
