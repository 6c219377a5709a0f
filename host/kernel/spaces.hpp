// Spaces (docs/api.md, "Space file"): records of the state store (<workspace>/spaces/<id>.json with files), kept in
// memory; at most one active; chats create and bump them.
#pragma once

#include "kernel.hpp"
#include "store/record_store.hpp"
#include "store/stale_keys.hpp"

#include <rapidjson/document.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace oxios::kernel {

class ServiceRegistry;

class SpaceStore {
public:
    using Publish = std::function<void(std::string_view type, const rapidjson::Value& fields)>;
    // Loads every space of the store's "spaces" collection (with files, a
    // bad file is skipped, left as it is and reported in /health/ready).
    SpaceStore(RecordStore& records, Publish publish, std::function<int64_t()> now_us);

    Result list(uint32_t page, uint32_t limit, bool include_archived);
    Result get(std::string_view id);  // reads the store on a miss
    Result activate(std::string_view id);
    Result archive(std::string_view id);

    // For a chat: the space it runs in. A named space that does not exist is
    // created (name = id, source "chat"); no name -> the active space, if any
    // ("" when none). OXIOS_E_INVALID for a bad id.
    Status resolve_for_chat(std::string_view requested, std::string& space_id);
    // One exchange happened in the space: interaction_count + 1, last_active_at.
    void record_interaction(std::string_view id);

    std::optional<std::string> active_id() const;
    size_t count_unarchived() const;

    // Another host of a cluster changed this space ("" = any space: an
    // activation, or a lagged bus): read it from the store before the next
    // list, get or change. The Kernel calls it from the spaces' events.
    void changed_elsewhere(const std::string& id);

private:
    struct Space {
        rapidjson::Document doc;
        uint64_t version = 0;
        std::shared_ptr<std::mutex> write_mutex = std::make_shared<std::mutex>();
        std::shared_ptr<uint64_t> written = std::make_shared<uint64_t>(0);  // under write_mutex
    };
    struct PendingWrite {
        std::string id, text;
        uint64_t version = 0;
        std::shared_ptr<std::mutex> write_mutex;
        std::shared_ptr<uint64_t> written;
    };

    Space& create_locked(const std::string& id, const char* source);
    PendingWrite pending_locked(const std::string& id, Space& space);
    // The space, read from the store on a miss (mutex_ held); null when none.
    Space* lookup_locked(const std::string& id);
    // Replaces (or adds) a space's document from the store's text (mutex_ held).
    void adopt_locked(const std::string& id, std::string_view text);
    void refresh_locked();                // what changed_elsewhere marked (mutex_ held)
    Status flush(const PendingWrite& w);  // outside mutex_; newer versions win; BUSY = store unavailable
    static Result stored_or_error(Status st, const std::string& id);
    void publish_space(const char* type, const std::string& id, const std::string& name);

    RecordStore& records_;
    Publish publish_;
    std::function<int64_t()> now_us_;
    mutable std::mutex mutex_;
    std::map<std::string, Space> spaces_;
    StaleKeys stale_;
};

// spaces.list, spaces.get, spaces.activate, spaces.archive (abi/METHODS.md).
void register_spaces_methods(ServiceRegistry& registry, SpaceStore& spaces);

}  // namespace oxios::kernel
