#include "audit/file_audit_store.hpp"

#include "audit/audit_chain.hpp"
#include "infra/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <system_error>

namespace oxios::kernel::audit {

namespace fs = std::filesystem;

namespace {

constexpr auto kBatch = std::chrono::milliseconds(200);  // well within the 1 s durability bound

// "audit.<first>-<last>.jsonl" -> {first, last}.
bool rotated_name(const std::string& name, uint64_t& first, uint64_t& last) {
    unsigned long long a = 0, b = 0;
    int used = 0;
    if (std::sscanf(name.c_str(), "audit.%llu-%llu.jsonl%n", &a, &b, &used) != 2) return false;
    if (static_cast<size_t>(used) != name.size()) return false;
    first = a;
    last = b;
    return true;
}

// Every line of a file, in order (without the "\n").
void each_line(const fs::path& path, const std::function<bool(std::string_view)>& fn, bool& go_on) {
    std::ifstream in(path, std::ios::binary);
    std::string line;
    while (go_on && std::getline(in, line)) go_on = fn(line);
}

}  // namespace

FileAuditStore::FileAuditStore(fs::path dir, std::function<uint64_t()> max_file_bytes)
    : dir_(std::move(dir)), current_(dir_ / "audit.jsonl"), max_file_bytes_(std::move(max_file_bytes)) {
    fs::create_directories(dir_);
    for (const auto& e : fs::directory_iterator(dir_)) {
        Rotated r{0, 0, e.path()};
        if (e.is_regular_file() && rotated_name(e.path().filename().string(), r.first, r.last)) rotated_.push_back(r);
    }
    std::sort(rotated_.begin(), rotated_.end(), [](const Rotated& a, const Rotated& b) { return a.first < b.first; });
    if (!rotated_.empty()) {
        bool go_on = true;
        each_line(
            rotated_.back().path,
            [this](std::string_view l) {
                last_line_ = std::string(l) + "\n";
                return true;
            },
            go_on);
    }
    open_current();
    flusher_ = std::thread([this] { flusher(); });
}

FileAuditStore::~FileAuditStore() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (flusher_.joinable()) flusher_.join();
    if (fd_ >= 0) {
        ::fdatasync(fd_);
        ::close(fd_);
    }
}

void FileAuditStore::open_current() {
    std::error_code ec;
    if (fs::exists(current_, ec)) {
        const std::string text = read_file(current_);
        size_t keep = text.size();
        if (!text.empty() && text.back() != '\n') {
            const size_t nl = text.rfind('\n');
            keep = nl == std::string::npos ? 0 : nl + 1;
            truncate_file_durable(current_, keep);
            std::fprintf(stderr, "[warn] audit: cut an incomplete last line (%zu bytes) of %s\n", text.size() - keep,
                         current_.c_str());
        }
        size_ = keep;
        size_t pos = 0;
        while (pos < keep) {
            const size_t nl = text.find('\n', pos);
            const std::string_view line(text.data() + pos, nl - pos + 1);
            if (const auto head = read_head(line)) {
                if (first_seq_ == 0) first_seq_ = head->seq;
                last_seq_ = head->seq;
            }
            last_line_ = std::string(line);
            pos = nl + 1;
        }
    }
    fd_ = ::open(current_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "open " + current_.string());
    fsync_dir(dir_);
}

std::string FileAuditStore::last_line() {
    std::lock_guard lock(mutex_);
    return last_line_;
}

std::string FileAuditStore::append(const MakeLine& make) {
    std::lock_guard lock(mutex_);
    const auto head = read_head(last_line_);
    const uint64_t seq = head ? head->seq + 1 : 1;
    std::string line = make(seq, head ? std::string_view(head->hash) : kZeroHash);
    size_t done = 0;
    while (done < line.size()) {
        const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int err = errno;
            if (done > 0) ::ftruncate(fd_, static_cast<off_t>(size_));  // never leave half a line
            throw std::system_error(err, std::generic_category(), "append " + current_.string());
        }
        done += static_cast<size_t>(n);
    }
    size_ += line.size();
    if (first_seq_ == 0) first_seq_ = seq;
    last_seq_ = seq;
    last_line_ = line;
    dirty_ = true;
    if (size_ >= max_file_bytes_()) rotate_locked();
    wake_.notify_all();
    return line;
}

void FileAuditStore::rotate_locked() {
    ::fdatasync(fd_);
    ::close(fd_);
    fd_ = -1;
    const fs::path target = dir_ / ("audit." + std::to_string(first_seq_) + "-" + std::to_string(last_seq_) + ".jsonl");
    fs::rename(current_, target);
    rotated_.push_back(Rotated{first_seq_, last_seq_, target});
    size_ = first_seq_ = last_seq_ = 0;
    dirty_ = false;
    open_current();
}

void FileAuditStore::scan(uint64_t from_seq, uint64_t to_seq, const std::function<bool(std::string_view)>& fn) {
    std::lock_guard lock(mutex_);  // appends wait: a scan never sees half a line
    bool go_on = true;
    for (const auto& r : rotated_)
        if (go_on && r.last >= from_seq && r.first <= to_seq) each_line(r.path, fn, go_on);
    if (go_on && (first_seq_ == 0 || (last_seq_ >= from_seq && first_seq_ <= to_seq))) each_line(current_, fn, go_on);
}

void FileAuditStore::flush() {
    std::lock_guard lock(mutex_);
    if (fd_ >= 0 && dirty_) ::fdatasync(fd_);
    dirty_ = false;
}

void FileAuditStore::flusher() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        wake_.wait(lock, [this] { return dirty_ || stopping_; });
        if (stopping_) break;
        wake_.wait_for(lock, kBatch, [this] { return stopping_; });  // gather a batch
        if (fd_ >= 0 && dirty_) ::fdatasync(fd_);
        dirty_ = false;
    }
}

}  // namespace oxios::kernel::audit
