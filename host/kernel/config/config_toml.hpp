// TOML <-> the config's JSON tree (toml++): tables are objects, arrays of
// tables arrays of objects, dates and times RFC 3339 strings.
#pragma once

#include <rapidjson/document.h>

#include <map>
#include <string>
#include <string_view>

namespace oxios::kernel::config_toml {

// Parses TOML text into a JSON object. `lines` receives the 1-based line of
// every key reachable through tables ("engine.default_model" -> 12). Throws
// std::runtime_error "line N: key K: <why>" on malformed TOML or a float that
// is not finite.
rapidjson::Document parse(std::string_view text, std::map<std::string, int>& lines);

// Removes the null members of `object`'s tables (TOML has no null) except
// those whose dotted key `keep` accepts, so that the tree is what its TOML
// text reads back as.
void drop_nulls(rapidjson::Value& object, bool (*keep)(const std::string& dotted_key));

// Writes a JSON object as TOML text (nulls are left out: TOML has none).
// Throws std::runtime_error "<key>: <why>" when a value cannot be written.
std::string write(const rapidjson::Value& object);

}  // namespace oxios::kernel::config_toml
