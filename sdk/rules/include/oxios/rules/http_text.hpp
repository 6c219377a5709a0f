// Header-value text as HTTP defines it (RFC 9110), one rule for host and plugin.
#pragma once

#include <string_view>

namespace oxios::rules {

// Without the optional whitespace (spaces and tabs) around it.
std::string_view trim_ows(std::string_view s);

}  // namespace oxios::rules
