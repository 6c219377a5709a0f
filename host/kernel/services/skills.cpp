// skills.list / get / content / create / delete / enable / disable
// (abi/METHODS.md; the skill object is the one docs/api.md lists for /api/skills).
//
// Storage: <workspace>/skills/<name>/SKILL.md, name ^[A-Za-z0-9_-]{1,64}$ (the
// directory name is the skill's name). The file starts with a front-matter
// block, then the body:
//   ---
//   name: git-helper
//   description: "Helps with git"        (plain, "double" or 'single' quoted)
//   version: 1.0.0
//   author: someone
//   emoji: 🔧
//   homepage: https://example.org
//   always: false                         (default false)
//   user_invocable: true                  (default true)
//   os: [linux, darwin]                   (default: any)
//   requires:                             (each list: [a, b], a, b, or "- a" lines)
//     bins: [git]                         every one must be on PATH
//     anyBins: [rg, grep]                 at least one must be on PATH
//     env: [GITHUB_TOKEN]                 must be set and non-empty
//     config: [engine.default_model]      reported; not checked by this host
//   ---
//   body...
// A skill is disabled while the marker file <workspace>/skills/<name>/.disabled
// exists (written atomically; deleted with the skill).
#include "infra/ids.hpp"
#include "infra/json_util.hpp"
#include "infra/uuid.hpp"
#include "services/front_matter.hpp"
#include "services/fs_util.hpp"
#include "services/git_service.hpp"
#include "services/service_error.hpp"
#include "services/service_registry.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <system_error>
#include <vector>

namespace oxios::kernel::services {
namespace {
namespace fs = std::filesystem;

constexpr size_t kMaxContentBytes = 65536;
constexpr size_t kMaxNameLen = 64;
constexpr const char* kSkillFile = "SKILL.md";
constexpr const char* kDisabledMarker = ".disabled";

bool on_path(const std::string& bin) {
    if (bin.empty()) return false;
    auto executable = [](const fs::path& p) {
        struct stat st {};
        return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
    };
    if (bin.find('/') != std::string::npos) return bin.front() == '/' && executable(bin);
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "";
    size_t start = 0;
    while (start <= dirs.size()) {
        size_t end = dirs.find(':', start);
        if (end == std::string_view::npos) end = dirs.size();
        std::string_view dir = dirs.substr(start, end - start);
        if (executable(fs::path(dir.empty() ? "." : std::string(dir)) / bin)) return true;
        start = end + 1;
    }
    return false;
}

bool env_set(const std::string& name) {
    const char* v = std::getenv(name.c_str());
    return v && *v;
}

struct Requirements {
    std::vector<std::string> bins, any_bins, env, config;
    bool empty() const { return bins.empty() && any_bins.empty() && env.empty() && config.empty(); }
};

void write_requirements(json::Builder& out, const Requirements& r) {
    out.begin_object()
        .field("bins", r.bins)
        .field("anyBins", r.any_bins)
        .field("env", r.env)
        .field("config", r.config)
        .end_object();
}

struct Skill {
    std::string name, description, file_path;
    std::optional<std::string> author, version, emoji, homepage;
    bool disabled = false, always = false, user_invocable = true, eligible = true;
    bool managed = false;  // installed from the marketplace (.origin.json)
    std::vector<std::string> os;
    Requirements requirements, missing;

    const char* status() const {
        if (disabled) return "disabled";
        return eligible ? "ready" : "needs_setup";
    }
};

void write_skill(json::Builder& out, const Skill& s) {
    out.begin_object()
        .field("name", s.name)
        .field("description", s.description)
        .field("author", s.author)
        .field("version", s.version)
        .field("emoji", s.emoji)
        .field("homepage", s.homepage)
        .field("source", s.managed ? "managed" : "workspace")
        .field("bundled", false)
        .field("status", s.status())
        .field("eligible", s.eligible)
        .field("always", s.always)
        .field("user_invocable", s.user_invocable)
        .field("file_path", s.file_path);
    out.key("requirements");
    write_requirements(out, s.requirements);
    out.key("missing");
    write_requirements(out, s.missing);
    out.field("os", s.os)
        .key("install")
        .begin_array()
        .end_array()
        .key("config_checks")
        .begin_array()
        .end_array()
        .field("format", "oxios")
        .end_object();
}

// Quotes a one-line front-matter value so that parse_front_matter reads it back.
std::string quote(std::string_view v) {
    std::string out = "\"";
    for (char c : v) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            continue;
        } else if (c == '\t') {
            out += "\\t";
        } else {
            out.push_back(c);
        }
    }
    out.push_back('"');
    return out;
}

