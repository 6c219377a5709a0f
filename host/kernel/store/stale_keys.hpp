// Records of a collection that may have changed behind a service's working
// copy: marked from the event bus (on PostgreSQL every host hears every
// host's events), fetched again by the service before its next read. A lagged
// bus marks everything. With one host the marks are the service's own writes:
// refetching them costs a read and changes nothing.
#pragma once

#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace oxios::kernel {

class StaleKeys {
public:
    struct Taken {
        std::vector<std::string> keys;
        bool all = false;  // reload the whole collection
    };

    void mark(std::string key) {
        std::lock_guard lock(mutex_);
        if (!all_) keys_.push_back(std::move(key));
    }
    void mark_all() {
        std::lock_guard lock(mutex_);
        all_ = true;
        keys_.clear();
    }
    Taken take() {
        std::lock_guard lock(mutex_);
        Taken out{std::move(keys_), all_};
        keys_.clear();
        all_ = false;
        return out;
    }

private:
    std::mutex mutex_;
    std::vector<std::string> keys_;
    bool all_ = false;
};

}  // namespace oxios::kernel
