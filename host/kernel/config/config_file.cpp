#include "config/config_file.hpp"

#include "config/config_toml.hpp"
#include "infra/atomic_file.hpp"
#include "infra/json_util.hpp"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace oxios::kernel {

namespace fs = std::filesystem;

ConfigFormat config_format(const std::string& path) {
    std::string ext = fs::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext == ".toml" ? ConfigFormat::toml : ConfigFormat::json;
}

const char* format_name(ConfigFormat format) { return format == ConfigFormat::toml ? "TOML" : "JSON"; }

std::string ConfigFile::where(const std::string& name, const std::string& message) const {
    // Validation messages start with the dotted key: "security.port: why".
    const std::string key = message.substr(0, message.find(": "));
    auto it = lines.find(key);
    if (it == lines.end()) return "";
    return " (" + name + ", line " + std::to_string(it->second) + ")";
}

ConfigFile parse_config_text(std::string_view text, ConfigFormat format, const std::string& name) {
    ConfigFile file;
    file.format = format;
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        file.tree.SetObject();
        return file;
    }
    const std::string label = "Invalid config: " + (name.empty() ? std::string("config") : name) + ": ";
    if (format == ConfigFormat::toml) {
        try {
            file.tree = config_toml::parse(text, file.lines);
        } catch (const std::runtime_error& e) {
            throw std::runtime_error(label + e.what());
        }
        return file;
    }
    file.tree.Parse(text.data(), text.size());
    if (file.tree.HasParseError()) {
        const size_t offset = std::min(file.tree.GetErrorOffset(), text.size());
        const size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + offset, '\n'));
        throw std::runtime_error(label + "line " + std::to_string(line) + ": malformed JSON (" +
                                 rapidjson::GetParseError_En(file.tree.GetParseError()) + ")");
    }
    if (!json::all_finite(file.tree)) throw std::runtime_error(label + "a number is out of range");
    return file;
}

ConfigFile read_config_file(const std::string& path) {
    std::error_code ec;
    if (path.empty() || !fs::exists(path, ec)) return parse_config_text("", config_format(path), path);
    std::string text;
    try {
        text = read_file(path);
    } catch (const std::exception& e) {
        throw std::runtime_error("Invalid config: " + path + ": cannot read (" + e.what() + ")");
    }
    return parse_config_text(text, config_format(path), path);
}

std::string config_text(const rapidjson::Value& tree, ConfigFormat format) {
    return format == ConfigFormat::toml ? config_toml::write(tree) : json::to_pretty_string(tree);
}

}  // namespace oxios::kernel
