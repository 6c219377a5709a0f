// The UI's file contents and their gzip, cached in memory per file version;
// a file is on disk under the UI directory or bundled into the plugin.
#pragma once

#include "static/ui_bundle.hpp"

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace web {

constexpr size_t kGzipMinBytes = 1024;  // smaller files are not worth compressing

struct FileVersion {
    dev_t dev = 0;
    ino_t ino = 0;  // bundled: its content hash
    off_t size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const FileVersion&) const = default;
};

// A file to serve: its name (real path, or bundle path), version and bytes' source.
struct UiFile {
    std::string name;
    FileVersion version;
    int64_t mtime_sec = 0;
    const BundledFile* bundled = nullptr;  // null: on disk at `name`
};

// `real` (already resolved, so no symlink in it) as a regular file of at most 64 MiB.
std::optional<UiFile> stat_regular(const std::string& real);
UiFile bundled_ui_file(const BundledFile& b);

// Bytes to send: the raw file, and its gzip when asked for (null when not
// worth it). Null raw = unreadable. Reading a disk file updates f's version
// to that of the bytes read.
struct Body {
    std::shared_ptr<const std::string> raw;
    std::shared_ptr<const std::string> gzip;
};
Body load(UiFile& f, bool want_gzip);

}  // namespace web
