// HTTP(S) GETs for a registry index and its files (docs/api-operator.md,
// "Marketplace"): https:// anywhere, http:// only to a loopback host, redirects
// followed under the same rule, the whole fetch inside one deadline.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace oxios::kernel::marketplace {

using Deadline = std::chrono::steady_clock::time_point;

// True when marketplace.registry names an index URL rather than a directory.
bool is_remote(std::string_view registry);

// Why `url` may not be fetched (not http(s), no host, credentials, http:// to a
// host that is not 127.0.0.0/8, ::1 or localhost); nullopt when it may.
std::optional<std::string> url_refusal(std::string_view url);

// `ref` (absolute, host-relative "/x" or path-relative "x") resolved against `base`.
std::string resolve_url(const std::string& base, const std::string& ref);

// The body of `url`, nullopt when it is longer than `max_bytes`. Throws
// services::ServiceError UPSTREAM "marketplace registry unreachable: <why>"
// (refused URL, connection, TLS verification, non-2xx status) or TIMEOUT when
// `deadline` passes first.
std::optional<std::string> fetch(const std::string& url, Deadline deadline, size_t max_bytes);

}  // namespace oxios::kernel::marketplace
