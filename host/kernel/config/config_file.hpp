// The config file on disk, JSON or TOML by its extension: read into the
// config's JSON tree (with the line of each key where the format gives it)
// and written back in the same format.
#pragma once

#include <rapidjson/document.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace oxios::kernel {

enum class ConfigFormat { json, toml };

// ".toml" (any case) is TOML, anything else JSON.
ConfigFormat config_format(const std::string& path);
const char* format_name(ConfigFormat format);

struct ConfigFile {
    rapidjson::Document tree;          // the file's own keys; {} when empty or absent
    std::map<std::string, int> lines;  // dotted key -> 1-based line (TOML only)
    ConfigFormat format = ConfigFormat::json;

    // " (FILE, line N)" for the dotted key of a validation message, or "".
    std::string where(const std::string& name, const std::string& message) const;
};

// Parses `text` (empty or blank = {}). `name` labels errors. Throws
// std::runtime_error "Invalid config: NAME: line N: key K: <why>".
ConfigFile parse_config_text(std::string_view text, ConfigFormat format, const std::string& name);

// Reads `path` (absent = {}); throws like parse_config_text, or
// "Invalid config: PATH: cannot read (...)".
ConfigFile read_config_file(const std::string& path);

// The tree as file text in `format`; throws std::runtime_error "<key>: <why>"
// when TOML cannot hold a value.
std::string config_text(const rapidjson::Value& tree, ConfigFormat format);

}  // namespace oxios::kernel
