#include "oxios/rules/json_error.hpp"

namespace oxios::rules {

std::string json_error(std::string_view message) {
    static const char* const hex = "0123456789abcdef";
    std::string out = "{\"error\":\"";
    out.reserve(out.size() + message.size() + 2);
    for (char c : message) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    out += "\\u00";
                    out += hex[(c >> 4) & 0xf];
                    out += hex[c & 0xf];
                } else {
                    out += c;
                }
        }
    }
    out += "\"}";
    return out;
}

}  // namespace oxios::rules
