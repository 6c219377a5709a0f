// The host's one config file (docs/config.md, "Config"), JSON or TOML by extension:
// loaded and validated at start, read through dotted keys, changed by
// deep-merging partial updates that are written back in the file's format.
#pragma once

#include "config/config_file.hpp"
#include "kernel.hpp"

#include <rapidjson/document.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace oxios::kernel {

class Config {
public:
    // Loads `path` over the defaults ("" = defaults only, nothing is ever
    // written; a missing file counts as `{}`). Throws std::runtime_error
    // "Invalid config: <key>: <why>" (with the file's line for TOML) or
    // "Invalid config: <file>: line N: ..." on a file that does not parse.
    explicit Config(std::string path = "");

    // Builds a config from JSON text (tests, --config-json); no file.
    static std::unique_ptr<Config> from_text(std::string_view json_text);

    // JSON text of a dotted key ("" = the whole config). engine.api_key never
    // leaves: it is NOT_FOUND, and the whole config carries api_key_set instead.
    std::optional<std::string> get(std::string_view dotted_key) const;

    // The whole config with secrets hidden (config.get).
    std::string hidden_json() const;

    // config.put: deep-merges `partial`, validates, writes atomically (when a
    // path is set, in the file's own format), bumps the generation. Returns the hidden config, or
    // OXIOS_E_INVALID "Invalid config: <key>: <why>" (nothing changed), or
    // OXIOS_E_IO when the file cannot be written (nothing changed).
    Result put(const rapidjson::Value& partial);

    uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
    const std::string& path() const { return path_; }
    ConfigFormat format() const { return format_; }

    // Typed reads of dotted keys, with a fallback for absent/wrong types.
    int64_t get_int(std::string_view dotted_key, int64_t fallback) const;
    double get_double(std::string_view dotted_key, double fallback) const;
    bool get_bool(std::string_view dotted_key, bool fallback) const;
    std::string get_string(std::string_view dotted_key, std::string fallback = "") const;
    std::vector<std::string> get_strings(std::string_view dotted_key) const;
    std::string engine_api_key() const;  // "" when unset

private:
    Config(std::string path, rapidjson::Document doc);
    std::shared_ptr<const rapidjson::Document> snapshot() const;

    std::string path_;
    ConfigFormat format_ = ConfigFormat::json;
    mutable std::shared_mutex mutex_;
    std::shared_ptr<const rapidjson::Document> doc_;
    std::mutex write_mutex_;  // one put at a time
    std::atomic<uint64_t> generation_{1};
};

// Finds a dotted key inside a JSON value; nullptr when absent.
const rapidjson::Value* find_dotted(const rapidjson::Value& root, std::string_view dotted_key);

// "~" or "~/..." -> $HOME/...
std::string expand_home(const std::string& path);

}  // namespace oxios::kernel
