#include "infra/ids.hpp"

namespace oxios::kernel {

bool valid_id(std::string_view id, size_t max_len) {
    if (id.empty() || id.size() > max_len) return false;
    for (char c : id) {
        const bool ok =
            (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

}  // namespace oxios::kernel
