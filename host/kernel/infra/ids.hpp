// The id rule of sessions, spaces, seeds, memory and approvals:
// ^[A-Za-z0-9_-]{1,max_len}$ (128 unless a service names a shorter limit).
#pragma once

#include <cstddef>
#include <string_view>

namespace oxios::kernel {

bool valid_id(std::string_view id, size_t max_len = 128);

}  // namespace oxios::kernel