struct SkillsService {
    ServiceContext ctx;
    mutable std::mutex write_mutex;  // create/delete/enable/disable

    fs::path skills_dir() const { return fs::path(ctx.workspace) / "skills"; }
    fs::path skill_dir(const std::string& name) const { return skills_dir() / name; }

    static std::string valid_name(const rapidjson::Value& in) {
        std::string name = json::req_string(in, "name");
        if (!kernel::valid_id(name, kMaxNameLen)) fail(OXIOS_E_INVALID, "invalid skill name");
        return name;
    }

    std::optional<std::string> read_skill_file(const std::string& name) const {
        try {
            return files::read_file(skill_dir(name) / kSkillFile);
        } catch (const std::system_error& e) {
            if (e.code() == std::errc::is_a_directory) return std::nullopt;
            fail(OXIOS_E_IO, "cannot read skill: " + e.code().message());
        }
    }

    bool disabled(const std::string& name) const {
        std::error_code ec;
        return fs::exists(skill_dir(name) / kDisabledMarker, ec);
    }

    Skill describe(const std::string& name, std::string_view text) const {
        FrontMatter fm = parse_front_matter(text);
        Skill s;
        s.name = name;
        s.description = fm.text("description").value_or("");
        s.author = fm.text("author");
        s.version = fm.text("version");
        s.emoji = fm.text("emoji");
        s.homepage = fm.text("homepage");
        s.always = fm.flag("always", false);
        s.user_invocable = fm.flag("user_invocable", fm.flag("user-invocable", true));
        s.file_path = (skill_dir(name) / kSkillFile).string();
        std::error_code ec;
        s.managed = fs::exists(skill_dir(name) / ".origin.json", ec);
        s.os = fm.list("os");
        for (const char* block : {"requires", "requirements"}) {
            std::string b = block;
            Requirements& r = s.requirements;
            if (r.bins.empty()) r.bins = fm.list(b + ".bins");
            if (r.any_bins.empty()) r.any_bins = fm.list_any({(b + ".anyBins").c_str(), (b + ".any_bins").c_str()});
            if (r.env.empty()) r.env = fm.list(b + ".env");
            if (r.config.empty()) r.config = fm.list(b + ".config");
        }
        for (const auto& bin : s.requirements.bins)
            if (!on_path(bin)) s.missing.bins.push_back(bin);
        if (!s.requirements.any_bins.empty() &&
            std::none_of(s.requirements.any_bins.begin(), s.requirements.any_bins.end(), on_path))
            s.missing.any_bins = s.requirements.any_bins;
        for (const auto& var : s.requirements.env)
            if (!env_set(var)) s.missing.env.push_back(var);
        bool os_ok = s.os.empty() || std::find(s.os.begin(), s.os.end(), std::string("linux")) != s.os.end();
        s.eligible = os_ok && s.missing.empty();
        s.disabled = disabled(name);
        return s;
    }

    Skill load(const std::string& name) const {
        auto text = read_skill_file(name);
        if (!text) fail(OXIOS_E_NOT_FOUND, "skill not found");
        return describe(name, *text);
    }

    Result list(const rapidjson::Value&) const {
        std::vector<Skill> skills;
        std::error_code ec;
        for (fs::directory_iterator it(skills_dir(), ec), end; !ec && it != end; it.increment(ec)) {
            std::string name = it->path().filename().string();
            if (!kernel::valid_id(name, kMaxNameLen)) continue;
            std::optional<std::string> text;
            try {
                text = files::read_file(it->path() / kSkillFile);
            } catch (const std::system_error& e) {
                if (e.code() != std::errc::is_a_directory && e.code() != std::errc::not_a_directory)
                    report_unreadable(ctx.unreadable, it->path() / kSkillFile, "cannot read: " + e.code().message());
                continue;
            }
            if (!text) continue;
            clear_unreadable(ctx.unreadable, it->path() / kSkillFile);
            skills.push_back(describe(name, *text));
        }
        std::sort(skills.begin(), skills.end(), [](const Skill& a, const Skill& b) { return a.name < b.name; });
        json::Builder out;
        out.begin_object().key("skills").begin_array();
        for (const auto& s : skills) write_skill(out, s);
        out.end_array().end_object();
        return out.result();
    }

    Result get(const rapidjson::Value& in) const {
        Skill s = load(valid_name(in));
        json::Builder out;
        write_skill(out, s);
        return out.result();
    }

