// ServiceError: how a long-tail method reports an expected failure (bad
// argument, missing file, ...). ServiceRegistry::call turns it into
// {"error": what()} with its status; any other exception becomes INTERNAL.
#pragma once

#include "kernel.hpp"

#include <stdexcept>
#include <string>

namespace oxios::kernel::services {

class ServiceError : public std::runtime_error {
public:
    ServiceError(Status status, const std::string& message) : std::runtime_error(message), status_(status) {}
    Status status() const { return status_; }

private:
    Status status_;
};

[[noreturn]] inline void fail(Status status, const std::string& message) { throw ServiceError(status, message); }

}  // namespace oxios::kernel::services
