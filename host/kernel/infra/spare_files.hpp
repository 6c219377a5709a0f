// Empty temp files created ahead of need in one directory, by a thread of its
// own, so that a durable write (atomic_file.hpp) does not create its temp
// file on the caller's path. Creating a file means allocating an inode, which
// on the ext4 this project runs on (no journal) scans the inode bitmap past
// every recently deleted inode: measured here at 80-500 us, as much as the
// write's own fsync. The write protocol is unchanged (a uniquely named temp
// file, fsync, rename, fsync of the directory): only the temp file's creation
// moves off the path.
//
// Nothing is created before the first refill() (the end of the first write):
// an idle store adds no files. Spares are named ".spare-<uuid>.tmp"; the
// destructor removes the ones not used. A crash leaves them (at most `keep`,
// besides the temp file of each write in progress), and the session store's
// start-up removes them with any other ".*.tmp". take() checks that a
// spare's name still leads to the file it holds open: one removed or replaced
// meanwhile (another store cleaning the directory, a workspace write to that
// name) is dropped, never written and renamed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

namespace oxios::kernel {

class SpareFiles {
public:
    struct File {
        int fd = -1;  // open for writing, empty; the taker closes it
        std::filesystem::path path;
    };

    SpareFiles(std::filesystem::path dir, size_t keep);
    ~SpareFiles();
    SpareFiles(const SpareFiles&) = delete;
    SpareFiles& operator=(const SpareFiles&) = delete;

    const std::filesystem::path& dir() const { return dir_; }

    // A ready spare, now the caller's (its fd to close, its file to rename or
    // remove), or nullopt when none is ready. Thread-safe.
    std::optional<File> take();

    // Asks the thread to top the pool up. A writer calls it once its write is
    // over (durable, or failed), not at take(): a file created during the
    // write's fsync shares the directory and inode-table blocks being
    // written, and was measured here to double that fsync. (With several
    // writers one's creation may still overlap another's fsync.) After a
    // failed creation (disk full, directory gone) the thread waits for the
    // next refill(). Thread-safe.
    void refill();

    // Spares ready now (tests).
    size_t ready() const;

private:
    static constexpr std::chrono::microseconds kPause{300};  // see run()
    void run();

    const std::filesystem::path dir_;
    const size_t keep_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<File> ready_;  // under mutex_
    bool wanted_ = false;     // under mutex_: refill() asked since the last failure
    bool stop_ = false;       // under mutex_
    std::thread thread_;
};

}  // namespace oxios::kernel
