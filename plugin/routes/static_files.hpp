// The web UI: files under the UI directory, index.html for client routes.
//
// The UI directory is, in order of precedence: config `web.ui_dir` (when a
// non-empty string; "~/" expands to $HOME), env OXIOS_WEB_UI_DIR, and the
// `ui` directory next to this plugin's own .so (found with dladdr; the real
// host loads a private copy from a temp directory, which is why the first two
// exist).
//
// Serving rules (docs/api.md, "Catch-alls and the web UI"):
// - a regular file under the UI directory wins wherever it is;
// - a path that does not name such a file serves index.html (SPA client
//   routes), except under /assets/, where a missing file is a 404;
// - no path ever escapes the directory: `.`/`..` segments, NUL, backslashes
//   and symlinks resolving outside it are all a 404 (never 403), checked on
//   the decoded path and again on the resolved real path;
// - Content-Type by extension, ETag + Last-Modified with 304 on
//   If-None-Match / If-Modified-Since, gzip (cached in memory per file
//   version) when the client accepts it and the file is compressible and
//   larger than 1 KiB;
// - Cache-Control: "no-cache" for index.html (also as the SPA fallback),
//   "public, max-age=31536000, immutable" for fingerprinted files under
//   /assets/ (a content hash in the name, as bundlers emit), "no-cache" for
//   other /assets/ files (their content changes under the same name: they
//   are revalidated, which costs a 304), "public, max-age=3600" otherwise.
#pragma once

#include "host.hpp"

#include <string>
#include <string_view>

namespace web {

class Ctx;

// Serves a GET/HEAD for a path outside /api. Throws HttpError(404) when there
// is nothing to serve (no such file and no index.html).
void serve_ui(Ctx& ctx);

// The UI directory in effect (as configured, not resolved; "" when none of
// the three sources gives one).
std::string ui_directory(const Host& host);

// Exposed for tests and the router: the Content-Type for a file name.
std::string_view ui_content_type(std::string_view file_name);

}  // namespace web
