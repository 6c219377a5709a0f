// The web UI: its files, index.html for client routes.
//
// The files come from config `web.ui_dir` or env OXIOS_WEB_UI_DIR when one is
// set (static/ui_dir.hpp), else from the UI bundled into this .so at build
// time (static/ui_bundle.hpp): the same rules apply to both.
//
// Serving rules (docs/api.md, "Catch-alls and the web UI"):
// - a regular file of the UI wins wherever it is;
// - a path that does not name such a file serves index.html (SPA client
//   routes), except under /assets/, where a missing file is a 404;
// - no path ever escapes the directory: `.`/`..` segments, NUL, backslashes
//   and symlinks resolving outside it are all a 404 (never 403), checked on
//   the decoded path and again on the resolved real path (static/safe_path.hpp);
// - Content-Type by extension, ETag + Last-Modified with 304 on
//   If-None-Match / If-Modified-Since, gzip (cached in memory per file
//   version, static/file_cache.hpp) when the client accepts it and the file is
//   compressible and larger than 1 KiB;
// - Cache-Control (static/http_caching.hpp): "no-cache" for index.html (also
//   as the SPA fallback), "public, max-age=31536000, immutable" for
//   fingerprinted files under /assets/ (a content hash in the name, as
//   bundlers emit), "no-cache" for other /assets/ files (their content changes
//   under the same name: they are revalidated, which costs a 304),
//   "public, max-age=3600" otherwise.
#pragma once

namespace web {

class Ctx;

// Serves a GET/HEAD for a path outside /api. Throws HttpError(404) when there
// is nothing to serve (no such file and no index.html).
void serve_ui(Ctx& ctx);

}  // namespace web
