// The host API table handed to every plugin instance (oxios_host_api), and the
// response object behind oxios_response*.
#pragma once

#include "oxios_plugin.h"

#include <string>
#include <utility>
#include <vector>

// Filled by the plugin through respond()/response_header() inside handle().
struct oxios_response {
    bool valid = true;  // false once handle() returned: later use is refused
    bool responded = false;
    int status = 0;
    std::string content_type;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

namespace oxios::plugins {

// The table every instance receives; functions dispatch on oxios_host*.
const oxios_host_api& host_api_table();

}  // namespace oxios::plugins
