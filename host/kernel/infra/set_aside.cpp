#include "infra/set_aside.hpp"

#include "infra/atomic_file.hpp"

#include <cstdio>
#include <string>
#include <system_error>

namespace oxios::kernel {

bool set_aside(const std::filesystem::path& file, int64_t unix_secs) {
    const std::string base = file.string() + ".corrupt-" + std::to_string(unix_secs);
    std::filesystem::path to = base;
    for (int n = 1; std::filesystem::exists(to); ++n) to = base + "-" + std::to_string(n);
    std::error_code ec;
    std::filesystem::rename(file, to, ec);
    if (ec) {
        std::fprintf(stderr, "oxios: unparsable file %s: cannot set it aside: %s\n", file.c_str(),
                     ec.message().c_str());
        return false;
    }
    std::fprintf(stderr, "oxios: unparsable file %s set aside as %s\n", file.c_str(), to.c_str());
    try {
        fsync_dir(file.parent_path());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "oxios: %s\n", e.what());
    }
    return true;
}

}  // namespace oxios::kernel
