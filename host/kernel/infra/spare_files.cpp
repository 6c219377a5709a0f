#include "infra/spare_files.hpp"

#include "infra/uuid.hpp"

#include <fcntl.h>
#include <sys/stat.h>
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

namespace {
// The name still leads to the file we created and hold open (nobody removed
// it, or put another file in its place, since: a second store on the same
// directory cleaning ".*.tmp", a workspace write to that name).
bool still_ours(const SpareFiles::File& f) {
    struct stat held {
    }, named{};
    return ::fstat(f.fd, &held) == 0 && ::fstatat(AT_FDCWD, f.path.c_str(), &named, AT_SYMLINK_NOFOLLOW) == 0 &&
           held.st_dev == named.st_dev && held.st_ino == named.st_ino && held.st_size == 0;
}
}  // namespace

std::optional<SpareFiles::File> SpareFiles::take() {
    std::lock_guard lock(mutex_);
    while (!ready_.empty()) {
        File out = std::move(ready_.front());
        ready_.pop_front();
        if (still_ours(out)) return out;
        ::close(out.fd);  // the name is no longer ours to remove
    }
    return std::nullopt;
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
        const bool was_full = ready_.size() >= keep_ || !wanted_;
        cv_.wait(lock, [this] { return stop_ || (wanted_ && ready_.size() < keep_); });
        // Not at once when just woken: this thread tends to run on the
        // writer's CPU and preempt it, and the writer's reply then waits for
        // the whole creation (measured here: the reply 100-300 us later).
        // A moment's pause lets the reply go out first; the rest of the
        // batch follows without one.
        if (was_full && cv_.wait_for(lock, kPause, [this] { return stop_; })) return;
        if (stop_) return;
        lock.unlock();
        File f;
        try {
            f.path = dir_ / (".spare-" + uuid_v4() + ".tmp");
            f.fd = ::open(f.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        } catch (...) {  // out of memory: no spare this time
        }
        lock.lock();
        if (f.fd < 0) {
            // Writers create their own temp files meanwhile, and report any
            // error that creating one gives.
            wanted_ = false;
            continue;
        }
        try {
            ready_.push_back(std::move(f));  // the destructor removes it if stopping
        } catch (...) {
            ::close(f.fd);
            ::unlink(f.path.c_str());
            wanted_ = false;
        }
    }
}

}  // namespace oxios::kernel
