// The plugin's version, the only source compiled once per plugin build: the
// reload tests' second build appends a suffix ("-next"), the rest is shared.
#include <oxios/version.h>

#include <string_view>

namespace web {

extern const std::string_view kPluginVersion;
const std::string_view kPluginVersion = OXIOS_VERSION OXIOS_WEB_VERSION_SUFFIX;

}  // namespace web
