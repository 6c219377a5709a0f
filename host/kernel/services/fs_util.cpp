#include "services/fs_util.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <random>
#include <system_error>

namespace oxios::kernel::services::files {
namespace {

[[noreturn]] void throw_errno(int err, const std::string& what) {
    throw std::system_error(err, std::generic_category(), what);
}

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    // Closes now and reports close's error (it can carry a delayed write error).
    int close_checked() {
        int rc = ::close(fd_);
        fd_ = -1;
        return rc;
    }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_;
};

std::string temp_name(const std::string& base) {
    static std::atomic<uint64_t> counter{0};
    thread_local std::mt19937_64 rng{std::random_device{}()};
    // The base is cut so that a 255-byte file name still gets a valid temp name.
    return "." + base.substr(0, 100) + ".tmp." + std::to_string(::getpid()) + "." +
           std::to_string(counter.fetch_add(1)) + "." + std::to_string(rng() & 0xffffffffu);
}

void write_all(int fd, std::string_view data, const std::string& what) {
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno(errno, "write " + what);
        }
        p += n;
        left -= static_cast<size_t>(n);
    }
}

}  // namespace

void fsync_dir(const std::filesystem::path& dir) {
    Fd fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) throw_errno(errno, "open directory " + dir.string());
    if (::fsync(fd.get()) != 0 && errno != EINVAL && errno != EROFS)
        throw_errno(errno, "fsync directory " + dir.string());
}

void write_atomic(const std::filesystem::path& path, std::string_view data, mode_t mode) {
    const std::filesystem::path dir = path.parent_path();
    const std::string base = path.filename().string();
    if (base.empty() || base == "." || base == "..")
        throw_errno(EINVAL, "write " + path.string() + ": not a file name");

    std::filesystem::path tmp;
    int raw = -1;
    for (int attempt = 0; attempt < 16 && raw < 0; ++attempt) {
        tmp = dir / temp_name(base);
        raw = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (raw < 0 && errno != EEXIST) throw_errno(errno, "create " + tmp.string());
    }
    if (raw < 0) throw_errno(EEXIST, "create temp file for " + path.string());

    Fd fd(raw);
    try {
        write_all(fd.get(), data, tmp.string());
        if (::fsync(fd.get()) != 0) throw_errno(errno, "fsync " + tmp.string());
        if (fd.close_checked() != 0) throw_errno(errno, "close " + tmp.string());
        if (::rename(tmp.c_str(), path.c_str()) != 0)
            throw_errno(errno, "rename " + tmp.string() + " to " + path.string());
    } catch (...) {
        fd.reset();
        ::unlink(tmp.c_str());
        throw;
    }
    fsync_dir(dir);
}

void create_dirs(const std::filesystem::path& dir) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) throw_errno(ENOTDIR, "create directory " + dir.string());
        return;
    }
    const std::filesystem::path parent = dir.parent_path();
    if (!parent.empty() && parent != dir) create_dirs(parent);
    if (::mkdir(dir.c_str(), 0755) != 0) {
        if (errno == EEXIST && ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return;  // raced
        throw_errno(errno, "create directory " + dir.string());
    }
    fsync_dir(parent.empty() ? std::filesystem::path(".") : parent);
}

std::optional<std::string> read_file(const std::filesystem::path& path) {
    int raw;
    do {
        raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (raw < 0 && errno == EINTR);
    if (raw < 0) {
        if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
        throw_errno(errno, "open " + path.string());
    }
    Fd fd(raw);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_errno(errno, "stat " + path.string());
    if (S_ISDIR(st.st_mode)) throw_errno(EISDIR, "read " + path.string());

    std::string out;
    if (st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno(errno, "read " + path.string());
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

}  // namespace oxios::kernel::services::files
