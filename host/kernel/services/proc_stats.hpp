// Readers of the Linux figures the resources service samples (docs/api-operator.md, "Resources"):
// /proc/stat's cpu line, /proc/meminfo, /proc/loadavg (under an injectable
// root, so tests parse fixture files) and statvfs of a path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace oxios::kernel::services::proc {

// Jiffies of /proc/stat's aggregate "cpu" line.
struct CpuTimes {
    uint64_t total = 0, idle = 0, iowait = 0;
};
std::optional<CpuTimes> parse_stat(std::string_view text);

// 100·(Δtotal − Δidle − Δiowait)/Δtotal, clamped to 0–100; 0 when no time passed.
double cpu_percent(const CpuTimes& before, const CpuTimes& after);

// MemTotal and MemAvailable of /proc/meminfo, in bytes.
struct MemInfo {
    uint64_t total = 0, available = 0;
};
std::optional<MemInfo> parse_meminfo(std::string_view text);

// The 1-minute figure of /proc/loadavg.
std::optional<double> parse_loadavg(std::string_view text);

// A file system as df counts it: used = (f_blocks − f_bfree)·f_frsize,
// avail = f_bavail·f_frsize, size = f_blocks·f_frsize.
struct DiskUsage {
    uint64_t used = 0, avail = 0, size = 0;
    double percent() const;  // used/(used + avail)·100, 0 when both are 0
};
std::optional<DiskUsage> disk_usage(const std::string& path);

// Whole text of <root>/<name> ("stat", "meminfo", "loadavg"); nullopt when
// it cannot be read.
std::optional<std::string> read(const std::string& root, std::string_view name);

}  // namespace oxios::kernel::services::proc
