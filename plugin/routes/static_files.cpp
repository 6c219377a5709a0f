// The web UI's static files; rules in static_files.hpp.
#include "routes/static_files.hpp"

#include "context.hpp"
#include "errors.hpp"
#include "static/file_cache.hpp"
#include "static/http_caching.hpp"
#include "static/safe_path.hpp"
#include "static/ui_bundle.hpp"
#include "static/ui_dir.hpp"

#include <optional>
#include <string>
#include <vector>

namespace web {
namespace {

using Segments = std::vector<std::string_view>;

void send_file(Ctx& ctx, UiFile& f, Kind kind, std::string_view content_type) {
    const std::string_view cc = cache_control(kind, ctx.path());
    const bool can_gzip = compressible(content_type) && static_cast<uint64_t>(f.version.size) > kGzipMinBytes;
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

// The regular file at `segs` under the resolved `root`. realpath resolves
// every symlink: the result must still be inside, and a path that leads
// outside is a 404, not a client route.
std::optional<UiFile> disk_file(const std::string& root, const Segments& segs) {
    std::string candidate = root;
    for (std::string_view s : segs) {
        candidate += '/';
        candidate += s;
    }
    const auto real = real_path(candidate);
    if (!real) return std::nullopt;
    if (!inside(root, *real)) throw HttpError(404, "not found");
    return stat_regular(*real);
}

std::optional<UiFile> bundle_file(const Segments& segs) {
    std::string path;
    for (std::string_view s : segs) {
        path += '/';
        path += s;
    }
    const BundledFile* b = bundled_file(path);
    if (b == nullptr) return std::nullopt;
    return bundled_ui_file(*b);
}

}  // namespace

void serve_ui(Ctx& ctx) {
    // A configured directory (resolved) overrides the bundle.
    const std::string dir = ui_directory(ctx.host());
    std::optional<std::string> root;
    if (!dir.empty()) {
        root = real_path(dir);
        if (!root) throw HttpError(404, "not found");
    }
    auto find = [&](const Segments& segs) { return root ? disk_file(*root, segs) : bundle_file(segs); };

    const std::string_view path = ctx.path();
    const auto segs = safe_segments(path);
    if (!segs) throw HttpError(404, "not found");  // never 403 for the UI

    const bool under_assets = !segs->empty() && (*segs)[0] == "assets";
    if (!segs->empty() && !path.ends_with('/')) {
        if (auto f = find(*segs)) {
            const bool is_index = segs->size() == 1 && (*segs)[0] == "index.html";
            send_file(ctx, *f,
                      is_index       ? Kind::Index
                      : under_assets ? Kind::Asset
                                     : Kind::Other,
                      ui_content_type(f->name));
            return;
        }
    }
    // Not a file: a missing asset is a 404, anything else is a client route.
    if (under_assets) throw HttpError(404, "not found");
    auto index = find(Segments{"index.html"});
    if (!index) throw HttpError(404, "not found");
    send_file(ctx, *index, Kind::Index, "text/html; charset=utf-8");
}

}  // namespace web
