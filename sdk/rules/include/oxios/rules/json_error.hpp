// The error body every side answers with: {"error":"<message>"}.
#pragma once

#include <string>
#include <string_view>

namespace oxios::rules {

// The message is escaped as a JSON string: '"' and '\\', \b \f \n \r \t,
// other control characters as \u00XX; every other byte (UTF-8) as is.
std::string json_error(std::string_view message);

}  // namespace oxios::rules
