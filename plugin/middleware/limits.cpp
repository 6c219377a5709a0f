#include "middleware/limits.hpp"

#include "context.hpp"

#include <string>

namespace web {

void check_size(size_t size, size_t limit) {
    if (size > limit) {
        throw HttpError(413, std::to_string(size) + " bytes exceeds limit of " + std::to_string(limit) + " bytes");
    }
}

void limits_check_request(const Ctx& ctx) { check_size(ctx.body().size(), kMaxRequestBody); }

}  // namespace web
