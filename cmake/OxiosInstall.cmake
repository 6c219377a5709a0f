# What `cmake --install` puts under a prefix, the CMake package that
# find_package(Oxios) reads, and the Debian packages of `cpack -G DEB`:
#   oxios      bin/oxios-host, lib/oxios/plugins/web_plugin.so (its UI inside)
#   oxios-dev  include/oxios/, lib/liboxios_*.a, lib/cmake/Oxios/,
#              bin/oxios-harness, share/doc/oxios/ (the plugin guide, examples)
include(CMakePackageConfigHelpers)
# Install and cpack take what is built (scripts/setup builds everything)
# rather than building every test first.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
set(OXIOS_INSTALL_CMAKE_DIR lib/cmake/Oxios)
set(OXIOS_INSTALL_PLUGIN_DIR lib/oxios/plugins)
set(OXIOS_INSTALL_DOC_DIR share/doc/oxios)

# Exported targets: build-tree include paths must not leak into the package;
# a target that did not say so gets its plain paths wrapped here.
function(oxios_export_includes target)
  get_target_property(_dirs ${target} INTERFACE_INCLUDE_DIRECTORIES)
  if(NOT _dirs)
    return()
  endif()
  set(_fixed "")
  foreach(d ${_dirs})
    if(d MATCHES "^\\$<")
      list(APPEND _fixed "${d}")
    else()
      list(APPEND _fixed "$<BUILD_INTERFACE:${d}>")
    endif()
  endforeach()
  list(APPEND _fixed "$<INSTALL_INTERFACE:include>" "$<INSTALL_INTERFACE:include/oxios>")
  list(REMOVE_DUPLICATES _fixed)
  set_target_properties(${target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_fixed}")
endfunction()

set_target_properties(oxios_abi PROPERTIES EXPORT_NAME abi)
set(_oxios_exported oxios_abi oxios_harness)
install(FILES ${PROJECT_SOURCE_DIR}/abi/oxios_plugin.h DESTINATION include/oxios COMPONENT dev)
install(FILES ${OXIOS_HARNESS_PUBLIC_HEADERS} DESTINATION include/oxios/harness COMPONENT dev)
# The ABI rules library (sdk/rules), once the tree has it.
if(TARGET oxios_rules)
  oxios_export_includes(oxios_rules)
  set_target_properties(oxios_rules PROPERTIES EXPORT_NAME rules)
  list(PREPEND _oxios_exported oxios_rules)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/sdk/rules/include/ DESTINATION include COMPONENT dev)
endif()
install(TARGETS ${_oxios_exported} EXPORT OxiosTargets
  ARCHIVE DESTINATION lib COMPONENT dev
  INCLUDES DESTINATION include)
install(TARGETS oxios-harness RUNTIME DESTINATION bin COMPONENT dev)
install(EXPORT OxiosTargets NAMESPACE Oxios:: DESTINATION ${OXIOS_INSTALL_CMAKE_DIR} COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/OxiosConfig.cmake.in
  ${PROJECT_BINARY_DIR}/OxiosConfig.cmake INSTALL_DESTINATION ${OXIOS_INSTALL_CMAKE_DIR}
  PATH_VARS OXIOS_INSTALL_PLUGIN_DIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/OxiosConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/OxiosConfig.cmake ${PROJECT_BINARY_DIR}/OxiosConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/OxiosPlugin.cmake ${PROJECT_SOURCE_DIR}/cmake/oxios_plugin.map
  DESTINATION ${OXIOS_INSTALL_CMAKE_DIR} COMPONENT dev)
install(FILES ${PROJECT_SOURCE_DIR}/docs/plugin-guide.md ${PROJECT_SOURCE_DIR}/abi/METHODS.md
  DESTINATION ${OXIOS_INSTALL_DOC_DIR} COMPONENT dev)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION ${OXIOS_INSTALL_DOC_DIR}/examples
  COMPONENT dev PATTERN "build*" EXCLUDE)

# The runtime: the host, and the web plugin with its UI in the host's
# default plugin directory (<prefix>/lib/oxios/plugins).
install(TARGETS oxios-host RUNTIME DESTINATION bin COMPONENT runtime)
install(TARGETS web_plugin LIBRARY DESTINATION ${OXIOS_INSTALL_PLUGIN_DIR} COMPONENT runtime)

# ------------------------------------------------------------- cpack ---
set(CPACK_PACKAGE_NAME oxios)
set(CPACK_PACKAGE_VENDOR "Oxios")
set(CPACK_PACKAGE_CONTACT "Oxios maintainers <oxios@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Oxios web channel host and plugin SDK")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME oxios)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION "web channel of the Oxios agent kernel: host and web plugin
 oxios-host, the HTTP host of the Oxios agent kernel and its web-channel plugin, loaded
 through a stable C ABI and hot-reloaded when its file changes.")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME oxios-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# Building against the package: the harness links Boost.Filesystem, the CMake
# package finds it, and the examples' suites use doctest.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "cmake (>= 3.25), libboost-dev (>= 1.74), libboost-filesystem-dev (>= 1.74)")
set(CPACK_DEBIAN_DEV_PACKAGE_RECOMMENDS "oxios (= ${PROJECT_VERSION}), doctest-dev, g++")
set(CPACK_DEBIAN_DEV_DESCRIPTION "plugin SDK of Oxios: ABI header, mock host harness, CMake package
 Headers, static libraries and the CMake package (find_package(Oxios)) for
 building and testing Oxios plugins, the oxios-harness tool and the plugin
 guide with two example plugins (C++ and C99).")
include(CPack)
