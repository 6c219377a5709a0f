# oxios_add_plugin(<target> SOURCES src... [OUTPUT_DIRECTORY dir] [OUTPUT_NAME name])
#
# Builds a loadable Oxios plugin: a shared MODULE named <name>.so (no "lib"),
# hidden visibility, no GNU-unique symbols (so dlclose really unloads it on a
# reload), only `oxios_plugin_entry` exported (version script), every symbol
# resolved at link time. It links the ABI header only: never cpp-httplib or
# any host library. Installed with the Oxios CMake package; the in-tree web
# plugin is built with it too.
include_guard(GLOBAL)
set(OXIOS_PLUGIN_MAP "${CMAKE_CURRENT_LIST_DIR}/oxios_plugin.map"
  CACHE INTERNAL "version script exporting only oxios_plugin_entry")

function(oxios_add_plugin target)
  cmake_parse_arguments(P "" "OUTPUT_DIRECTORY;OUTPUT_NAME" "SOURCES" ${ARGN})
  if(NOT P_SOURCES)
    message(FATAL_ERROR "oxios_add_plugin(${target}): SOURCES is required")
  endif()
  add_library(${target} MODULE ${P_SOURCES})
  target_link_libraries(${target} PRIVATE Oxios::abi)
  set_target_properties(${target} PROPERTIES PREFIX ""
    C_VISIBILITY_PRESET hidden CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  # GCC only: clang never emits GNU-unique symbols (and refuses the flag).
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANG_AND_ID:CXX,GNU>:-fno-gnu-unique>
    $<$<COMPILE_LANG_AND_ID:C,GNU>:-fno-gnu-unique>)
  # --no-undefined-version: a misspelled entry point fails to link.
  target_link_options(${target} PRIVATE -Wl,--no-undefined -Wl,--no-undefined-version
    "-Wl,--version-script=${OXIOS_PLUGIN_MAP}")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${OXIOS_PLUGIN_MAP}")
  if(P_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${P_OUTPUT_DIRECTORY}")
  endif()
  if(P_OUTPUT_NAME)
    set_target_properties(${target} PROPERTIES OUTPUT_NAME "${P_OUTPUT_NAME}")
  endif()
endfunction()
