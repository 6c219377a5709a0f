// Identifier rules and generation: session/space ids (^[A-Za-z0-9_-]{1,128}$)
// and UUID v4 message ids.
#pragma once

#include <string>
#include <string_view>

namespace web {

bool valid_id(std::string_view id) noexcept;
std::string uuid_v4();

}  // namespace web
