// The state store's sessions, whatever keeps them: files in the workspace
// (file_session_store.hpp, the default) or PostgreSQL (store/pg_session_store.hpp).
// Both give the same JSON documents (docs/api.md, "Session file"); the host's
// session_* callbacks and the gateway use only this interface.
#pragma once

#include "kernel.hpp"
#include "oxios_plugin.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace oxios::kernel {

class SessionStore {
public:
    virtual ~SessionStore() = default;

    // The session document plus a top-level space_id. INVALID, NOT_FOUND;
    // BUSY {"error":"state store unavailable"} while the store is out.
    virtual Result get(std::string_view id) = 0;
    // Appends one exchange, creating the session; durable (committed) when it
    // returns OK. INVALID, IO, BUSY (unavailable: nothing was stored).
    virtual Status append(const oxios_exchange& ex) = 0;
    // {"items":[summary...],"total":N}, newest updated_at first.
    virtual Result list(uint32_t page, uint32_t limit) const = 0;
    virtual Status remove(std::string_view id) = 0;
    // TTL then count; force=false runs at most once an hour.
    // {"count":N,"config":{"max_sessions","ttl_hours"}}.
    virtual Result prune(bool force, int64_t max_sessions, int64_t ttl_hours) = 0;
    // Everything acknowledged is in its final place (graceful shutdown).
    virtual void flush() = 0;

    // The session in the files backend's format (docs/api.md, "Session
    // file"), and a session given in that format stored under `id`, replacing
    // an older one: what --export-sessions / --import-sessions move. An import
    // that would not add anything (the stored one has as many user messages
    // or more) is CONFLICT and changes nothing, so importing twice is harmless.
    virtual Result export_file(std::string_view id) = 0;
    virtual Status import_file(std::string_view id, std::string_view text) = 0;

    virtual size_t count() const = 0;
    // Unparsable session files renamed aside since start (files backend).
    virtual size_t corrupt_set_aside() const { return 0; }
    virtual bool healthy(std::string& detail) const = 0;
};

// The message of BUSY while the store cannot be reached (HTTP 503).
inline constexpr std::string_view kStoreUnavailable = "state store unavailable";

}  // namespace oxios::kernel
