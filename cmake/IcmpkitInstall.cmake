# Install and export, modelled on fmt's support/cmake: targets under the
# icmpkit:: namespace, a package config with version file, and a .pc file.
include(CMakePackageConfigHelpers)

set(ICMPKIT_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/icmpkit")

install(TARGETS icmpkit_wire icmpkit_engine icmpkit_icmpkit
        EXPORT icmpkitTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/icmpkit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES cmake/FindAsio.cmake DESTINATION ${ICMPKIT_CMAKE_DIR})
install(EXPORT icmpkitTargets NAMESPACE icmpkit:: DESTINATION ${ICMPKIT_CMAKE_DIR})

configure_package_config_file(cmake/icmpkitConfig.cmake.in
  "${CMAKE_CURRENT_BINARY_DIR}/icmpkitConfig.cmake"
  INSTALL_DESTINATION ${ICMPKIT_CMAKE_DIR})
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/icmpkitConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/icmpkitConfig.cmake"
              "${CMAKE_CURRENT_BINARY_DIR}/icmpkitConfigVersion.cmake"
        DESTINATION ${ICMPKIT_CMAKE_DIR})

# The engine library exists only once it has sources (it is header-only/INTERFACE before).
set(ICMPKIT_PC_LIBS "-licmpkit")
if(ICMPKIT_ENGINE_SOURCES)
  string(APPEND ICMPKIT_PC_LIBS " -licmpkit_engine")
endif()
string(APPEND ICMPKIT_PC_LIBS " -licmpkit_wire")
configure_file(cmake/icmpkit.pc.in "${CMAKE_CURRENT_BINARY_DIR}/icmpkit.pc" @ONLY)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/icmpkit.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
