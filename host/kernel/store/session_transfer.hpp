// oxios-host --export-sessions DIR / --import-sessions DIR: sessions moved
// between the configured backend and a directory of session files (the files
// backend's format), so that a host can change backends without losing them.
// Both are idempotent: a session already there with as many messages is
// skipped.
#pragma once

#include "session_store.hpp"

#include <string>

namespace oxios::kernel {

struct TransferCount {
    size_t copied = 0, unchanged = 0, failed = 0;
};

// Writes <dir>/<id>.json for every session of `from` (atomically; creates dir).
TransferCount export_sessions(SessionStore& from, const std::string& dir);
// Stores every <id>.json of `dir` into `to`. Files that do not parse fail.
TransferCount import_sessions(SessionStore& to, const std::string& dir);

}  // namespace oxios::kernel
