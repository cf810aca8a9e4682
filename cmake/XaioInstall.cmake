# SPDX-License-Identifier: MIT
# Installation (`cmake --install build`, DESTDIR honoured, GNUInstallDirs).
# The tree is relocatable: `cmake --install build --prefix DIR` may name a
# prefix other than CMAKE_INSTALL_PREFIX, and the installed tree may be moved
# (.pc files relative to ${pcfiledir}, the CMake package to its own
# directory, xaio-run to itself); only directories given as absolute paths
# outside the prefix stay where they were configured.
#
#   include/xaio.h, include/xaio/*.h and the generated xaio/version.h
#   libxaio.so.0.1.0 + libxaio.so.0 + libxaio.so, the same for libxaio-posix
#   libxaio.a, libxaio-posix.a               with -DXAIO_BUILD_STATIC=ON
#   pkgconfig/xaio.pc, pkgconfig/xaio-posix.pc
#   cmake/xaio/: find_package(xaio) -> xaio::xaio, xaio::posix (and
#                xaio::xaio_static, xaio::posix_static when built)
#   man1, man3, man7 pages; bin/xaio-run; LICENSE in the doc directory
#
# Components: Runtime (the versioned shared objects, xaio-run, LICENSE) and
# Development (everything a compiler needs: headers, namelinks, static
# archives, .pc files, CMake package, man pages).

include(CMakePackageConfigHelpers)

set(XAIO_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/xaio)

# The same names for add_subdirectory()/FetchContent users as for
# find_package() users.
add_library(xaio::xaio ALIAS xaio)
set(XAIO_INSTALL_TARGETS xaio)
if(TARGET xaio-posix)
	set_target_properties(xaio-posix PROPERTIES EXPORT_NAME posix)
	add_library(xaio::posix ALIAS xaio-posix)
	list(APPEND XAIO_INSTALL_TARGETS xaio-posix)
endif()

# Static archives from the very objects the shared libraries are made of.
# Hidden visibility only shapes a shared object's dynamic symbol table, so
# the archives work as they are.  libxaio-posix.a holds the POSIX layer
# only and needs libxaio.a (the engine) after it, as the shared library
# needs libxaio.so.
function(xaio_static_library target output export_name)
	add_library(${target} STATIC ${ARGN})
	set_target_properties(${target} PROPERTIES
		OUTPUT_NAME ${output} EXPORT_NAME ${export_name})
	target_include_directories(${target} PUBLIC
		$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
		$<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
		$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
	target_link_libraries(${target} PUBLIC Threads::Threads)
	add_library(xaio::${export_name} ALIAS ${target})
	set(XAIO_INSTALL_TARGETS ${XAIO_INSTALL_TARGETS} ${target} PARENT_SCOPE)
endfunction()

if(XAIO_BUILD_STATIC)
	xaio_static_library(xaio_static xaio xaio_static
		$<TARGET_OBJECTS:xaio_engine>)
	if(TARGET xaio_posix_obj)
		xaio_static_library(xaio-posix_static xaio-posix posix_static
			$<TARGET_OBJECTS:xaio_posix_obj>)
		target_link_libraries(xaio-posix_static PUBLIC xaio_static)
	endif()
endif()

install(TARGETS ${XAIO_INSTALL_TARGETS} EXPORT xaioTargets
	LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
		COMPONENT Runtime NAMELINK_COMPONENT Development
	ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Development
	RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT Runtime)

# Everything under include/ is public; version.h is generated.  Without
# libxaio-posix, its header, pages and tool stay out.
if(TARGET xaio-posix)
	set(XAIO_POSIX_ONLY)
else()
	set(XAIO_POSIX_ONLY PATTERN "posix.h" EXCLUDE PATTERN "aio_*" EXCLUDE
		PATTERN "xaio-posix.*" EXCLUDE PATTERN "xaio-run.*" EXCLUDE
		PATTERN "xaio-bench.*" EXCLUDE)
endif()
install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
	COMPONENT Development FILES_MATCHING PATTERN "*.h" ${XAIO_POSIX_ONLY})
