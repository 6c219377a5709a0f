#include "http/body_length.hpp"

#include <array>

namespace oxios::http {
namespace {

bool iequals_prefix(std::string_view line, std::string_view name) {
    if (line.size() < name.size()) return false;
    for (size_t i = 0; i < name.size(); ++i) {
        char c = line[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != name[i]) return false;
    }
    return true;
}

}  // namespace

std::optional<size_t> empty_body_length_at(std::string_view head) {
    // The methods cpp-httplib reads a body for (detail::expect_content).
    static constexpr std::array<std::string_view, 5> kWithBody{"POST ", "PUT ", "PATCH ", "DELETE ", "PRI "};
    bool reads_body = false;
    for (std::string_view m : kWithBody) reads_body = reads_body || head.starts_with(m);
    if (!reads_body) return std::nullopt;
    const size_t end = head.find("\r\n\r\n");
    if (end == std::string_view::npos) return std::nullopt;
    size_t line = head.find("\r\n") + 2;  // past the request line
    while (line < end + 2) {
        const size_t next = head.find("\r\n", line);
        const std::string_view field = head.substr(line, next - line);
        if (iequals_prefix(field, "content-length:") || iequals_prefix(field, "transfer-encoding:")) {
            return std::nullopt;
        }
        line = next + 2;
    }
    return end + 2;
}

}  // namespace oxios::http
