#include "static/ui_bundle.hpp"

namespace web {

const BundledFile* bundled_file(std::string_view path) {
    for (size_t i = 0; i < kBundledFileCount; ++i) {
        if (path == kBundledFiles[i].path) return &kBundledFiles[i];
    }
    return nullptr;
}

}  // namespace web
