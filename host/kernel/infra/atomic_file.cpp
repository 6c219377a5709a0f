#include "infra/atomic_file.hpp"

#include "infra/spare_files.hpp"
#include "infra/uuid.hpp"
#include "services/fs_util.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <system_error>

namespace oxios::kernel {

namespace {

[[noreturn]] void fail(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

void write_all(int fd, const std::vector<std::string_view>& pieces, const std::string& name) {
    std::vector<iovec> iov;
    iov.reserve(pieces.size());
    for (auto p : pieces)
        if (!p.empty()) iov.push_back(iovec{const_cast<char*>(p.data()), p.size()});
    size_t idx = 0;
    while (idx < iov.size()) {
        const int count = static_cast<int>(std::min<size_t>(iov.size() - idx, 1024));
        ssize_t n = ::writev(fd, &iov[idx], count);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("write " + name);
        }
        auto left = static_cast<size_t>(n);
        while (idx < iov.size() && left >= iov[idx].iov_len) {
            left -= iov[idx].iov_len;
            ++idx;
        }
        if (idx < iov.size() && left > 0) {
            iov[idx].iov_base = static_cast<char*>(iov[idx].iov_base) + left;
            iov[idx].iov_len -= left;
        }
    }
}

}  // namespace

void fsync_dir(const std::filesystem::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    (void)::fsync(fd);
    ::close(fd);
}

void write_file_atomic(const std::filesystem::path& target, const std::vector<std::string_view>& pieces,
                       SpareFiles* spares) {
    const auto dir = target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path();
    if (spares != nullptr && spares->dir() != dir) spares = nullptr;
    std::optional<SpareFiles::File> spare;
    if (spares != nullptr) spare = spares->take();
    struct Refill {  // once this write is over, successful or not
        SpareFiles* spares;
        ~Refill() {
            if (spares != nullptr) spares->refill();
        }
    } refill{spares};
    std::filesystem::path tmp;
    int fd;
    if (spare) {
        tmp = std::move(spare->path);
        fd = spare->fd;
    } else {
        std::string name = target.filename().string();  // ".<name>.<uuid>.tmp", appended in place:
        name.insert(0, 1, '.');                         // GCC 12 warns (-Wrestrict) on "." + name
        name.append(".").append(uuid_v4()).append(".tmp");
        tmp = dir / name;
        fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) fail("create " + tmp.string());
    }
    try {
        write_all(fd, pieces, tmp.string());
        if (::fsync(fd) != 0) fail("fsync " + tmp.string());
    } catch (...) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    if (::close(fd) != 0) {
        ::unlink(tmp.c_str());
        fail("close " + tmp.string());
    }
    if (::rename(tmp.c_str(), target.c_str()) != 0) {
        int saved = errno;
        ::unlink(tmp.c_str());
        errno = saved;
        fail("rename " + target.string());
    }
    services::files::fsync_dir(dir);  // throws: the write is acknowledged as durable on return
}

uint64_t append_file_durable(const std::filesystem::path& file, std::string_view data) {
    int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) fail("open " + file.string());
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        int saved = errno;
        ::close(fd);
        errno = saved;
        fail("stat " + file.string());
    }
    const auto before = static_cast<uint64_t>(st.st_size);
    try {
        write_all(fd, std::vector<std::string_view>{data}, file.string());
        if (::fdatasync(fd) != 0) fail("fdatasync " + file.string());
    } catch (...) {
        (void)::ftruncate(fd, static_cast<off_t>(before));  // no torn line left behind
        ::close(fd);
        throw;
    }
    ::close(fd);  // the data is durable already
    // A new (or emptied) file: its directory entry must be durable as well.
    if (before == 0)
        services::files::fsync_dir(file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path());
    return before + data.size();
}

void truncate_file_durable(const std::filesystem::path& file, uint64_t size) {
    int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) fail("open " + file.string());
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0 || ::fsync(fd) != 0) {
        int saved = errno;
        ::close(fd);
        errno = saved;
        fail("truncate " + file.string());
    }
    ::close(fd);
}

void write_file_atomic(const std::filesystem::path& target, std::string_view data) {
    write_file_atomic(target, std::vector<std::string_view>{data});
}

std::string read_file(const std::filesystem::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("open " + path.string());
    std::string out;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            int saved = errno;
            ::close(fd);
            errno = saved;
            fail("read " + path.string());
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
}

}  // namespace oxios::kernel
