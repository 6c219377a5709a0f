// The config's known keys: defaults, types and ranges (docs/config.md, "Config").
#pragma once

#include <rapidjson/document.h>

#include <optional>
#include <string>

namespace oxios::kernel::config_schema {

// A document holding every section and key with its default value.
rapidjson::Document defaults();

// Checks every known key of a whole config (sections must be objects, values
// of the right type and range; unknown keys are not checked). Returns
// "<dotted key>: <why>" for the first problem, nullopt when valid.
std::optional<std::string> validate(const rapidjson::Value& config);

// The original's spelling of engine.providers, an array of tables each naming
// its `id` (or `name`), becomes the object by id this host reads. Returns
// "<key>: <why>" when an entry has no id or an id comes twice.
std::optional<std::string> normalize(rapidjson::Value& config, rapidjson::Document::AllocatorType& alloc);

// True for a key of the schema ("gateway.port"), or one under engine.providers.
bool is_known(const std::string& dotted_key);
// Known keys the host stores and returns (the original UI edits them) but
// does not act on.
bool stored_only(const std::string& dotted_key);

// Deep merge of `src` into `dst`: objects merge key by key, any other value
// replaces. Read-only keys of a section (api_key_set, api_keys_count) are
// skipped; an empty engine.api_key does not replace the stored one.
void merge(rapidjson::Value& dst, const rapidjson::Value& src, rapidjson::Document::AllocatorType& alloc);

}  // namespace oxios::kernel::config_schema
