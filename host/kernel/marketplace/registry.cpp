#include "marketplace/registry.hpp"

#include "config/config.hpp"
#include "infra/ids.hpp"
#include "services/front_matter.hpp"
#include "services/fs_util.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>

namespace oxios::kernel::marketplace {

namespace fs = std::filesystem;

namespace {

std::optional<int64_t> mtime_ms(const fs::path& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return std::nullopt;
    return int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

}  // namespace

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

bool valid_slug(std::string_view slug) { return valid_id(slug, 64); }

fs::path registry_dir(const std::string& registry, const std::string& workspace) {
    if (registry.empty()) return fs::path(workspace) / "marketplace";
    const fs::path p = expand_home(registry);
    return p.is_absolute() ? p : fs::path(workspace) / p;
}

std::vector<Listing> directory_listings(const fs::path& dir) {
    std::vector<Listing> out;
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const std::string slug = it->path().filename().string();
        if (!valid_slug(slug) || !it->is_directory(ec) || it->is_symlink(ec)) continue;
        const fs::path skill = it->path() / "SKILL.md";
        std::optional<std::string> text;
        try {
            text = services::files::read_file(skill);
        } catch (const std::exception&) {
            continue;
        }
        if (!text) continue;
        const services::FrontMatter fm = services::parse_front_matter(*text);
        out.push_back(Listing{slug, fm.text("name").value_or(slug), fm.text("description").value_or(""),
                              fm.text("version"), mtime_ms(skill), it->path()});
    }
    std::sort(out.begin(), out.end(), [](const Listing& a, const Listing& b) { return a.slug < b.slug; });
    return out;
}

std::vector<std::string> search_terms(std::string_view q) {
    std::vector<std::string> terms;
    size_t pos = 0;
    while (pos < q.size()) {
        const size_t start = q.find_first_not_of(" \t\r\n", pos);
        if (start == std::string_view::npos) break;
        const size_t end = std::min(q.find_first_of(" \t\r\n", start), q.size());
        terms.push_back(ascii_lower(q.substr(start, end - start)));
        pos = end;
    }
    return terms;
}

std::optional<double> score(const Listing& l, const std::vector<std::string>& terms) {
    if (terms.empty()) return std::nullopt;
    const std::string slug = ascii_lower(l.slug), name = ascii_lower(l.name), summary = ascii_lower(l.summary);
    double total = 0;
    for (const auto& t : terms) {
        if (slug.starts_with(t) || name.starts_with(t))
            total += 1.0;
        else if (slug.find(t) != std::string::npos || name.find(t) != std::string::npos)
            total += 0.7;
        else if (summary.find(t) != std::string::npos)
            total += 0.4;
        else
            return std::nullopt;
    }
    return std::round(total / static_cast<double>(terms.size()) * 1000.0) / 1000.0;
}

}  // namespace oxios::kernel::marketplace
