// Random (version 4) UUIDs, lowercase text form.
#pragma once

#include <string>
#include <string_view>

namespace oxios::kernel {

std::string uuid_v4();
// The canonical text form 8-4-4-4-12 (hex digits, either case), any version.
bool valid_uuid(std::string_view text) noexcept;

}  // namespace oxios::kernel
