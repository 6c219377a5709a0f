// File helpers for the kernel's stores: durable atomic replacement of a file
// and whole-file reads. Errors are std::system_error (callers that answer a
// call turn them into OXIOS_E_IO).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace oxios::kernel::services::files {

// Replaces `path` with `data` atomically and durably: writes a uniquely named
// temp file in the same directory (O_EXCL), fsyncs it, renames it over `path`
// and fsyncs the directory. Readers see the old or the new content, never a
// mix; after return the new content survives a crash. The directory must
// exist. On failure the temp file is removed and `path` is unchanged.
// A symlink at `path` is replaced by the file (rename does not follow it).
void write_atomic(const std::filesystem::path& path, std::string_view data, mode_t mode = 0644);

// Creates `dir` and any missing parents (mode 0755 before umask), fsyncing
// the parent of each directory it creates so the new entries are durable.
// An existing directory is fine; an existing non-directory throws ENOTDIR.
void create_dirs(const std::filesystem::path& dir);

// fsyncs a directory (after creating, renaming or removing entries in it).
void fsync_dir(const std::filesystem::path& dir);

// Whole content of a regular file; nullopt when it does not exist (ENOENT,
// ENOTDIR). Other failures (EACCES, EISDIR, I/O) throw std::system_error.
std::optional<std::string> read_file(const std::filesystem::path& path);

}  // namespace oxios::kernel::services::files
