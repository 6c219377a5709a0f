// Shared fixture of the services_*.cpp suites: a fresh temp directory per
// test holding the workspace (<tmp>/ws) and a sibling (<tmp>/outside) that
// traversal tests aim at; a ServiceRegistry with every long-tail service; a
// scriptable clock and a record of published events.
#pragma once

#include "services/knowledge_vault.hpp"
#include "services/service_registry.hpp"
#include "store/file_record_store.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace services_test {

namespace fs = std::filesystem;
using oxios::kernel::Result;

struct Event {
    std::string type;
    std::string fields;  // JSON object
};

using oxios::kernel::test::parse;
using oxios::kernel::test::slurp;
using oxios::kernel::test::TempDir;

inline void spit(const fs::path& p, const std::string& data) {
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out << data;
}

// A skill file with front matter.
inline std::string skill_md(const std::string& name, const std::string& description,
                            const std::string& version = "1.0.0") {
    return "---\nname: " + name + "\ndescription: " + description + "\nversion: " + version + "\n---\nbody\n";
}

// Every entry below `dir`, recursively, as relative paths (sorted).
inline std::vector<std::string> listing(const fs::path& dir) {
    std::vector<std::string> out;
    for (auto& e : fs::recursive_directory_iterator(dir)) out.push_back(fs::relative(e.path(), dir).string());
    std::sort(out.begin(), out.end());
    return out;
}

// Builds a JSON argument object without hand-escaping.
class Args {
public:
    Args() { doc_.SetObject(); }
    Args& set(const char* key, std::string_view v) {
        doc_.AddMember(rapidjson::Value(key, doc_.GetAllocator()),
                       rapidjson::Value(v.data(), static_cast<rapidjson::SizeType>(v.size()), doc_.GetAllocator()),
                       doc_.GetAllocator());
        return *this;
    }
    Args& set(const char* key, const char* v) { return set(key, std::string_view(v)); }
    Args& set(const char* key, double v) {
        doc_.AddMember(rapidjson::Value(key, doc_.GetAllocator()), rapidjson::Value(v), doc_.GetAllocator());
        return *this;
    }
    Args& set(const char* key, int v) {
        doc_.AddMember(rapidjson::Value(key, doc_.GetAllocator()), rapidjson::Value(v), doc_.GetAllocator());
        return *this;
    }
    Args& set(const char* key, const std::vector<std::string>& v) {
        rapidjson::Value arr(rapidjson::kArrayType);
        for (const auto& s : v)
            arr.PushBack(rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), doc_.GetAllocator()),
                         doc_.GetAllocator());
        doc_.AddMember(rapidjson::Value(key, doc_.GetAllocator()), arr, doc_.GetAllocator());
        return *this;
    }
    std::string str() const {
        rapidjson::StringBuffer buf;
        rapidjson::Writer<rapidjson::StringBuffer> w(buf);
        doc_.Accept(w);
        return std::string(buf.GetString(), buf.GetSize());
    }

private:
    rapidjson::Document doc_;
};

inline std::string error_of(const Result& r) {
    auto doc = parse(r.body);
    REQUIRE(doc.IsObject());
    REQUIRE(doc.HasMember("error"));
    REQUIRE(doc["error"].IsString());
    return doc["error"].GetString();
}

struct Fixture {
    TempDir tmp;
    fs::path ws = tmp.path() / "ws";
    fs::path outside = tmp.path() / "outside";
    int64_t now = int64_t{1780000000} * 1000000;  // 2026-05-28
    std::mutex events_mutex;
    std::vector<Event> events;
    std::unique_ptr<oxios::kernel::FileRecordStore> records;
    std::unique_ptr<oxios::kernel::ServiceRegistry> registry;
    bool with_knowledge = false;
    oxios::kernel::KnowledgeSettings knowledge;  // read at each knowledge write

    Fixture() {
        fs::create_directories(ws);
        fs::create_directories(outside);
        spit(outside / "secret.txt", "top secret");
        reopen();
    }

    oxios::kernel::ServiceContext context() {
        oxios::kernel::ServiceContext ctx;
        ctx.workspace = ws.string();
        ctx.publish = [this](std::string_view type, std::string_view fields) {
            std::lock_guard lock(events_mutex);
            events.push_back({std::string(type), std::string(fields)});
            return static_cast<uint64_t>(events.size());
        };
        ctx.now_us = [this] { return now; };
        if (!records) records = std::make_unique<oxios::kernel::FileRecordStore>(ws, ctx.now_us, nullptr);
        ctx.records = records.get();
        return ctx;
    }

    // A fresh registry over the same workspace (as after a host restart).
    void reopen() {
        auto ctx = context();
        registry = std::make_unique<oxios::kernel::ServiceRegistry>();
        if (with_knowledge)  // it makes <ws>/knowledge: only for the suites that use it
            oxios::kernel::register_knowledge_service(*registry, ctx, [this] { return knowledge; });
        oxios::kernel::register_workspace_service(*registry, ctx);
        oxios::kernel::register_seeds_service(*registry, ctx);
        oxios::kernel::register_skills_service(*registry, ctx);
        oxios::kernel::register_memory_service(*registry, ctx);
        oxios::kernel::register_approvals_service(*registry, ctx);
    }

    Result call(std::string_view method, const std::string& json = "{}") { return registry->call(method, json); }
    Result call(std::string_view method, const Args& args) { return registry->call(method, args.str()); }

    // Calls and requires OXIOS_OK with a JSON body.
    rapidjson::Document ok(std::string_view method, const Args& args) {
        Result r = call(method, args);
        REQUIRE_MESSAGE(r.status == OXIOS_OK, method << " -> " << r.status << " " << r.body);
        return parse(r.body);
    }
};

}  // namespace services_test
