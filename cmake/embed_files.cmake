# Writes a C++ source holding every file under DIR (cmake -P, at build time):
# the plugin's bundled web UI, compiled into the .so.
#   cmake -DDIR=<files> -DOUT=<generated .cpp> -P embed_files.cmake
# Per file: its path ("/assets/app.js"), its bytes, its mtime (unix seconds)
# and the first 16 hex digits of its SHA-256 (the ETag's identity).
include(${CMAKE_CURRENT_LIST_DIR}/hex_bytes.cmake)
file(GLOB_RECURSE files RELATIVE "${DIR}" "${DIR}/*")
list(SORT files)
set(arrays "")
set(table "")
set(n 0)
foreach(rel IN LISTS files)
  set(path "${DIR}/${rel}")
  file(READ "${path}" hex HEX)
  string(LENGTH "${hex}" hex_len)
  math(EXPR size "${hex_len} / 2")
  oxios_hex_bytes("${hex}" bytes)
  file(TIMESTAMP "${path}" mtime "%s" UTC)
  file(SHA256 "${path}" sha)
  string(SUBSTRING "${sha}" 0 16 hash)
  string(APPEND arrays "const unsigned char f${n}[] = {\n${bytes}};\n")
  string(APPEND table "    {\"/${rel}\", f${n}, ${size}, ${mtime}, 0x${hash}ull},\n")
  math(EXPR n "${n} + 1")
endforeach()
if(n EQUAL 0)
  message(FATAL_ERROR "embed_files: no files under ${DIR}")
endif()
set(text "// Generated at build time by cmake/embed_files.cmake from the UI directory: do not edit.
#include \"static/ui_bundle.hpp\"

namespace web {
namespace {
${arrays}}  // namespace

const BundledFile kBundledFiles[] = {
${table}};
const size_t kBundledFileCount = ${n};

}  // namespace web
")
file(WRITE "${OUT}" "${text}")
