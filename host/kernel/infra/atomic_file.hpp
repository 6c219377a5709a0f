// Durable, atomic file replacement: write a uniquely named temp file in the
// same directory, fsync it, rename it over the target, fsync the directory.
// Also durable appends (session journals).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace oxios::kernel {

class SpareFiles;

// Throws std::system_error on failure (the temp file is removed).
void write_file_atomic(const std::filesystem::path& target, std::string_view data);
// Same, with the content given as consecutive pieces (written with writev).
// With `spares` of the target's directory, the temp file is a spare created
// ahead of time when one is ready (spare_files.hpp); the protocol is the same.
void write_file_atomic(const std::filesystem::path& target, const std::vector<std::string_view>& pieces,
                       SpareFiles* spares = nullptr);

// Whole file into a string; throws std::system_error when unreadable.
std::string read_file(const std::filesystem::path& path);

// fsync of a directory (after rename/unlink inside it). Errors are ignored.
void fsync_dir(const std::filesystem::path& dir);

// Appends `data` to `file` with one O_APPEND write and makes it durable
// (fdatasync; the directory is fsynced too when the file was empty or new)
// before returning the file's new length. On failure the file is cut back to
// its previous length (best effort) and std::system_error is thrown.
uint64_t append_file_durable(const std::filesystem::path& file, std::string_view data);

// Cuts `file` to `size` bytes and fsyncs it; throws std::system_error.
void truncate_file_durable(const std::filesystem::path& file, uint64_t size);

}  // namespace oxios::kernel
