// Which UI directory overrides the bundled UI: config `web.ui_dir` (when a
// non-empty string; "~/" expands to $HOME), else env OXIOS_WEB_UI_DIR.
#pragma once

#include "host.hpp"

#include <string>

namespace web {

// The directory as configured (not resolved); "" = serve the bundled UI.
std::string ui_directory(const Host& host);

}  // namespace web
