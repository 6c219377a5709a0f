// Files a store cannot parse are kept, never overwritten: renamed aside.
#pragma once

#include <cstdint>
#include <filesystem>

namespace oxios::kernel {

// Renames `file` to <file>.corrupt-<unix_secs> (with a -N suffix when that
// name is taken), fsyncs its directory and logs it; false (logged) when the
// rename fails.
bool set_aside(const std::filesystem::path& file, int64_t unix_secs);

}  // namespace oxios::kernel
