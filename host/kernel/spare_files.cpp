#include "spare_files.hpp"

#include "uuid.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace oxios::kernel {

SpareFiles::SpareFiles(std::filesystem::path dir, size_t keep)
    : dir_(std::move(dir)), keep_(keep), thread_([this] { run(); }) {}

SpareFiles::~SpareFiles() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    for (auto& f : ready_) {
        ::close(f.fd);
        ::unlink(f.path.c_str());
    }
}

std::optional<SpareFiles::File> SpareFiles::take() {
    std::lock_guard lock(mutex_);
    if (ready_.empty()) return std::nullopt;
    File out = std::move(ready_.front());
    ready_.pop_front();
    return out;
}

void SpareFiles::refill() {
    {
        std::lock_guard lock(mutex_);
        if (wanted_ && ready_.size() >= keep_) return;
        wanted_ = true;
    }
    cv_.notify_one();
}

size_t SpareFiles::ready() const {
    std::lock_guard lock(mutex_);
    return ready_.size();
}

void SpareFiles::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        cv_.wait(lock, [this] { return stop_ || (wanted_ && ready_.size() < keep_); });
        // Not at once: woken by a writer, this thread tends to run on the
        // writer's CPU and preempt it, and the writer's reply then waits for
        // the whole creation (measured here: the reply 100-300 us later).
        // A moment's pause lets the reply go out first.
        if (cv_.wait_for(lock, kPause, [this] { return stop_; })) return;
        lock.unlock();
        File f;
        f.path = dir_ / (".spare-" + uuid_v4() + ".tmp");
        f.fd = ::open(f.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        lock.lock();
        if (f.fd < 0) {
            wanted_ = false;  // the writer's own attempt reports the error
            continue;
        }
        ready_.push_back(std::move(f));  // the destructor removes it if stopping
    }
}

}  // namespace oxios::kernel
