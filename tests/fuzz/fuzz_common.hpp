// Shared bits of the libFuzzer targets (tests/fuzz): where the plugin is,
// and small helpers to cut an input into pieces.
#pragma once

#include <dlfcn.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace oxios_fuzz {

// The plugin under test: env OXIOS_PLUGIN, else the one of this build.
inline std::string plugin_path() {
    const char* p = std::getenv("OXIOS_PLUGIN");
    return (p != nullptr && *p != '\0') ? std::string(p) : std::string(OXIOS_FUZZ_PLUGIN);
}

// The bundled UI (static files are served from it; read only).
inline std::string ui_dir() { return OXIOS_FUZZ_UI_DIR; }

// Keeps an already loaded library mapped for good (RTLD_NODELETE): libFuzzer
// reads the coverage counters of every instrumented module until exit.
// The harness's private copy of it (in the host's own temp directory) is
// removed at exit, as the never-destroyed host would have done.
inline void pin_loaded(const std::string& path) {
    if (path.empty() || ::dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE) == nullptr) {
        std::fprintf(stderr, "fuzz: cannot pin %s\n", path.c_str());
        std::abort();
    }
    static std::string dir;
    dir = std::filesystem::path(path).parent_path().string();
    std::atexit([] {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    });
}

// Splits `in` at the first `sep`: returns the part before, leaves the rest
// (after the separator) in `in`; no separator -> everything, `in` empty.
inline std::string_view take_until(std::string_view& in, char sep) {
    const size_t at = in.find(sep);
    std::string_view head = in.substr(0, at);
    in = at == std::string_view::npos ? std::string_view{} : in.substr(at + 1);
    return head;
}

// stderr as it was at start: scripts/fuzz may run with -close_fd_mask=2
// (the code under test logs to stderr), invariant reports must still show.
inline const int g_report_fd = ::dup(2);

// A broken invariant (not a sanitizer report): print and abort so libFuzzer
// records the input as a crash.
[[noreturn]] inline void fail(const char* what, std::string_view detail = {}) {
    if (detail.size() > 2000) detail = detail.substr(0, 2000);
    std::string line = std::string("fuzz invariant broken: ") + what + ": " + std::string(detail) + "\n";
    const int fd = g_report_fd >= 0 ? g_report_fd : 2;
    if (::write(fd, line.data(), line.size()) < 0) std::fputs(line.c_str(), stderr);
    std::abort();
}

// Equal JSON, numbers within rounding: RapidJSON's default number parsing is
// not exact, so a double may move by an ulp each time a file is rewritten.
inline bool same_value(const rapidjson::Value& a, const rapidjson::Value& b) {
    if (a.IsNumber() && b.IsNumber()) {
        const double x = a.GetDouble(), y = b.GetDouble();
        return x == y || std::fabs(x - y) <= 1e-12 * std::max(std::fabs(x), std::fabs(y));
    }
    if (a.GetType() != b.GetType()) return false;
    if (a.IsObject()) {
        if (a.MemberCount() != b.MemberCount()) return false;
        for (auto i = a.MemberBegin(), j = b.MemberBegin(); i != a.MemberEnd(); ++i, ++j)
            if (!(i->name == j->name) || !same_value(i->value, j->value)) return false;
        return true;
    }
    if (a.IsArray()) {
        if (a.Size() != b.Size()) return false;
        for (rapidjson::SizeType k = 0; k < a.Size(); ++k)
            if (!same_value(a[k], b[k])) return false;
        return true;
    }
    return a == b;
}

inline bool same_json(const std::string& x, const std::string& y) {
    rapidjson::Document a, b;
    a.Parse(x.c_str(), x.size());
    b.Parse(y.c_str(), y.size());
    return !a.HasParseError() && !b.HasParseError() && same_value(a, b);
}

}  // namespace oxios_fuzz
