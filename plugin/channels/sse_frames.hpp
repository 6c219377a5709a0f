// SSE framing of kernel events, and FrameCache: each event sanitised and
// framed once per plugin instance, shared by live delivery and catch-ups.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace web::channels {

// "id: <seq>\ndata: <json>\n\n"
std::string sse_event_frame(uint64_t seq, std::string_view json);
// "event: resync\ndata: {\"type\":\"resync\",\"missed\":N}\n\n"
std::string sse_resync_frame(uint64_t missed);

class FrameCache {
public:
    // "id: <seq>\ndata: <sanitised json>\n\n", or "" for an event the UI
    // could not read (skipped, never written).
    using Frame = std::shared_ptr<const std::string>;
    // Frames kept: the kernel's default replay ring (16 x its 1024-event
    // subscriber queue), the deepest catch-up a stream normally needs.
    static constexpr size_t kSize = 16384;

    // The frame of bus event `seq` (raw JSON `raw`), from the cache or made
    // and cached now.
    Frame get(uint64_t seq, std::string_view raw);
    void clear();

private:
    std::mutex mutex_;  // slots_
    // Slot seq % kSize holds the frame of that seq, if it was made (and not
    // yet overwritten by seq + kSize).
    std::vector<std::pair<uint64_t, Frame>> slots_ = std::vector<std::pair<uint64_t, Frame>>(kSize);
};

}  // namespace web::channels
