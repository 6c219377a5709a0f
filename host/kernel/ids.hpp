// The id rule of sessions and spaces: ^[A-Za-z0-9_-]{1,128}$.
#pragma once

#include <string_view>

namespace oxios::kernel {

bool valid_id(std::string_view id);

}  // namespace oxios::kernel
