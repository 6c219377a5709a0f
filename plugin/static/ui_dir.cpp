#include "static/ui_dir.hpp"

#include "json.hpp"

#include <cstdlib>
#include <mutex>

namespace web {
namespace {

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

}  // namespace

std::string ui_directory(const Host& host) {
    std::string dir = configured_ui_dir(host);
    if (!dir.empty()) return expand_home(std::move(dir));
    if (const char* env = std::getenv("OXIOS_WEB_UI_DIR"); env != nullptr && *env != '\0') return env;
    return {};
}

}  // namespace web
