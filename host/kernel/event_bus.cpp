#include "event_bus.hpp"

#include "infra/clock.hpp"
#include "infra/json_util.hpp"
#include "infra/uuid.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <thread>
#include <vector>

namespace oxios::kernel {

struct EventBus::Subscriber {
    EventFn fn;
    std::vector<std::string> types;  // empty: all
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<Event> queue;
    bool lagging = false;
    uint64_t missed = 0;
    bool stop = false;
    std::thread thread;
};

namespace {

// publish() writes "id", "timestamp", then "type" first, so the first "type"
// member is the event's: read without parsing the event.
std::string_view type_of(std::string_view text) {
    constexpr std::string_view key = "\"type\":\"";
    const size_t at = text.find(key);
    if (at == std::string_view::npos) return {};
    const size_t begin = at + key.size(), end = text.find('"', begin);
    return end == std::string_view::npos ? std::string_view{} : text.substr(begin, end - begin);
}

bool wants(const EventBus::Subscriber& sub, std::string_view type) {
    return sub.types.empty() || std::find(sub.types.begin(), sub.types.end(), type) != sub.types.end();
}

std::string lagged_event(uint64_t missed, int64_t now_us) {
    rapidjson::Document doc(rapidjson::kObjectType);
    auto& a = doc.GetAllocator();
    doc.AddMember("id", json::str(uuid_v4(), a), a);
    doc.AddMember("timestamp", json::str(clock::format_rfc3339(now_us), a), a);
    doc.AddMember("type", "lagged", a);
    doc.AddMember("missed", missed, a);
    return json::to_string(doc);
}

void run_subscriber(const std::shared_ptr<EventBus::Subscriber>& sub, const std::function<int64_t()>& now_us) {
    std::unique_lock lock(sub->mutex);
    for (;;) {
        sub->cv.wait(lock, [&] { return sub->stop || !sub->queue.empty() || sub->lagging; });
        if (sub->stop) return;
        if (!sub->queue.empty()) {
            auto event = std::move(sub->queue.front());
            sub->queue.pop_front();
            lock.unlock();
            try {
                sub->fn(event.first, *event.second);
            } catch (...) {
            }
            lock.lock();
        } else {
            const uint64_t missed = sub->missed;
            sub->lagging = false;
            sub->missed = 0;
            lock.unlock();
            try {
                const std::string text = lagged_event(missed, now_us());
                sub->fn(0, text);
            } catch (...) {
            }
            lock.lock();
        }
    }
}
}  // namespace

EventBus::EventBus(size_t capacity, size_t subscriber_queue, std::function<int64_t()> now_us)
    : capacity_(capacity == 0 ? 1 : capacity),
      subscriber_queue_(subscriber_queue == 0 ? 1 : subscriber_queue),
      now_us_(std::move(now_us)) {}

EventBus::~EventBus() {
    std::map<uint64_t, std::shared_ptr<Subscriber>> subs;
    {
        std::lock_guard lock(mutex_);
        subs.swap(subscribers_);
    }
    for (auto& [id, sub] : subs) {
        {
            std::lock_guard lock(sub->mutex);
            sub->stop = true;
        }
        sub->cv.notify_all();
        if (sub->thread.joinable()) {
            if (sub->thread.get_id() == std::this_thread::get_id())
                sub->thread.detach();
            else
                sub->thread.join();
        }
    }
}

uint64_t EventBus::publish(std::string_view type, std::string_view fields_json) {
    if (fields_json.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        rapidjson::Value empty(rapidjson::kObjectType);
        return publish(type, empty);
    }
    auto doc = json::parse(fields_json);
    if (!doc || !doc->IsObject()) return 0;
    return publish(type, *doc);
}

uint64_t EventBus::publish(std::string_view type, const rapidjson::Value& fields) {
    if (!fields.IsObject()) return 0;
    // Written out directly: {"id","timestamp","type", then the fields in
    // their order, the reserved three skipped}.
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    const std::string id = uuid_v4();
    const std::string timestamp = clock::format_rfc3339(now_us_());
    w.StartObject();
    w.Key("id");
    w.String(id.data(), static_cast<rapidjson::SizeType>(id.size()));
    w.Key("timestamp");
    w.String(timestamp.data(), static_cast<rapidjson::SizeType>(timestamp.size()));
    w.Key("type");
    w.String(type.data(), static_cast<rapidjson::SizeType>(type.size()));
    for (const auto& m : fields.GetObject()) {
        const char* name = m.name.GetString();
        if (std::strcmp(name, "id") == 0 || std::strcmp(name, "timestamp") == 0 || std::strcmp(name, "type") == 0)
            continue;
        w.Key(name, m.name.GetStringLength());
        m.value.Accept(w);
    }
    w.EndObject();
    auto text = std::make_shared<const std::string>(buffer.GetString(), buffer.GetSize());
    if (log_) {
        log_(std::move(text));
        return kLogged;
    }
    std::lock_guard lock(mutex_);
    const uint64_t seq = ++seq_;
    fan_out_locked(seq, text);
    return seq;
}

void EventBus::fan_out_locked(uint64_t seq, const Text& text) {
    ring_.emplace_back(seq, text);
    while (ring_.size() > capacity_) ring_.pop_front();
    const std::string_view type = type_of(*text);
    for (auto& [id, sub] : subscribers_) {
        if (!wants(*sub, type)) continue;
        bool wake = false;
        {
            std::lock_guard sl(sub->mutex);
            if (sub->lagging || sub->queue.size() >= subscriber_queue_) {
                sub->lagging = true;
                ++sub->missed;
            } else {
                // A non-empty queue means the subscriber is awake or already
                // woken: one wake-up per batch, not per event.
                wake = sub->queue.empty();
                sub->queue.emplace_back(seq, text);
            }
        }
        if (wake) sub->cv.notify_one();
    }
    published_.fetch_add(1);
}

void EventBus::set_log(std::function<void(Text)> append) { log_ = std::move(append); }
void EventBus::set_history(History history) { history_ = std::move(history); }

void EventBus::start_at(uint64_t seq) {
    std::lock_guard lock(mutex_);
    seq_ = seq;
    ring_.clear();
}

void EventBus::deliver(uint64_t seq, const Text& event) {
    std::lock_guard lock(mutex_);
    if (seq <= seq_) return;             // already here
    if (seq != seq_ + 1) ring_.clear();  // the ring holds consecutive seqs only
    seq_ = seq;
    fan_out_locked(seq, event);
}

uint64_t EventBus::subscribe(EventFn fn, std::vector<std::string> types) {
    auto sub = std::make_shared<Subscriber>();
    sub->fn = std::move(fn);
    sub->types = std::move(types);
    std::lock_guard lock(mutex_);
    const uint64_t id = next_subscription_++;
    sub->thread = std::thread([sub, now = now_us_] { run_subscriber(sub, now); });
    subscribers_.emplace(id, sub);
    return id;
}

void EventBus::unsubscribe(uint64_t subscription) {
    std::shared_ptr<Subscriber> sub;
    {
        std::lock_guard lock(mutex_);
        auto it = subscribers_.find(subscription);
        if (it == subscribers_.end()) return;
        sub = std::move(it->second);
        subscribers_.erase(it);
    }
    {
        std::lock_guard lock(sub->mutex);
        sub->stop = true;
    }
    sub->cv.notify_all();
    if (sub->thread.get_id() == std::this_thread::get_id())
        sub->thread.detach();  // called from inside fn: no further calls
    else if (sub->thread.joinable())
        sub->thread.join();
}

uint64_t EventBus::since(uint64_t after_seq, const EventFn& fn) const {
    std::vector<Event> events;
    uint64_t missed = 0, first = 0;
    {
        std::lock_guard lock(mutex_);
        if (after_seq < seq_ && !ring_.empty()) {
            // The ring holds consecutive seqs: start at the first one wanted.
            first = ring_.front().first;
            if (after_seq + 1 < first) missed = first - 1 - after_seq;
            const size_t skip = after_seq + 1 > first ? static_cast<size_t>(after_seq + 1 - first) : 0;
            events.assign(ring_.begin() + static_cast<std::ptrdiff_t>(skip), ring_.end());
        } else if (after_seq < seq_) {
            missed = seq_ - after_seq;
            first = seq_ + 1;
        }
    }
    // Older than the ring: the log's table, when there is one.
    // since(0) is how a plugin finds the head: never the whole table.
    if (missed > 0 && history_ && after_seq > 0) missed = history_(after_seq, first, fn);
    for (const auto& e : events) fn(e.first, *e.second);
    return missed;
}

uint64_t EventBus::last_seq() const {
    std::lock_guard lock(mutex_);
    return seq_;
}

size_t EventBus::subscriber_count() const {
    std::lock_guard lock(mutex_);
    return subscribers_.size();
}

}  // namespace oxios::kernel