install(FILES ${PROJECT_BINARY_DIR}/include/xaio/version.h
	DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/xaio COMPONENT Development)

# pkg-config: relocatable.  prefix is ${pcfiledir} and the way up from the
# .pc directory to the prefix (../.. for lib/pkgconfig, ../../.. for
# lib/x86_64-linux-gnu/pkgconfig), libdir and includedir hang off
# ${prefix}, so `cmake --install build --prefix DIR` and a moved or
# packaged tree give the right flags.  A directory outside the prefix (an
# absolute CMAKE_INSTALL_LIBDIR or INCLUDEDIR elsewhere) stays absolute; if
# the .pc directory itself is outside the prefix, so does prefix.
set(XAIO_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
# rel_to_prefix(VAR PATH): VAR = PATH relative to the prefix ("." for the
# prefix itself), or "" if PATH is not under it.
function(rel_to_prefix var path)
	cmake_path(IS_PREFIX CMAKE_INSTALL_PREFIX "${path}" NORMALIZE under)
	set(rel "")
	if(under)
		cmake_path(RELATIVE_PATH path BASE_DIRECTORY
			"${CMAKE_INSTALL_PREFIX}" OUTPUT_VARIABLE rel)
		string(REGEX REPLACE "/+$" "" rel "${rel}")
		if(rel STREQUAL "")
			set(rel .)
		endif()
	endif()
	set(${var} "${rel}" PARENT_SCOPE)
endfunction()
rel_to_prefix(pc_rel ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig)
if(pc_rel STREQUAL "")
	set(XAIO_PC_PREFIX ${CMAKE_INSTALL_PREFIX})
else()
	file(RELATIVE_PATH up ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig
		${CMAKE_INSTALL_PREFIX})
	string(REGEX REPLACE "/+$" "" up "${up}")
	set(XAIO_PC_PREFIX "\${pcfiledir}/${up}")
endif()
foreach(d LIBDIR INCLUDEDIR)
	rel_to_prefix(rel ${CMAKE_INSTALL_FULL_${d}})
	if(rel STREQUAL "")
		set(XAIO_PC_${d} ${CMAKE_INSTALL_FULL_${d}})
	elseif(rel STREQUAL ".")
		set(XAIO_PC_${d} "\${prefix}")
	else()
		set(XAIO_PC_${d} "\${prefix}/${rel}")
	endif()
endforeach()
configure_file(xaio.pc.in xaio.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/xaio.pc
	DESTINATION ${XAIO_PC_DIR} COMPONENT Development)
if(TARGET xaio-posix)
	configure_file(xaio-posix.pc.in xaio-posix.pc @ONLY)
	install(FILES ${PROJECT_BINARY_DIR}/xaio-posix.pc
		DESTINATION ${XAIO_PC_DIR}
		COMPONENT Development)
endif()

# CMake package.
install(EXPORT xaioTargets NAMESPACE xaio:: FILE xaioTargets.cmake
	DESTINATION ${XAIO_CMAKE_DIR} COMPONENT Development)
configure_package_config_file(cmake/xaioConfig.cmake.in
	${PROJECT_BINARY_DIR}/xaioConfig.cmake
	INSTALL_DESTINATION ${XAIO_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/xaioConfigVersion.cmake
	VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/xaioConfig.cmake
	${PROJECT_BINARY_DIR}/xaioConfigVersion.cmake
	DESTINATION ${XAIO_CMAKE_DIR} COMPONENT Development)

# Man pages (aliases are .so stubs, installed as they are).
install(DIRECTORY man/man1 man/man3 man/man7 DESTINATION ${CMAKE_INSTALL_MANDIR}
	COMPONENT Development
	FILES_MATCHING PATTERN "*.1" PATTERN "*.3" PATTERN "*.7"
	${XAIO_POSIX_ONLY})

if(TARGET xaio-posix)
	install(PROGRAMS tools/xaio-run DESTINATION ${CMAKE_INSTALL_BINDIR}
		COMPONENT Runtime)
endif()
install(FILES LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT Runtime)
