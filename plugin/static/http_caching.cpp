#include "static/http_caching.hpp"

#include <time.h>
#include <oxios/rules/http_text.hpp>

#include <array>
#include <cstdlib>
#include <ctime>

namespace web {
namespace {

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

std::string hex(uint64_t v) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    do {
        out.insert(out.begin(), kDigits[v & 15]);
        v >>= 4;
    } while (v != 0);
    return out;
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

}  // namespace

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

// If-None-Match: "*" or a list of (weak or strong) tags; weak comparison.
bool none_match_hits(std::string_view header, const std::string& etag) {
    const std::string gz = gzip_etag(etag);
    while (!header.empty()) {
        const size_t comma = header.find(',');
        std::string_view tag = oxios::rules::trim_ows(header.substr(0, comma));
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
        std::string_view item = oxios::rules::trim_ows(header.substr(0, comma));
        const size_t semi = item.find(';');
        const std::string coding = lower(oxios::rules::trim_ows(item.substr(0, semi)));
        bool ok = true;
        if (semi != std::string_view::npos) {
            std::string_view params = item.substr(semi + 1);
            const size_t q = params.find("q=");
            if (q != std::string_view::npos) ok = std::strtod(std::string(params.substr(q + 2)).c_str(), nullptr) > 0;
        }
        if (coding == "gzip" || coding == "x-gzip")
            gzip_ok = ok;
        else if (coding == "*")
            star = ok;
        if (comma == std::string_view::npos) break;
        header.remove_prefix(comma + 1);
    }
    return gzip_ok.value_or(star);
}

std::string_view cache_control(Kind kind, std::string_view path) {
    switch (kind) {
        case Kind::Index:
            return "no-cache";
        case Kind::Asset:
            return fingerprinted(path) ? "public, max-age=31536000, immutable" : "no-cache";
        case Kind::Other:
            return "public, max-age=3600";
    }
    return "no-cache";
}

bool compressible(std::string_view content_type) {
    return content_type.starts_with("text/") || content_type.starts_with("application/json") ||
           content_type.starts_with("application/manifest+json") || content_type.starts_with("application/xml") ||
           content_type.starts_with("image/svg+xml") || content_type.starts_with("application/wasm");
}

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

}  // namespace web
