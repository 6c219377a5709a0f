// What a user switching from the Rust original needs told about a config:
// the semantic differences (logged at start) and `oxios-host --check-config`.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace oxios::kernel {

class Config;

// Keys whose meaning differs from the original's, one line each.
std::vector<std::string> config_notes(const Config& config);

// Command-line values that replace config keys.
struct ConfigOverrides {
    std::optional<std::string> host, workspace;
    std::optional<int> port;
};

// --check-config: the effective config with secrets hidden, the source of
// each value (file with its line, env, command line, default), every key of
// the file the host does not use, and the notes. Throws std::runtime_error
// "Invalid config: ..." when the config is refused.
std::string check_config_report(const std::string& path, const ConfigOverrides& overrides);

}  // namespace oxios::kernel
