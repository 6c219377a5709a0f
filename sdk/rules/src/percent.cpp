#include "oxios/rules/percent.hpp"

namespace oxios::rules {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

void percent_decode(std::string_view in, std::string& out, bool plus_as_space) {
    out.clear();
    out.reserve(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '%' && i + 2 < in.size()) {
            const int h = hex_value(in[i + 1]), l = hex_value(in[i + 2]);
            if (h >= 0 && l >= 0) {
                out.push_back(static_cast<char>(h * 16 + l));
                i += 2;
                continue;
            }
        }
        out.push_back(c == '+' && plus_as_space ? ' ' : c);
    }
}

std::string percent_decode(std::string_view in, bool plus_as_space) {
    std::string out;
    percent_decode(in, out, plus_as_space);
    return out;
}

std::string_view raw_path_of(std::string_view target) { return target.substr(0, target.find_first_of("?#")); }

void split_path(std::string_view path, std::vector<std::string_view>& out) {
    out.clear();
    if (path.empty() || path == "/") return;
    size_t start = path.front() == '/' ? 1 : 0;
    for (;;) {
        const size_t slash = path.find('/', start);
        if (slash == std::string_view::npos) {
            out.push_back(path.substr(start));
            return;
        }
        out.push_back(path.substr(start, slash - start));
        start = slash + 1;
    }
}

void decode_segments(std::string_view raw_path, std::vector<std::string>& out) {
    thread_local std::vector<std::string_view> raw;
    split_path(raw_path, raw);
    out.resize(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i].find('%') == std::string_view::npos)
            out[i].assign(raw[i]);
        else
            percent_decode(raw[i], out[i]);
    }
}

std::string join_path(const std::vector<std::string>& segments) {
    if (segments.empty()) return "/";
    std::string out;
    for (const auto& s : segments) {
        out.push_back('/');
        out += s;
    }
    return out;
}

}  // namespace oxios::rules
