// The web UI's static files; rules in static_files.hpp.
#include "routes/static_files.hpp"

#include "context.hpp"
#include "errors.hpp"
#include "json.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace web {
namespace {

constexpr size_t kMaxFileBytes = 64u << 20;      // larger files are not served
constexpr size_t kGzipMinBytes = 1024;           // smaller ones are not worth it
constexpr size_t kCacheBudgetBytes = 32u << 20;  // raw + gzip bytes kept in memory

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::string_view extension(std::string_view name) {
    const size_t slash = name.rfind('/');
    if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
    const size_t dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0) return {};
    return name.substr(dot + 1);
}

bool compressible(std::string_view content_type) {
    return content_type.starts_with("text/") || content_type.starts_with("application/json") ||
           content_type.starts_with("application/manifest+json") ||
           content_type.starts_with("application/xml") || content_type.starts_with("image/svg+xml") ||
           content_type.starts_with("application/wasm");
}

// ---- the UI directory ------------------------------------------------------

// dladdr on a function of this library: its path on disk.
std::string own_library_dir() {
    Dl_info info{};
    if (::dladdr(reinterpret_cast<void*>(&own_library_dir), &info) == 0 || info.dli_fname == nullptr) {
        return {};
    }
    std::string path = info.dli_fname;
    const size_t slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

std::string expand_home(std::string dir) {
    if (dir == "~" || dir.starts_with("~/")) {
        const char* home = std::getenv("HOME");
        if (home != nullptr && *home != '\0') dir = std::string(home) + dir.substr(1);
    }
    return dir;
}

// The configured web.ui_dir, cached per config generation.
struct UiDirCache {
    std::mutex mutex;
    bool valid = false;
    const oxios_host* host = nullptr;
    uint64_t generation = 0;
    std::string dir;
};
UiDirCache g_ui_dir;

std::string configured_ui_dir(const Host& host) {
    const uint64_t gen = host.config_generation();
    {
        std::lock_guard lock(g_ui_dir.mutex);
        if (g_ui_dir.valid && g_ui_dir.host == host.raw() && g_ui_dir.generation == gen) return g_ui_dir.dir;
    }
    std::string dir;
    std::string out;
    if (host.config_get("web.ui_dir", out) == OXIOS_OK) {
        json::Document doc;
        if (json::parse(out, doc) && doc.IsString()) {
            dir.assign(doc.GetString(), doc.GetStringLength());
        } else if (!(json::parse(out, doc) && doc.IsNull())) {
            host.log(OXIOS_LOG_WARN, "web: config key web.ui_dir is not a string; using the bundled UI");
        }
    }
    std::lock_guard lock(g_ui_dir.mutex);
    g_ui_dir.valid = true;
    g_ui_dir.host = host.raw();
    g_ui_dir.generation = gen;
    g_ui_dir.dir = dir;
    return dir;
}

// ---- safe resolution -------------------------------------------------------

std::optional<std::string> real_path(const std::string& p) {
    char buf[PATH_MAX];
    if (::realpath(p.c_str(), buf) == nullptr) return std::nullopt;
    return std::string(buf);
}

// The request path's segments when every one is harmless, else nullopt:
// no "." or "..", no NUL, no backslash (a separator elsewhere), no empty
// segment except a trailing one ("/dir/").
std::optional<std::vector<std::string_view>> safe_segments(std::string_view path) {
    std::vector<std::string_view> out;
    if (path.empty() || path.front() != '/') return std::nullopt;
    path.remove_prefix(1);
    while (true) {
        const size_t slash = path.find('/');
        const std::string_view seg = path.substr(0, slash);
        if (seg == "." || seg == ".." || seg.find('\0') != std::string_view::npos ||
            seg.find('\\') != std::string_view::npos) {
            return std::nullopt;
        }
        if (seg.empty() && slash != std::string_view::npos) return std::nullopt;  // "//"
        if (!seg.empty()) out.push_back(seg);
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return out;
}

bool inside(const std::string& root, const std::string& path) {
    if (root == "/") return path.size() > 1 && path.front() == '/';
    return path.size() > root.size() + 1 && path.starts_with(root) && path[root.size()] == '/';
}

// ---- file contents, cached per version ----------------------------------------

struct FileVersion {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const FileVersion&) const = default;
};

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

size_t entry_bytes(const Cached& c) {
    return (c.raw ? c.raw->size() : 0) + (c.gzip ? c.gzip->size() : 0);
}

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

// An open regular file: its version and, on demand, its bytes.
struct OpenFile {
    std::string real;
    FileVersion version;
    int64_t mtime_sec = 0;
};

// Opens `real` (already resolved, so no symlink in it) as a regular file.
std::optional<OpenFile> stat_regular(const std::string& real) {
    struct stat st {};
    if (::stat(real.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    if (static_cast<uint64_t>(st.st_size) > kMaxFileBytes) return std::nullopt;
    OpenFile f;
    f.real = real;
    f.version = version_of(st);
    f.mtime_sec = static_cast<int64_t>(st.st_mtim.tv_sec);
    return f;
}

std::shared_ptr<const std::string> read_bytes(OpenFile& f) {
    const int fd = ::open(f.real.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return nullptr;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        static_cast<uint64_t>(st.st_size) > kMaxFileBytes) {
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

// Bytes to send: the raw file, and its gzip when `want_gzip` (null when not
// worth it). Null raw = unreadable.
struct Body {
    std::shared_ptr<const std::string> raw;
    std::shared_ptr<const std::string> gzip;
};

Body load(OpenFile& f, bool want_gzip) {
    Body b;
    std::optional<Cached> hit = cache_get(f.real, f.version);
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
    cache_put(f.real, std::move(c));
    return b;
}

// ---- HTTP details -------------------------------------------------------------

std::string hex(uint64_t v) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    do {
        out.insert(out.begin(), kDigits[v & 15]);
        v >>= 4;
    } while (v != 0);
    return out;
}

// Strong validator from the file's identity: quoted, one per version.
std::string etag_of(const FileVersion& v) {
    return "\"" + hex(static_cast<uint64_t>(v.ino)) + "-" + hex(static_cast<uint64_t>(v.size)) + "-" +
           hex(static_cast<uint64_t>(v.mtime_ns)) + "\"";
}

// The gzip representation gets its own tag (same file, other bytes).
std::string gzip_etag(const std::string& etag) { return etag.substr(0, etag.size() - 1) + "-gz\""; }

std::string http_date(int64_t unix_sec) {
    const time_t t = static_cast<time_t>(unix_sec);
    struct tm tm {};
    ::gmtime_r(&t, &tm);
    char buf[64];
    const size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return std::string(buf, n);
}

std::optional<int64_t> parse_http_date(std::string_view s) {
    const std::string text(s);
    struct tm tm {};
    const char* end = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == nullptr) return std::nullopt;
    return static_cast<int64_t>(::timegm(&tm));
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// If-None-Match: "*" or a list of (weak or strong) tags; weak comparison.
bool none_match_hits(std::string_view header, const std::string& etag) {
    const std::string gz = gzip_etag(etag);
    while (!header.empty()) {
        const size_t comma = header.find(',');
        std::string_view tag = trim(header.substr(0, comma));
        if (tag == "*") return true;
        if (tag.starts_with("W/")) tag.remove_prefix(2);
        if (tag == etag || tag == gz) return true;
        if (comma == std::string_view::npos) break;
        header.remove_prefix(comma + 1);
    }
    return false;
}

// Accept-Encoding allows gzip: listed (or "*") with a q above 0.
bool accepts_gzip(std::string_view header) {
    bool star = false;
    std::optional<bool> gzip_ok;
    while (!header.empty()) {
        const size_t comma = header.find(',');
        std::string_view item = trim(header.substr(0, comma));
        const size_t semi = item.find(';');
        const std::string coding = lower(trim(item.substr(0, semi)));
        bool ok = true;
        if (semi != std::string_view::npos) {
            std::string_view params = item.substr(semi + 1);
            const size_t q = params.find("q=");
            if (q != std::string_view::npos) ok = std::strtod(std::string(params.substr(q + 2)).c_str(), nullptr) > 0;
        }
        if (coding == "gzip" || coding == "x-gzip") gzip_ok = ok;
        else if (coding == "*") star = ok;
        if (comma == std::string_view::npos) break;
        header.remove_prefix(comma + 1);
    }
    return gzip_ok.value_or(star);
}

// A bundler's content hash in the file name ("index-D3xRj5Qb.js",
// "main.3f2a1b4c.css"): 8+ characters of [A-Za-z0-9_] with a digit, between a
// '-' or '.' and the extension.
bool fingerprinted(std::string_view name) {
    const size_t slash = name.rfind('/');
    if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
    const size_t dot = name.rfind('.');
    if (dot == std::string_view::npos) return false;
    std::string_view stem = name.substr(0, dot);
    const size_t sep = stem.find_last_of("-.");
    if (sep == std::string_view::npos) return false;
    const std::string_view hash = stem.substr(sep + 1);
    if (hash.size() < 8) return false;
    bool digit = false;
    for (char c : hash) {
        const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!alnum) return false;
        digit = digit || (c >= '0' && c <= '9');
    }
    return digit;
}

enum class Kind { Index, Asset, Other };

std::string_view cache_control(Kind kind, std::string_view path) {
    switch (kind) {
        case Kind::Index: return "no-cache";
        case Kind::Asset: return fingerprinted(path) ? "public, max-age=31536000, immutable" : "no-cache";
        case Kind::Other: return "public, max-age=3600";
    }
    return "no-cache";
}

void send_file(Ctx& ctx, OpenFile& f, Kind kind, std::string_view content_type) {
    const std::string_view cc = cache_control(kind, ctx.path());
    const bool can_gzip = compressible(content_type) &&
                          static_cast<uint64_t>(f.version.size) > kGzipMinBytes;
    const auto ae = ctx.header("Accept-Encoding");
    const bool want_gzip = can_gzip && ae && accepts_gzip(*ae);

    // Validators first: a 304 needs no bytes.
    const std::string etag = etag_of(f.version);
    const std::string last_modified = http_date(f.mtime_sec);
    const std::string tag = want_gzip ? gzip_etag(etag) : etag;
    auto common_headers = [&](std::string_view etag_value) {
        ctx.add_header("Cache-Control", cc);
        ctx.add_header("ETag", etag_value);
        ctx.add_header("Last-Modified", last_modified);
        if (can_gzip) ctx.add_header("Vary", "Accept-Encoding");
    };
    bool not_modified = false;
    if (const auto inm = ctx.header("If-None-Match")) {
        not_modified = none_match_hits(*inm, etag);
    } else if (const auto ims = ctx.header("If-Modified-Since")) {
        const auto since = parse_http_date(*ims);
        not_modified = since && f.mtime_sec <= *since;
    }
    if (not_modified) {
        common_headers(tag);
        ctx.send(304, "", "");
        return;
    }

    Body body = load(f, want_gzip);
    if (!body.raw) throw HttpError(404, "not found");
    // load() may have read a newer version than the stat: tags follow the bytes.
    const std::string sent_etag = etag_of(f.version);
    if (body.gzip) {
        common_headers(gzip_etag(sent_etag));
        ctx.add_header("Content-Encoding", "gzip");
    } else {
        common_headers(sent_etag);
    }
    ctx.add_header("X-Content-Type-Options", "nosniff");
    ctx.send(200, content_type, body.gzip ? *body.gzip : *body.raw);
}

}  // namespace

std::string_view ui_content_type(std::string_view file_name) {
    const std::string ext = lower(extension(file_name));
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 22> kTypes{{
        {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"json", "application/json"},
        {"map", "application/json"},
        {"webmanifest", "application/manifest+json"},
        {"svg", "image/svg+xml"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
        {"webp", "image/webp"},
        {"ico", "image/x-icon"},
        {"woff2", "font/woff2"},
        {"woff", "font/woff"},
        {"ttf", "font/ttf"},
        {"txt", "text/plain; charset=utf-8"},
        {"xml", "application/xml"},
        {"wasm", "application/wasm"},
        {"pdf", "application/pdf"},
    }};
    for (const auto& [e, type] : kTypes) {
        if (e == ext) return type;
    }
    return "application/octet-stream";
}

std::string ui_directory(const Host& host) {
    std::string dir = configured_ui_dir(host);
    if (!dir.empty()) return expand_home(std::move(dir));
    if (const char* env = std::getenv("OXIOS_WEB_UI_DIR"); env != nullptr && *env != '\0') return env;
    const std::string lib = own_library_dir();
    return lib.empty() ? std::string() : lib + "/ui";
}

void serve_ui(Ctx& ctx) {
    const std::string dir = ui_directory(ctx.host());
    const auto root = dir.empty() ? std::nullopt : real_path(dir);
    if (!root) throw HttpError(404, "not found");

    const std::string_view path = ctx.path();
    const auto segs = safe_segments(path);
    if (!segs) throw HttpError(404, "not found");  // never 403 for the UI

    const bool under_assets = !segs->empty() && (*segs)[0] == "assets";
    if (!segs->empty() && !path.ends_with('/')) {
        std::string candidate = *root;
        for (std::string_view s : *segs) {
            candidate += '/';
            candidate += s;
        }
        // realpath resolves every symlink: the result must still be inside,
        // and a path that leads outside is a 404, not a client route.
        if (const auto real = real_path(candidate); real) {
            if (!inside(*root, *real)) throw HttpError(404, "not found");
            if (auto f = stat_regular(*real)) {
                const bool is_index = segs->size() == 1 && (*segs)[0] == "index.html";
                send_file(ctx, *f, is_index ? Kind::Index : under_assets ? Kind::Asset : Kind::Other,
                          ui_content_type(*real));
                return;
            }
        }
    }
    // Not a file: a missing asset is a 404, anything else is a client route.
    if (under_assets) throw HttpError(404, "not found");
    const auto index = real_path(*root + "/index.html");
    if (!index || !inside(*root, *index)) throw HttpError(404, "not found");
    auto f = stat_regular(*index);
    if (!f) throw HttpError(404, "not found");
    send_file(ctx, *f, Kind::Index, "text/html; charset=utf-8");
}

}  // namespace web
