#include "services/knowledge_text.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdio>

namespace oxios::kernel::services::knowledge {
namespace {

constexpr std::array<const char*, 12> kMonths{"January", "February", "March",     "April",   "May",      "June",
                                              "July",    "August",   "September", "October", "November", "December"};
constexpr std::array<const char*, 7> kWeekdays{"Sunday",   "Monday", "Tuesday", "Wednesday",
                                               "Thursday", "Friday", "Saturday"};

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    if (!text.empty() && text.back() == '\n') lines.pop_back();  // no empty last line for a final newline
    if (text.empty()) lines.clear();
    return lines;
}

std::string join_lines(const std::vector<std::string_view>& lines) {
    std::string out;
    for (auto line : lines) {
        out.append(line);
        out.push_back('\n');
    }
    return out;
}

std::string_view strip_cr(std::string_view line) {
    return !line.empty() && line.back() == '\r' ? line.substr(0, line.size() - 1) : line;
}

std::string_view trim(std::string_view s) {
    const size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r\n") + 1 - b);
}

bool is_message(std::string_view line) {
    return line.size() >= 6 && line.substr(0, 3) == "- [" && (line[3] == ' ' || line[3] == 'x' || line[3] == 'X') &&
           line.substr(4, 2) == "] ";
}
bool is_chat_header(std::string_view line) { return line.substr(0, 5) == "#### "; }

std::string format(const char* fmt, const std::tm& t, bool pad_day) {
    char buf[96];
    std::snprintf(buf, sizeof buf, fmt, pad_day ? 2 : 1, t.tm_mday, kMonths[static_cast<size_t>(t.tm_mon % 12)],
                  kWeekdays[static_cast<size_t>(t.tm_wday % 7)]);
    return buf;
}

std::string clock_of(const std::tm& t) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "`%02d:%02d` ", t.tm_hour % 24, t.tm_min % 60);
    return buf;
}

// `content` + `header` (unless one of its lines already is) + `line`.
std::string append_under(std::string_view content, const std::string& header, const std::string& line) {
    auto lines = split_lines(content);
    bool has = false;
    for (auto l : lines) has = has || strip_cr(l) == header;
    if (!has) lines.push_back(header);
    lines.push_back(line);
    return join_lines(lines);
}

struct Block {
    size_t first = 0, last = 0;  // line range [first, last)
    bool message = false;
};

std::vector<Block> blocks_of(const std::vector<std::string_view>& lines) {
    std::vector<Block> out;
    size_t start = 0;
    bool started = false, message = false;
    for (size_t i = 0; i <= lines.size(); ++i) {
        const bool end = i == lines.size();
        const std::string_view line = end ? std::string_view{} : strip_cr(lines[i]);
        if (!end && !is_message(line) && !is_chat_header(line)) continue;
        if (i > start || started) {
            bool blank = true;
            for (size_t k = start; k < i; ++k) blank = blank && trim(lines[k]).empty();
            if (started || !blank) out.push_back({start, i, message});
        }
        started = true;
        start = i;
        message = !end && is_message(line);
    }
    return out;
}

std::string block_text(const std::vector<std::string_view>& lines, const Block& b) {
    std::string text;
    for (size_t k = b.first; k < b.last; ++k) {
        if (k > b.first) text.push_back('\n');
        text.append(strip_cr(lines[k]));
    }
    return std::string(trim(text));
}

int days_in_month(int year, int month) {  // month 1-12
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : kDays[month - 1];
}

// One marker at the start of `s`: its value and byte length (U+FE0F included), or nullopt.
std::optional<std::pair<int, size_t>> marker(std::string_view s) {
    static constexpr std::pair<std::string_view, int> kMarkers[] = {
        {"\U0001F7E2", 1}, {"\U0001F7E1", 1}, {"\u26AA", 0},     {"\U0001F915", 1},
        {"\U0001F614", 2}, {"\U0001F610", 3}, {"\U0001F642", 4}, {"\U0001F60A", 5}};
    for (const auto& [bytes, value] : kMarkers) {
        if (s.substr(0, bytes.size()) != bytes) continue;
        size_t len = bytes.size();
        if (s.substr(len, 3) == "\uFE0F") len += 3;
        return std::make_pair(value, len);
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> check_zone(std::string_view zone) {
    if (zone == "local" || zone == "UTC") return std::string(zone);
    auto digit = [&](size_t i) { return zone[i] >= '0' && zone[i] <= '9'; };
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':' || !digit(1) || !digit(2) ||
        !digit(4) || !digit(5))
        return std::nullopt;
    if ((zone[1] - '0') * 10 + (zone[2] - '0') > 23 || (zone[4] - '0') * 10 + (zone[5] - '0') > 59) return std::nullopt;
    return std::string(zone);
}

std::tm local_time(int64_t unix_us, std::string_view zone) {
    auto t = static_cast<time_t>(unix_us / 1000000 - (unix_us < 0 && unix_us % 1000000 != 0 ? 1 : 0));
    std::tm out{};
    if (zone == "UTC") {
        gmtime_r(&t, &out);
    } else if (zone != "local" && check_zone(zone)) {
        const int minutes = ((zone[1] - '0') * 10 + (zone[2] - '0')) * 60 + (zone[4] - '0') * 10 + (zone[5] - '0');
        t += (zone[0] == '-' ? -60 : 60) * static_cast<time_t>(minutes);
        gmtime_r(&t, &out);
    } else {
        localtime_r(&t, &out);
    }
    return out;
}

std::string one_line(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
        out.push_back(text[i] == '\n' || text[i] == '\r' ? ' ' : text[i]);
    }
    return std::string(trim(out));
}

