// The marketplace's registry (docs/api-operator.md, "Marketplace"): a directory of
// <slug>/SKILL.md skills (default <workspace>/marketplace, works offline), or
// an HTTP(S) JSON index (marketplace/index.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oxios::kernel::marketplace {

struct Settings {
    std::string registry;         // "" = <workspace>/marketplace; https://... = an index
    int64_t timeout_ms = 10'000;  // an index fetch; all the files of one install
    int64_t cache_secs = 300;     // how long a fetched index is reused
    int64_t max_skill_bytes = 1 << 20;
    int64_t max_files = 64;
};

// A file of an index skill: `url` already resolved against the index URL.
struct RemoteFile {
    std::string path, url;
    std::optional<std::string> sha256;  // lowercase hex
};

struct Listing {
    std::string slug, name, summary;
    std::optional<std::string> version;
    std::optional<int64_t> updated_ms;  // epoch ms
    std::filesystem::path dir;          // the skill's directory in a directory registry
    std::vector<RemoteFile> files;      // its files in an index registry
};

// The skills name rule ^[A-Za-z0-9_-]{1,64}$.
bool valid_slug(std::string_view slug);

// The registry directory of marketplace.registry: "" -> <workspace>/marketplace,
// "~/..." -> under $HOME, relative -> under the workspace.
std::filesystem::path registry_dir(const std::string& registry, const std::string& workspace);

// Every skill of the directory, by slug; dot-names and bad slugs skipped; a
// missing directory is empty.
std::vector<Listing> directory_listings(const std::filesystem::path& dir);

// Search rule 1: every lowercased term in slug, name or summary; the mean of
// the term scores (1.0 prefix of slug/name, 0.7 inside them, 0.4 summary
// only), rounded to 3 decimals; nullopt when a term is missing.
std::optional<double> score(const Listing& l, const std::vector<std::string>& terms);

// `s` with A-Z lowercased (search terms, URL schemes and hosts, sha256 hex).
std::string ascii_lower(std::string_view s);

// `q` split on blanks and ASCII-lowercased.
std::vector<std::string> search_terms(std::string_view q);

}  // namespace oxios::kernel::marketplace
