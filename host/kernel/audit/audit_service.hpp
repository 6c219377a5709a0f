// The Security family's kernel side (docs/api-operator.md, "Security").
#pragma once

#include "audit/audit_log.hpp"
#include "services/service_registry.hpp"

#include <functional>

namespace oxios::kernel {

class Config;

// audit.list, audit.entries, audit.verify, audit.record (audit_methods.cpp).
void register_audit_service(ServiceRegistry& registry, audit::AuditLog& log);

// security.permissions from the live config (permissions.cpp);
// `api_keys_count` counts the web tokens (config plus environment).
void register_permissions_service(ServiceRegistry& registry, const Config& config,
                                  std::function<size_t()> api_keys_count);

// Wraps the kernel's mutating methods so each call is audited with its
// "_actor" (audited_methods.cpp). Run after every service registered.
void audit_methods(ServiceRegistry& registry, AuditRecorder& recorder);

}  // namespace oxios::kernel
