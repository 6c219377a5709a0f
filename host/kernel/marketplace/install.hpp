// Installs a registry skill into <workspace>/skills/<slug> (docs/api-operator.md,
// "Marketplace"): files land in skills/.install-<uuid>/, are checked, then
// renamed into place without ever overwriting; a failed install leaves nothing.
#pragma once

#include "marketplace/registry.hpp"
#include "marketplace/remote.hpp"

#include <string>

namespace oxios::kernel::marketplace {

struct Installed {
    std::string slug;
    std::optional<std::string> version;
};

// Throws services::ServiceError: CONFLICT (already installed), TOO_LARGE
// (files or bytes over the limits), UPSTREAM ("invalid skill '<slug>': <why>",
// or remote.hpp's), TIMEOUT (an index skill's files not fetched by `deadline`), IO.
Installed install(const Listing& listing, const Settings& settings, const std::string& workspace,
                  const std::string& registry_name, int64_t now_us, Deadline deadline);

}  // namespace oxios::kernel::marketplace
