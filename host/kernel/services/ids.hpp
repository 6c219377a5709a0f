// Identifiers used by the kernel's stores.
#pragma once

#include <string>
#include <string_view>

namespace oxios::kernel::services::ids {

// ^[A-Za-z0-9_-]{1,max_len}$ — the rule for session, seed, memory and
// approval ids (max_len 128) and skill names (max_len 64). Such an id is
// always a single, harmless path component.
bool valid(std::string_view id, size_t max_len = 128);

// A random UUID v4 in canonical lowercase form.
std::string new_uuid_v4();

}  // namespace oxios::kernel::services::ids
