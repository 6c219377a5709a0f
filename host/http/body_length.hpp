// RFC 9112 section 6.3: a request with neither Content-Length nor
// Transfer-Encoding has an empty body. cpp-httplib instead reads a POST, PUT,
// PATCH or DELETE body until the peer closes (a 400 after its read timeout
// while the client waits for the answer), so the front states the length.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace oxios::http {

// For a complete request head (through its "\r\n\r\n"): where to insert
// "Content-Length: 0\r\n" (the start of the empty line), or nullopt when the
// head already frames its body or its method is one read without a body.
std::optional<size_t> empty_body_length_at(std::string_view head);

}  // namespace oxios::http
