#include "services/proc_stats.hpp"

#include "services/fs_util.hpp"

#include <sys/statvfs.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <exception>
#include <filesystem>
#include <vector>

namespace oxios::kernel::services::proc {
namespace {

std::string_view trim_left(std::string_view s) {
    const size_t i = s.find_first_not_of(" \t");
    return i == std::string_view::npos ? std::string_view() : s.substr(i);
}

// The whitespace-separated unsigned integers at the start of `s`.
std::vector<uint64_t> numbers(std::string_view s) {
    std::vector<uint64_t> out;
    for (s = trim_left(s); !s.empty(); s = trim_left(s)) {
        uint64_t v = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc{}) break;
        out.push_back(v);
        s.remove_prefix(static_cast<size_t>(end - s.data()));
    }
    return out;
}

// The line of `text` that starts with `prefix`, without it.
std::optional<std::string_view> line_after(std::string_view text, std::string_view prefix) {
    for (size_t pos = 0; pos < text.size();) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view line = text.substr(pos, end - pos);
        if (line.starts_with(prefix)) return line.substr(prefix.size());
        pos = end + 1;
    }
    return std::nullopt;
}

}  // namespace

std::optional<CpuTimes> parse_stat(std::string_view text) {
    const auto rest = line_after(text, "cpu ");
    if (!rest) return std::nullopt;
    const std::vector<uint64_t> f = numbers(*rest);
    if (f.size() < 4) return std::nullopt;
    CpuTimes t;
    // user nice system idle iowait irq softirq steal; guest and guest_nice
    // (fields 9 and 10) are already counted in user and nice.
    for (size_t i = 0; i < std::min<size_t>(f.size(), 8); ++i) t.total += f[i];
    t.idle = f[3];
    t.iowait = f.size() > 4 ? f[4] : 0;
    return t;
}

double cpu_percent(const CpuTimes& before, const CpuTimes& after) {
    if (after.total <= before.total) return 0;
    const double total = static_cast<double>(after.total - before.total);
    const double idle = static_cast<double>(after.idle >= before.idle ? after.idle - before.idle : 0) +
                        static_cast<double>(after.iowait >= before.iowait ? after.iowait - before.iowait : 0);
    return std::clamp(100.0 * (total - idle) / total, 0.0, 100.0);
}

std::optional<MemInfo> parse_meminfo(std::string_view text) {
    const auto total = line_after(text, "MemTotal:");
    const auto available = line_after(text, "MemAvailable:");
    if (!total || !available) return std::nullopt;
    const auto t = numbers(*total), a = numbers(*available);
    if (t.empty() || a.empty() || t[0] == 0) return std::nullopt;
    // The kernel writes these in kB (KiB).
    return MemInfo{t[0] * 1024, std::min(a[0], t[0]) * 1024};
}

std::optional<double> parse_loadavg(std::string_view text) {
    text = trim_left(text);
    double v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end == text.data() || !std::isfinite(v) || v < 0) return std::nullopt;
    return v;
}

double DiskUsage::percent() const {
    const double whole = static_cast<double>(used) + static_cast<double>(avail);
    return whole <= 0 ? 0 : std::clamp(100.0 * static_cast<double>(used) / whole, 0.0, 100.0);
}

std::optional<DiskUsage> disk_usage(const std::string& path) {
    struct statvfs s {};
    if (::statvfs(path.c_str(), &s) != 0) return std::nullopt;
    const uint64_t frsize = s.f_frsize != 0 ? s.f_frsize : s.f_bsize;
    DiskUsage d;
    d.used = (s.f_blocks >= s.f_bfree ? s.f_blocks - s.f_bfree : 0) * frsize;
    d.avail = static_cast<uint64_t>(s.f_bavail) * frsize;
    d.size = static_cast<uint64_t>(s.f_blocks) * frsize;
    return d;
}

std::optional<std::string> read(const std::string& root, std::string_view name) {
    try {
        return files::read_file(std::filesystem::path(root) / name);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace oxios::kernel::services::proc
