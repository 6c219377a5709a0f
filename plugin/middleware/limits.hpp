// Size limits: 10 MiB for any request, per-field limits for chat, skill and
// memory content and workspace writes. Over a limit -> HttpError 413
// {"error":"<size> bytes exceeds limit of <limit> bytes"}.
#pragma once

#include <cstddef>

namespace web {

class Ctx;

inline constexpr size_t kMaxRequestBody = 10u * 1024u * 1024u;
inline constexpr size_t kMaxChatContent = 65'536;
inline constexpr size_t kMaxSkillContent = 65'536;
inline constexpr size_t kMaxMemoryContent = 32'768;
inline constexpr size_t kMaxWorkspaceFile = 1'048'576;

// Throws 413 when size > limit.
void check_size(size_t size, size_t limit);

// The whole-request limit (every route).
void limits_check_request(const Ctx& ctx);

}  // namespace web
