// oxios_str helpers: the ABI's (pointer, length) views to and from C++ views.
#pragma once

#include "oxios_plugin.h"

#include <string>
#include <string_view>

namespace oxios::rules {

// {nullptr, n} reads as empty (a plugin's bug must not crash the reader).
inline std::string_view view(oxios_str s) {
    return s.ptr == nullptr ? std::string_view{} : std::string_view{s.ptr, s.len};
}
inline std::string to_string(oxios_str s) { return std::string(view(s)); }
inline oxios_str str(std::string_view s) { return oxios_str{s.data(), s.size()}; }
// False for a null pointer with a non-zero length (a broken view).
inline bool well_formed(oxios_str s) { return s.ptr != nullptr || s.len == 0; }

}  // namespace oxios::rules
