#include "static/file_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <map>
#include <mutex>

namespace web {
namespace {

constexpr size_t kMaxFileBytes = 64u << 20;      // larger files are not served
constexpr size_t kCacheBudgetBytes = 32u << 20;  // raw + gzip bytes kept in memory

struct Cached {
    FileVersion version;
    std::shared_ptr<const std::string> raw;
    std::shared_ptr<const std::string> gzip;  // null until asked for; empty = not smaller
};

struct FileCache {
    std::mutex mutex;
    std::map<std::string, Cached> entries;
    size_t bytes = 0;
};
FileCache g_files;

size_t entry_bytes(const Cached& c) { return (c.raw ? c.raw->size() : 0) + (c.gzip ? c.gzip->size() : 0); }

// Stores (or refreshes) an entry; drops everything when over budget (the UI
// is small: this only happens with a huge ui_dir, where caching is moot).
void cache_put(const std::string& key, Cached c) {
    std::lock_guard lock(g_files.mutex);
    if (auto it = g_files.entries.find(key); it != g_files.entries.end()) {
        g_files.bytes -= entry_bytes(it->second);
        g_files.entries.erase(it);
    }
    const size_t add = entry_bytes(c);
    if (add > kCacheBudgetBytes) return;
    if (g_files.bytes + add > kCacheBudgetBytes) {
        g_files.entries.clear();
        g_files.bytes = 0;
    }
    g_files.bytes += add;
    g_files.entries.emplace(key, std::move(c));
}

std::optional<Cached> cache_get(const std::string& key, const FileVersion& v) {
    std::lock_guard lock(g_files.mutex);
    auto it = g_files.entries.find(key);
    if (it == g_files.entries.end() || !(it->second.version == v)) return std::nullopt;
    return it->second;
}

FileVersion version_of(const struct stat& st) {
    FileVersion v;
    v.dev = st.st_dev;
    v.ino = st.st_ino;
    v.size = st.st_size;
    v.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    return v;
}

std::shared_ptr<const std::string> read_bytes(UiFile& f) {
    if (f.bundled != nullptr) return std::make_shared<const std::string>(f.bundled->bytes());
    const int fd = ::open(f.name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return nullptr;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) > kMaxFileBytes) {
        ::close(fd);
        return nullptr;
    }
    f.version = version_of(st);  // the version of what we actually read
    f.mtime_sec = static_cast<int64_t>(st.st_mtim.tv_sec);
    auto out = std::make_shared<std::string>();
    out->resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < out->size()) {
        const ssize_t n = ::read(fd, out->data() + got, out->size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<size_t>(n);
    }
    ::close(fd);
    out->resize(got);
    return out;
}

// gzip (RFC 1952) of `in`; empty when zlib fails.
std::string gzip(std::string_view in) {
    z_stream zs{};
    if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) return {};
    std::string out;
    out.resize(deflateBound(&zs, static_cast<uLong>(in.size())) + 32);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    const size_t produced = out.size() - zs.avail_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) return {};
    out.resize(produced);
    return out;
}

// Disk files by real path; bundled ones apart ("bundle:" is no absolute path).
std::string cache_key(const UiFile& f) { return f.bundled ? "bundle:" + f.name : f.name; }

}  // namespace

std::optional<UiFile> stat_regular(const std::string& real) {
    struct stat st {};
    if (::stat(real.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    if (static_cast<uint64_t>(st.st_size) > kMaxFileBytes) return std::nullopt;
    UiFile f;
    f.name = real;
    f.version = version_of(st);
    f.mtime_sec = static_cast<int64_t>(st.st_mtim.tv_sec);
    return f;
}

UiFile bundled_ui_file(const BundledFile& b) {
    UiFile f;
    f.name = b.path;
    f.version.ino = static_cast<ino_t>(b.hash);
    f.version.size = static_cast<off_t>(b.size);
    f.version.mtime_ns = b.mtime_sec * 1'000'000'000;
    f.mtime_sec = b.mtime_sec;
    f.bundled = &b;
    return f;
}

Body load(UiFile& f, bool want_gzip) {
    Body b;
    std::optional<Cached> hit = cache_get(cache_key(f), f.version);
    if (hit) {
        b.raw = hit->raw;
        if (!want_gzip) return b;
        if (hit->gzip) {
            if (!hit->gzip->empty()) b.gzip = hit->gzip;
            return b;
        }
    } else {
        b.raw = read_bytes(f);
        if (!b.raw) return b;
    }
    Cached c;
    c.version = f.version;
    c.raw = b.raw;
    if (want_gzip) {
        std::string z = gzip(*b.raw);
        // Not smaller (or failed): remember that with an empty string.
        auto zp = std::make_shared<const std::string>(z.size() < b.raw->size() ? std::move(z) : std::string());
        c.gzip = zp;
        if (!zp->empty()) b.gzip = zp;
    }
    cache_put(cache_key(f), std::move(c));
    return b;
}

}  // namespace web
