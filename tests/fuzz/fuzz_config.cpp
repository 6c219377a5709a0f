// libFuzzer target: the host's config file loader/validator and config.put.
//
// Input: the config file's text, optionally followed by a NUL and the body
// of a config.put (a partial config); without a NUL the file's text is also
// put onto the loaded config.
//
// The file is written to a private directory (tmpfs when there is one) and
// loaded as the host does at start (Config(path)); a valid config is read
// back, then the partial is deep-merged with put(), which rewrites the file.
//
// Checked besides sanitizer reports: a refused file says "Invalid config:";
// engine.api_key never leaves through get(); the secret-hidden config of a
// valid config loads again; a refused put changes nothing; after a put the
// file on disk loads to the same config.
#include "config/config.hpp"
#include "fuzz_common.hpp"

#include <rapidjson/document.h>

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace fs = std::filesystem;
using oxios::kernel::Config;

namespace {

const fs::path& work_dir() {
    static const fs::path dir = [] {
        const fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
        fs::path d = base / ("oxios-fuzz-config-" + std::to_string(::getpid()));
        fs::create_directories(d);
        std::atexit([] {
            std::error_code ec;
            fs::remove_all(work_dir(), ec);
        });
        return d;
    }();
    return dir;
}

void write(const fs::path& p, std::string_view text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out) oxios_fuzz::fail("cannot write the fuzz config file", p.string());
}

std::unique_ptr<Config> load(const fs::path& p) {
    try {
        return std::make_unique<Config>(p.string());
    } catch (const std::runtime_error& e) {
        if (std::string_view(e.what()).rfind("Invalid config: ", 0) != 0)
            oxios_fuzz::fail("refusal without \"Invalid config:\"", e.what());
        return nullptr;
    }
}

std::string whole(const Config& c) {
    auto v = c.get("");
    if (!v) oxios_fuzz::fail("get(\"\") of a loaded config is empty");
    return *v;
}

void read_back(const Config& c) {
    if (c.get("engine.api_key")) oxios_fuzz::fail("engine.api_key left through get()");
    const std::string all = whole(c);
    rapidjson::Document d;
    d.Parse(all.c_str(), all.size());
    if (d.HasParseError() || !d.IsObject()) oxios_fuzz::fail("get(\"\") is not a JSON object", all);
    if (auto e = d.FindMember("engine"); e != d.MemberEnd() && e->value.IsObject() && e->value.HasMember("api_key"))
        oxios_fuzz::fail("engine.api_key in the whole config", all);
    const std::string hidden = c.hidden_json();
    try {
        (void)Config::from_text(hidden);
    } catch (const std::exception& e) {
        oxios_fuzz::fail("the hidden form of a valid config does not load", std::string(e.what()) + " | " + hidden);
    }
    (void)c.get_int("gateway.port", 0);
    (void)c.get_bool("security.auth_enabled", false);
    (void)c.get_string("kernel.workspace");
    (void)c.get_strings("security.cors_origins");
    (void)c.engine_api_key();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    const bool split = in.find('\0') != std::string_view::npos;
    const std::string_view file_text = oxios_fuzz::take_until(in, '\0');
    const std::string_view put_text = split ? in : file_text;

    const fs::path file = work_dir() / "config.json";
    write(file, file_text);
    std::unique_ptr<Config> cfg = load(file);
    if (!cfg) return 0;
    read_back(*cfg);

    rapidjson::Document partial;
    partial.Parse(put_text.data(), put_text.size());
    if (partial.HasParseError()) return 0;
    const std::string before = whole(*cfg);
    const uint64_t gen = cfg->generation();
    const auto result = cfg->put(partial);
    if (result.status != OXIOS_OK) {
        if (result.status != OXIOS_E_INVALID) oxios_fuzz::fail("put failed otherwise than INVALID", result.body);
        if (whole(*cfg) != before || cfg->generation() != gen) oxios_fuzz::fail("a refused put changed the config");
        return 0;
    }
    if (cfg->generation() == gen) oxios_fuzz::fail("put did not bump the generation");
    read_back(*cfg);
    std::unique_ptr<Config> again = load(file);
    if (!again) oxios_fuzz::fail("the file written by put does not load");
    if (!oxios_fuzz::same_json(whole(*again), whole(*cfg)))
        oxios_fuzz::fail("the file written by put loads to another config");
    return 0;
}