std::vector<std::string> chat_blocks(std::string_view content) {
    const auto lines = split_lines(content);
    std::vector<std::string> out;
    for (const auto& b : blocks_of(lines)) out.push_back(block_text(lines, b));
    return out;
}

std::string msg_hash(std::string_view block) {
    std::string_view line = block.substr(0, block.find('\n'));
    if (is_message(line)) line.remove_prefix(6);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(line.data(), line.size(), digest, &size, EVP_md5(), nullptr);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < size && hex.size() < 11; ++i) {
        hex.push_back(kHex[digest[i] >> 4]);
        hex.push_back(kHex[digest[i] & 15]);
    }
    hex.resize(11);
    return hex;
}

std::string chat_append(std::string_view content, std::string_view text, const std::tm& now) {
    return append_under(content, format("#### %0*d %s, %s", now, true), "- [ ] " + clock_of(now) + std::string(text));
}

std::optional<std::string> chat_delete(std::string_view content, std::string_view hash) {
    auto lines = split_lines(content);
    for (const auto& b : blocks_of(lines)) {
        if (!b.message || msg_hash(block_text(lines, b)) != hash) continue;
        lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(b.first),
                    lines.begin() + static_cast<std::ptrdiff_t>(b.last));
        return join_lines(lines);
    }
    return std::nullopt;
}

std::string checklist_add(std::string_view content, std::string_view item, bool checked) {
    auto lines = split_lines(content);
    std::vector<std::string_view> kept;
    for (auto line : lines) {
        const auto l = strip_cr(line);
        if (is_message(l) && l.substr(6) == item) continue;  // the same item, checked or not
        kept.push_back(line);
    }
    const std::string entry = (checked ? "- [x] " : "- [ ] ") + std::string(item);
    auto at = kept.end();
    if (!checked)
        for (auto it = kept.begin(); it != kept.end(); ++it)
            if (it->substr(0, 6) == "- [ ] ") {
                at = it;
                break;
            }
    kept.insert(at, entry);
    return join_lines(kept);
}

std::string journal_path(const std::tm& now) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "journal/%04d.%02d %s.md", now.tm_year + 1900, now.tm_mon + 1,
                  kMonths[static_cast<size_t>(now.tm_mon % 12)]);
    return buf;
}

std::string journal_add(std::string_view content, std::string_view record, const std::tm& now) {
    return append_under(content, format("## %0*d %s, %s", now, false), clock_of(now) + std::string(record));
}

void fill_habits(Habits& habits, std::string_view insights, int year) {
    int month = 0;
    for (auto raw : split_lines(insights)) {
        const std::string_view line = strip_cr(raw);
        if (line.substr(0, 4) == "### ") {
            month = 0;
            const std::string_view name = trim(line.substr(4));
            for (size_t m = 0; m < kMonths.size(); ++m)
                if (name == kMonths[m]) month = static_cast<int>(m) + 1;
            continue;
        }
        if (month == 0) continue;
        std::vector<int> days;
        size_t at = 0;
        while (auto m = marker(line.substr(at))) {
            days.push_back(m->first);
            at += m->second;
        }
        if (days.empty() || at >= line.size() || line[at] != ' ') continue;
        auto habit = habits.find(std::string(trim(line.substr(at))));
        if (habit == habits.end()) continue;
        int day_of_year = 0;
        for (int m = 1; m < month; ++m) day_of_year += days_in_month(year, m);
        const int in_month = days_in_month(year, month);
        for (size_t d = 0; d < days.size() && static_cast<int>(d) < in_month; ++d)
            habit->second[day_of_year + static_cast<int>(d) + 1] = days[d];
    }
}

}  // namespace oxios::kernel::services::knowledge
