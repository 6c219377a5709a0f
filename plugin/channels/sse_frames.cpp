// SSE framing of events, and the per-instance cache that frames each event
// once, whether it reaches a stream live or in a catch-up.
#include "channels/sse_frames.hpp"

#include "channels/event_sanitizer.hpp"
#include "json.hpp"

namespace web::channels {

std::string sse_event_frame(uint64_t seq, std::string_view json) {
    std::string out;
    out.reserve(json.size() + 32);
    out.append("id: ").append(std::to_string(seq)).append("\ndata: ").append(json).append("\n\n");
    return out;
}

std::string sse_resync_frame(uint64_t missed) {
    json::Builder b;
    b.obj().kv("type", "resync").kv("missed", missed).end_obj();
    std::string out = "event: resync\ndata: ";
    out.append(b.view()).append("\n\n");
    return out;
}

FrameCache::Frame FrameCache::get(uint64_t seq, std::string_view raw) {
    auto& slot = slots_[seq % kSize];
    {
        std::lock_guard lock(mutex_);
        if (slot.first == seq && slot.second) return slot.second;
    }
    // Made outside the lock; two threads may make the same frame (both are
    // equal). An older seq never replaces a newer one in its slot.
    const std::string sanitized = sanitize_event(raw);
    auto made =
        std::make_shared<const std::string>(sanitized.empty() ? std::string() : sse_event_frame(seq, sanitized));
    std::lock_guard lock(mutex_);
    if (slot.first <= seq) slot = {seq, made};
    return made;
}

void FrameCache::clear() {
    std::lock_guard lock(mutex_);
    for (auto& slot : slots_) slot = {};
}

}  // namespace web::channels
