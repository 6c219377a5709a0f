// The config's known keys: defaults, types and ranges (docs/api.md, "Config").
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

// Deep merge of `src` into `dst`: objects merge key by key, any other value
// replaces. Read-only keys of a section (api_key_set, api_keys_count) are
// skipped; an empty engine.api_key does not replace the stored one.
void merge(rapidjson::Value& dst, const rapidjson::Value& src,
           rapidjson::Document::AllocatorType& alloc);

}  // namespace oxios::kernel::config_schema
