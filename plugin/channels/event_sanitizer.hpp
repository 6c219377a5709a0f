// Which fields of a kernel event an SSE client may see (event_sanitizer.cpp
// holds the whitelist per event type).
#pragma once

#include <string>
#include <string_view>

namespace web::channels {

// The sanitised JSON of one raw kernel event ({"id","timestamp","type",...}),
// on one line: "id" (always a string), "timestamp", "type", then only the
// fields allowed for that type. "" when the event is not a JSON object with a
// string "type".
std::string sanitize_event(std::string_view raw);

}  // namespace web::channels
