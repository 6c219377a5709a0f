// SSE /api/events transport: the bus subscription, each stream's position,
// live delivery, catch-up after backpressure or lag, and the reload hand-over.
#include "channels/sse_events.hpp"

#include <algorithm>

namespace web::channels {

namespace {

// ---- event bus callbacks ----------------------------------------------------

void max_seq(void* user, uint64_t seq, const char*, size_t) {
    auto* m = static_cast<uint64_t*>(user);
    *m = std::max(*m, seq);
}

}  // namespace

// ---- lifecycle --------------------------------------------------------------

oxios_status SseEvents::start() {
    uint64_t head = 0;
    const oxios_host_api& api = host_.api();
    api.events_since(host_.raw(), 0, max_seq, &head, nullptr);
    {
        std::lock_guard lock(mutex_);
        head_ = std::max(head_, head);
        head_at_start_ = head;
        stopped_ = false;
    }
    {
        std::lock_guard lock(resume_mutex_);
        resume_stop_ = false;
    }
    if (!resumer_.joinable()) resumer_ = std::thread([this] { run_resumer(); });
    return OXIOS_OK;
}

oxios_status SseEvents::subscribe() {
    std::lock_guard once(subscribe_mutex_);
    {
        std::lock_guard lock(mutex_);
        if (subscribed_) return OXIOS_OK;
        if (stopped_) return OXIOS_E_CLOSED;
    }
    uint64_t sub = 0;
    const oxios_status s = host_.api().events_subscribe(host_.raw(), on_event, this, &sub);
    if (s != OXIOS_OK) {
        host_.log(OXIOS_LOG_ERROR, "web: events_subscribe failed with status " + std::to_string(s));
        return s;
    }
    std::lock_guard lock(mutex_);
    subscription_ = sub;
    subscribed_ = true;
    return OXIOS_OK;
}

void SseEvents::stop() noexcept {
    try {
        stop_impl();
    } catch (...) {
    }
}

void SseEvents::stop_impl() {
    uint64_t sub = 0;
    bool had = false;
    {
        std::lock_guard once(subscribe_mutex_);  // not while an open() subscribes
        std::lock_guard lock(mutex_);
        had = subscribed_;
        sub = subscription_;
        subscribed_ = false;
        stopped_ = true;
    }
    if (had) host_.api().events_unsubscribe(host_.raw(), sub);
    {
        std::lock_guard lock(resume_mutex_);
        resume_stop_ = true;
        resume_.clear();
    }
    resume_cv_.notify_all();
    if (resumer_.joinable()) resumer_.join();
    std::unordered_map<uint64_t, std::shared_ptr<Stream>> gone;
    {
        std::lock_guard lock(mutex_);
        gone.swap(streams_);
        list_.reset();
    }
    frames_.clear();
    for (auto& [id, s] : gone) {
        std::lock_guard lock(s->mutex);
        s->closed = true;
    }
}

size_t SseEvents::stream_count() const {
    std::lock_guard lock(mutex_);
    return streams_.size();
}

// ---- streams ----------------------------------------------------------------

uint64_t SseEvents::bus_newest(uint64_t from) const {
    // Usually nothing to visit: only what our subscription has not seen yet.
    uint64_t newest = from;
    host_.api().events_since(host_.raw(), from, max_seq, &newest, nullptr);
    return std::max(from, newest);
}

uint64_t SseEvents::bus_head() {
    uint64_t head = 0;
    {
        std::lock_guard lock(mutex_);
        head = head_;
    }
    const uint64_t newest = bus_newest(head);
    std::lock_guard lock(mutex_);
    head_ = std::max(head_, newest);
    return newest;
}

oxios_status SseEvents::open(uint64_t id, uint64_t last_seq, bool resumed) {
    // Live events from here on, before the stream's position is taken: an
    // event either comes live or is at or below that position (replayed).
    // Should the bus refuse, the stream is kept all the same (the host would
    // keep the connection, and the UI never reconnects): the catch-up thread
    // retries and then brings every stream up to date.
    if (subscribe() != OXIOS_OK) {
        {
            std::lock_guard lock(resume_mutex_);
            resubscribe_ = true;
        }
        resume_cv_.notify_one();
    }
    auto s = std::make_shared<Stream>();
    std::unique_lock stream_lock(s->mutex);  // live events wait until the replay is done
    const uint64_t bus = resumed ? 0 : bus_head();
    std::shared_ptr<Stream> replaced;
    bool replay = false;
    {
        std::lock_guard lock(mutex_);
        uint64_t pos = last_seq;
        if (resumed) {
            if (pos == 0) {
                // Nothing written to it yet: resume from where it opened, as
                // the previous instance recorded it, else from our own start.
                auto it = imported_.find(id);
                pos = it != imported_.end() ? it->second : std::min(imported_head_, head_at_start_);
                if (it == imported_.end() && imported_head_ == 0) pos = head_at_start_;
            } else if (auto it = imported_.find(id); it != imported_.end()) {
                // The previous instance may be ahead of the host's count by
                // a resync it announced (seq 0): not announced twice.
                pos = std::max(pos, it->second);
            }
        } else if (pos == 0 || pos > bus) {
            // Fresh: live from the bus's position now. A Last-Event-ID the bus
            // never reached (an earlier host process) starts live too.
            pos = bus;
        }
        // head_ may be past `bus` already: live() took its list of streams
        // without this one. Those events come from the replay.
        replay = resumed || pos < std::max(bus, head_);
        s->pos = pos;
        if (auto it = streams_.find(id); it != streams_.end()) replaced = it->second;
        streams_[id] = s;
        list_.reset();
    }
    if (replaced && replaced != s) {
        std::lock_guard lock(replaced->mutex);
        replaced->closed = true;
    }
    if (replay) catch_up(id, *s);
    return OXIOS_OK;
}

void SseEvents::close(uint64_t id) {
    std::shared_ptr<Stream> s;
    {
        std::lock_guard lock(mutex_);
        auto it = streams_.find(id);
        if (it == streams_.end()) return;
        s = std::move(it->second);
        streams_.erase(it);
        list_.reset();
    }
    std::lock_guard lock(s->mutex);  // waits for a write in progress
    s->closed = true;
}

void SseEvents::writable(uint64_t id) {
    {
        std::lock_guard lock(resume_mutex_);
        if (resume_stop_) return;
        resume_.push_back(id);
    }
    resume_cv_.notify_one();
}

void SseEvents::run_resumer() {
    std::vector<uint64_t> ids;
    for (;;) {
        bool resubscribe = false;
        {
            std::unique_lock lock(resume_mutex_);
            const auto ready = [&] { return resume_stop_ || !resume_.empty(); };
            if (resubscribe_)  // retry a second after the last attempt
                resume_cv_.wait_for(lock, kResubscribeEvery, ready);
            else  // open() sets resubscribe_ while this thread may be waiting here
                resume_cv_.wait(lock, [&] { return ready() || resubscribe_; });
            if (resume_stop_) return;
            ids.swap(resume_);
            resubscribe = resubscribe_;
        }
        if (resubscribe && subscribe() == OXIOS_OK) {
            {
                std::lock_guard lock(resume_mutex_);
                resubscribe_ = false;
            }
            catch_up_all();  // what was published while nobody listened
        }
        for (uint64_t id : ids) {
            {
                std::lock_guard lock(resume_mutex_);
                if (resume_stop_) return;
            }
            std::shared_ptr<Stream> s;
            {
                std::lock_guard lock(mutex_);
                auto it = streams_.find(id);
                if (it == streams_.end()) continue;
                s = it->second;
            }
            try {
                std::lock_guard lock(s->mutex);
                if (s->closed) continue;
                s->blocked = false;
                catch_up(id, *s);
            } catch (...) {
            }
        }
        ids.clear();
    }
}

std::shared_ptr<const SseEvents::StreamList> SseEvents::snapshot() const {
    if (!list_) {
        auto list = std::make_shared<StreamList>();
        list->reserve(streams_.size());
        for (const auto& [id, s] : streams_) list->emplace_back(id, s);
        list_ = std::move(list);
    }
    return list_;
}

namespace {
struct Collected {
    SseEvents* self;
    std::vector<std::pair<uint64_t, std::shared_ptr<const std::string>>> frames;
};
}  // namespace

void SseEvents::collect_frame(void* user, uint64_t seq, const char* json, size_t len) {
    try {
        auto* c = static_cast<Collected*>(user);
        c->frames.emplace_back(
            seq, c->self->frames_.get(seq, std::string_view(json == nullptr ? "" : json, json == nullptr ? 0 : len)));
    } catch (...) {
    }
}

void SseEvents::write_event(uint64_t id, Stream& s, uint64_t seq, const std::string& frame) {
    if (frame.empty()) {
        s.pos = seq;  // not an event the UI could read (never happens with the kernel's bus)
        return;
    }
    const oxios_status st = host_.api().stream_write(host_.raw(), id, seq, to_str(frame));
    if (st == OXIOS_E_CLOSED) {
        s.closed = true;  // gone, or moved to another instance
        return;
    }
    if (st == OXIOS_E_BUSY) {
        s.blocked = true;  // not written: writable() resumes from s.pos
        return;
    }
    s.pos = seq;
}

void SseEvents::catch_up(uint64_t id, Stream& s) {
    if (s.closed || s.blocked) return;
    // One pass over what the bus holds (events_since visits all of it):
    // what comes meanwhile arrives live, or leaves a hole live() fills.
    Collected events{this, {}};
    uint64_t missed = 0;
    host_.api().events_since(host_.raw(), s.pos, collect_frame, &events, &missed);
    if (missed > 0) {
        const std::string frame = sse_resync_frame(missed);
        const oxios_status st = host_.api().stream_write(host_.raw(), id, 0, to_str(frame));
        if (st == OXIOS_E_CLOSED) {
            s.closed = true;
            return;
        }
        if (st == OXIOS_E_BUSY) {
            s.blocked = true;
            return;
        }
        s.pos += missed;  // announced: the next catch-up does not count them again
    }
    for (const auto& [seq, frame] : events.frames) {
        if (s.closed || s.blocked) return;
        if (seq <= s.pos) continue;
        write_event(id, s, seq, *frame);
    }
}

void SseEvents::catch_up_all() {
    std::shared_ptr<const StreamList> streams;
    {
        std::lock_guard lock(mutex_);
        streams = snapshot();
    }
    for (const auto& [id, s] : *streams) {
        try {
            std::lock_guard lock(s->mutex);
            catch_up(id, *s);  // not a closed or blocked one
        } catch (...) {
        }
    }
}

void SseEvents::on_event(void* user, uint64_t seq, const char* json, size_t len) {
    try {
        static_cast<SseEvents*>(user)->live(seq,
                                            std::string_view(json == nullptr ? "" : json, json == nullptr ? 0 : len));
    } catch (...) {
    }
}

void SseEvents::live(uint64_t seq, std::string_view raw) {
    if (seq == 0) {
        // Out-of-band: "lagged" (this subscription dropped events). Never
        // forwarded; every stream catches up from the bus's replay buffer,
        // with a resync when the buffer no longer holds what it missed.
        json::Document doc;
        if (!json::parse(raw, doc) || !doc.IsObject()) return;
        const json::Value* type = json::find(doc, "type");
        if (type == nullptr || !type->IsString() || std::string_view(type->GetString()) != "lagged") return;
        catch_up_all();
        return;
    }
    std::shared_ptr<const StreamList> streams;
    {
        // head_ and the snapshot move together: a stream registered after
        // this point starts at or after seq.
        std::lock_guard lock(mutex_);
        head_ = std::max(head_, seq);
        streams = snapshot();
    }
    if (streams->empty()) return;
    const Frame frame = frames_.get(seq, raw);
    for (const auto& [id, s] : *streams) {
        std::lock_guard lock(s->mutex);
        if (s->closed || s->blocked || seq <= s->pos) continue;  // blocked: writable() catches up
        if (seq > s->pos + 1) catch_up(id, *s);                  // a hole: fill it from the bus
        if (s->closed || s->blocked || seq <= s->pos) continue;
        write_event(id, *s, seq, *frame);
    }
}

// ---- hand-over ----------------------------------------------------------------

void SseEvents::export_state(json::Builder& out) const {
    std::shared_ptr<const StreamList> streams;
    uint64_t head = 0;
    {
        std::lock_guard lock(mutex_);
        streams = snapshot();
        head = head_;
    }
    // Without a subscription head_ stays where start() found the bus: hand
    // over where the bus is now (a stream opened meanwhile starts there).
    head = bus_newest(head);
    out.obj().kv("head", head).key("streams").arr();
    for (const auto& [id, s] : *streams) {
        std::lock_guard lock(s->mutex);
        if (s->closed) continue;
        out.arr().u64(id).u64(s->pos).end_arr();
    }
    out.end_arr().end_obj();
}

void SseEvents::import_state(const json::Value& v) {
    if (!v.IsObject()) return;
    std::lock_guard lock(mutex_);
    if (const json::Value* h = json::find(v, "head"); h != nullptr && h->IsUint64()) imported_head_ = h->GetUint64();
    const json::Value* streams = json::find(v, "streams");
    if (streams == nullptr || !streams->IsArray()) return;
    for (const auto& item : streams->GetArray()) {
        if (!item.IsArray() || item.Size() != 2 || !item[0].IsUint64() || !item[1].IsUint64()) continue;
        if (imported_.size() >= 100'000) break;
        imported_[item[0].GetUint64()] = item[1].GetUint64();
    }
}

}  // namespace web::channels
