// HTTP caching of the UI's files: validators (ETag, Last-Modified) and
// revalidation, gzip negotiation, Cache-Control by kind of file, and the
// Content-Type by extension.
#pragma once

#include "static/file_cache.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace web {

// Strong validator from the file's identity: quoted, one per version.
std::string etag_of(const FileVersion& v);
// The gzip representation gets its own tag (same file, other bytes).
std::string gzip_etag(const std::string& etag);

std::string http_date(int64_t unix_sec);
std::optional<int64_t> parse_http_date(std::string_view s);

// If-None-Match: "*" or a list of (weak or strong) tags; weak comparison,
// either representation's tag.
bool none_match_hits(std::string_view header, const std::string& etag);
// Accept-Encoding allows gzip: listed (or "*") with a q above 0.
bool accepts_gzip(std::string_view header);

enum class Kind { Index, Asset, Other };
// "no-cache" for index.html and unfingerprinted assets, a year and immutable
// for content-hashed /assets/ files, an hour for the rest.
std::string_view cache_control(Kind kind, std::string_view path);

// The Content-Type for a file name, and whether such content is worth gzip.
std::string_view ui_content_type(std::string_view file_name);
bool compressible(std::string_view content_type);

}  // namespace web
