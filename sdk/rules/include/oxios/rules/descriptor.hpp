// Whether a plugin may be loaded: the checks every loader (oxios-host, the
// mock host harness) applies to what the entry function returned, in order,
// before anything else of the plugin is called.
#pragma once

#include "oxios_plugin.h"

#include <string>
#include <string_view>

namespace oxios::rules {

// An accepted plugin has an empty reason.
struct Verdict {
    std::string reason;
    bool ok() const { return reason.empty(); }
};

// Null descriptor; descriptor too small to hold abi_major; ABI major other
// than OXIOS_ABI_MAJOR; descriptor not reaching `api`; no function table; a
// table not reaching `destroy` (minor 0 ends there: later entry points are
// optional, read with OXIOS_HAS); create, start, handle, stop or destroy
// missing; a bad name (valid_plugin_name) or a broken version view.
Verdict check_descriptor(const oxios_plugin_descriptor* d);

// 1..64 of [A-Za-z0-9._-], not starting with '.': the name keys the plugin
// in the host and sits in URLs (/admin/plugins/{name}/reload).
bool valid_plugin_name(std::string_view name);

// The route_add argument before its method and pattern (RouteSet::add):
// "" when usable; else why (null, too small to hold route_data, unknown
// kind, a broken view).
std::string check_route(const oxios_route* route);

// "no entry symbol oxios_plugin_entry"
std::string no_entry_reason();

// The verdict of one lifecycle step ("entry", "create", "start"): "" when it
// passed; "<step> threw: <what>", "<step> failed: <status>" (plus the
// refused route, if any), or "route rejected: <why>" for a start that
// returned OK although route_add refused one of its routes.
std::string step_failure(std::string_view step, oxios_status status, std::string_view threw,
                         std::string_view route_error = {});

// "OXIOS_E_INVALID", ...; "unknown status" otherwise.
const char* status_name(oxios_status s);

}  // namespace oxios::rules
