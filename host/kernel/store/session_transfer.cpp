#include "store/session_transfer.hpp"

#include "infra/atomic_file.hpp"
#include "infra/ids.hpp"
#include "infra/json_util.hpp"
#include "session_doc.hpp"

#include <cstdio>
#include <filesystem>
#include <vector>

namespace oxios::kernel {

namespace fs = std::filesystem;

TransferCount export_sessions(SessionStore& from, const std::string& dir) {
    TransferCount n;
    fs::create_directories(dir);
    // Ids first (pages move while we write), then one document at a time.
    std::vector<std::string> ids;
    for (uint32_t page = 1;; ++page) {
        Result r = from.list(page, 500);
        if (r.status != OXIOS_OK) throw std::runtime_error("cannot list sessions: " + r.body);
        auto doc = json::parse(r.body);
        const auto* items = doc ? json::member(*doc, "items") : nullptr;
        if (items == nullptr || !items->IsArray() || items->Empty()) break;
        for (const auto& item : items->GetArray()) ids.push_back(json::get_string(item, "id"));
    }
    for (const auto& id : ids) {
        Result r = from.export_file(id);
        if (r.status != OXIOS_OK) {
            std::fprintf(stderr, "oxios-host: session %s: %s\n", id.c_str(), r.body.c_str());
            ++n.failed;
            continue;
        }
        const fs::path target = fs::path(dir) / (id + ".json");
        std::error_code ec;
        if (fs::exists(target, ec)) {
            auto there = SessionDoc::parse(read_file(target));
            auto here = SessionDoc::parse(r.body);
            if (there && here && there->user_count() >= here->user_count()) {
                ++n.unchanged;
                continue;
            }
        }
        write_file_atomic(target, r.body);
        ++n.copied;
    }
    return n;
}

TransferCount import_sessions(SessionStore& to, const std::string& dir) {
    TransferCount n;
    if (!fs::is_directory(dir)) throw std::runtime_error("not a directory: " + dir);
    for (const auto& entry : fs::directory_iterator(dir)) {
        const fs::path& p = entry.path();
        if (p.extension() != ".json" || !entry.is_regular_file()) continue;
        const std::string id = p.stem().string();
        if (!valid_id(id)) continue;
        std::string text;
        try {
            text = read_file(p);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "oxios-host: %s: %s\n", p.c_str(), e.what());
            ++n.failed;
            continue;
        }
        switch (to.import_file(id, text)) {
            case OXIOS_OK:
                ++n.copied;
                break;
            case OXIOS_E_CONFLICT:
                ++n.unchanged;
                break;
            default:
                std::fprintf(stderr, "oxios-host: %s: not imported (not a session file, or the store failed)\n",
                             p.c_str());
                ++n.failed;
        }
    }
    return n;
}

}  // namespace oxios::kernel
