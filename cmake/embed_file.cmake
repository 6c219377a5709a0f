# Writes a C++ source that holds one file's bytes as a std::string_view.
#   cmake -DIN=file -DOUT=file.cpp -DNAMESPACE=ns -DSYMBOL=kName [-DVERSION=v] -P embed_file.cmake
# "@OXIOS_WEB_VERSION@" in the file becomes VERSION; a .json file that does
# not parse fails the build.
foreach(var IN ITEMS IN OUT NAMESPACE SYMBOL)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed_file.cmake: -D${var}= is required")
  endif()
endforeach()

file(READ "${IN}" content)
if(DEFINED VERSION)
  string(REPLACE "@OXIOS_WEB_VERSION@" "${VERSION}" content "${content}")
endif()
if(IN MATCHES "\\.json$")
  string(JSON type ERROR_VARIABLE error TYPE "${content}")
  if(error)
    message(FATAL_ERROR "${IN} is not valid JSON: ${error}")
  endif()
endif()

string(LENGTH "${content}" size)
string(HEX "${content}" hex)
include(${CMAKE_CURRENT_LIST_DIR}/hex_bytes.cmake)
oxios_hex_bytes("${hex}" bytes)

file(WRITE "${OUT}.tmp" "// Generated from ${IN} by cmake/embed_file.cmake: do not edit.
#include <string_view>

namespace ${NAMESPACE} {
namespace {
constexpr unsigned char kBytes[] = {
    ${bytes}
};
}  // namespace
extern const std::string_view ${SYMBOL};
const std::string_view ${SYMBOL}{reinterpret_cast<const char*>(kBytes), ${size}};
}  // namespace ${NAMESPACE}
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
