// Random (version 4) UUIDs, lowercase text form.
#pragma once

#include <string>

namespace oxios::kernel {

std::string uuid_v4();

}  // namespace oxios::kernel
