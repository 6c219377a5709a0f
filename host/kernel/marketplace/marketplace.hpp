// The Marketplace family's kernel side (docs/api-operator.md, "Marketplace").
#pragma once

#include "marketplace/registry.hpp"
#include "services/service_registry.hpp"

#include <functional>

namespace oxios::kernel {

// marketplace.search, marketplace.install (marketplace.cpp); `settings` is
// read at each call (the live config).
void register_marketplace_service(ServiceRegistry& registry, const ServiceContext& ctx,
                                  const std::function<marketplace::Settings()>& settings);

}  // namespace oxios::kernel