    Result content(const rapidjson::Value& in) const {
        std::string name = valid_name(in);
        auto text = read_skill_file(name);
        if (!text) fail(OXIOS_E_NOT_FOUND, "skill not found");
        json::Builder out;
        out.begin_object().field("name", name).field("content", *text).end_object();
        return out.result();
    }

    Result create(const rapidjson::Value& in) const {
        std::string name = valid_name(in);
        std::string description = json::opt_string(in, "description").value_or("");
        std::string body = json::req_string(in, "content");
        if (body.size() > kMaxContentBytes)
            fail(OXIOS_E_TOO_LARGE, std::to_string(body.size()) + " bytes exceeds limit of " +
                                        std::to_string(kMaxContentBytes) + " bytes");
        std::string file = "---\nname: " + name + "\ndescription: " + quote(description) + "\n---\n\n" + body;
        if (!body.empty() && body.back() != '\n') file.push_back('\n');

        std::lock_guard lock(write_mutex);
        try {
            files::create_dirs(skills_dir());
        } catch (const std::system_error& e) {
            fail(OXIOS_E_IO, "cannot create skills directory: " + e.code().message());
        }
        std::error_code ec;
        fs::path dir = skill_dir(name);
        if (!fs::create_directory(dir, ec)) {
            if (ec) fail(OXIOS_E_IO, "cannot create skill directory: " + ec.message());
            // The directory was there: a skill only when it holds a SKILL.md.
            if (fs::exists(dir / kSkillFile, ec) || !fs::is_directory(dir, ec))
                fail(OXIOS_E_CONFLICT, "skill already exists");
        }
        try {
            files::write_atomic(dir / kSkillFile, file);
            files::fsync_dir(skills_dir());
        } catch (const std::system_error& e) {
            fail(OXIOS_E_IO, "cannot write skill: " + e.code().message());
        }
        json::Builder out;
        out.begin_object().field("status", "created").field("name", name).end_object();
        return out.result();
    }

    Result remove(const rapidjson::Value& in) const {
        std::string name = valid_name(in);
        std::lock_guard lock(write_mutex);
        load(name);  // NOT_FOUND unless it is a skill
        std::error_code ec;
        fs::remove_all(skill_dir(name), ec);  // a symlinked dir: only the link goes
        if (ec) fail(OXIOS_E_IO, "cannot delete skill: " + ec.message());
        try {
            files::fsync_dir(skills_dir());
        } catch (const std::system_error&) {
        }
        return status_result("deleted", name);
    }

    Result set_enabled(const rapidjson::Value& in, bool enable) const {
        std::string name = valid_name(in);
        std::lock_guard lock(write_mutex);
        load(name);
        fs::path marker = skill_dir(name) / kDisabledMarker;
        try {
            if (enable) {
                if (::unlink(marker.c_str()) == 0)
                    files::fsync_dir(skill_dir(name));
                else if (errno != ENOENT)
                    throw std::system_error(errno, std::generic_category(), "unlink");
            } else {
                files::write_atomic(marker, "");
            }
        } catch (const std::system_error& e) {
            fail(OXIOS_E_IO, "cannot change skill state: " + e.code().message());
        }
        return status_result(enable ? "enabled" : "disabled", name);
    }

    static Result status_result(const char* status, const std::string& name) {
        json::Builder out;
        out.begin_object().field("status", status).field("name", name).end_object();
        return out.result();
    }
};

}  // namespace
}  // namespace oxios::kernel::services

namespace oxios::kernel {

void register_skills_service(ServiceRegistry& registry, const ServiceContext& ctx) {
    auto svc = std::make_shared<services::SkillsService>();
    svc->ctx = ctx;
    registry.add("skills.list", [svc](const rapidjson::Value& in) { return svc->list(in); });
    registry.add("skills.get", [svc](const rapidjson::Value& in) { return svc->get(in); });
    registry.add("skills.content", [svc](const rapidjson::Value& in) { return svc->content(in); });
    auto git = [&ctx](const char* verb, Method m) {  // the skill's folder goes into the history
        return reporting_to_git(ctx.git, "skills", verb, "skills/", "name", std::move(m));
    };
    registry.add("skills.create", git("write", [svc](const rapidjson::Value& in) { return svc->create(in); }));
    registry.add("skills.delete", git("delete", [svc](const rapidjson::Value& in) { return svc->remove(in); }));
    registry.add("skills.enable",
                 git("write", [svc](const rapidjson::Value& in) { return svc->set_enabled(in, true); }));
    registry.add("skills.disable",
                 git("write", [svc](const rapidjson::Value& in) { return svc->set_enabled(in, false); }));
}

}  // namespace oxios::kernel
