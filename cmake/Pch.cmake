# One precompiled header for every C++ target: nlohmann/json, cpp-httplib, spdlog and GoogleTest
# are most of the parse time of a translation unit here, and parsing them once per build instead
# of once per unity batch saves about a third of a clean build. (Not CLI11: its non-template
# inline code would be compiled into every file, 2.4 s each; only three files include it.)
#
# The header is built by one object library (xlb_pch) and reused by every other C++ target
# (REUSE_FROM), so every target compiles with the same flags and the same preprocessor
# definitions of those libraries - GCC refuses a PCH whose macros differ (-Winvalid-pch, an error
# under -Werror), so a mismatch fails the build rather than silently slowing it down.
option(XLB_PCH "Precompile the heavy third-party headers once for all C++ targets" ON)

set(XLB_PCH_LIBS nlohmann_json::nlohmann_json httplib::httplib spdlog::spdlog fmt::fmt
                 GTest::gtest)

function(xlb_pch_create)
  if(NOT XLB_PCH)
    return()
  endif()
  file(WRITE ${CMAKE_BINARY_DIR}/xlb_pch_anchor.cpp "// anchor for the shared precompiled header\n")
  add_library(xlb_pch OBJECT ${CMAKE_BINARY_DIR}/xlb_pch_anchor.cpp)
  set_target_properties(xlb_pch PROPERTIES UNITY_BUILD OFF)
  target_link_libraries(xlb_pch PRIVATE ${XLB_PCH_LIBS})
  target_precompile_headers(xlb_pch PRIVATE
    <nlohmann/json.hpp> <httplib.h> <spdlog/spdlog.h> <gtest/gtest.h>)
endfunction()

# Compile-only usage requirements of the PCH's libraries (definitions and include dirs; nothing
# is linked), so a target that does not use them still reads the header the way it was built.
function(xlb_pch_reuse target)
  foreach(lib IN LISTS XLB_PCH_LIBS)
    target_compile_definitions(${target} PRIVATE
      $<TARGET_PROPERTY:${lib},INTERFACE_COMPILE_DEFINITIONS>)
    target_compile_options(${target} PRIVATE $<TARGET_PROPERTY:${lib},INTERFACE_COMPILE_OPTIONS>)
    target_include_directories(${target} SYSTEM PRIVATE
      $<TARGET_PROPERTY:${lib},INTERFACE_INCLUDE_DIRECTORIES>)
  endforeach()
  target_precompile_headers(${target} REUSE_FROM xlb_pch)
endfunction()

# Every C++ library and executable defined under `dir` (recursively).
function(xlb_pch_reuse_all dir)
  if(NOT XLB_PCH)
    return()
  endif()
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(t IN LISTS targets)
    get_target_property(type ${t} TYPE)
    if(t STREQUAL "xlb_pch" OR NOT type MATCHES "^(STATIC_LIBRARY|EXECUTABLE|OBJECT_LIBRARY)$")
      continue()
    endif()
    get_target_property(unoptimized ${t} XLB_UNOPTIMIZED)
    if(unoptimized)
      continue()  # other flags than the PCH's (xlb_unoptimized_test)
    endif()
    get_target_property(sources ${t} SOURCES)
    if(sources MATCHES "\\.(cpp|cc|cxx)(;|$)")
      xlb_pch_reuse(${t})
    endif()
  endforeach()
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    xlb_pch_reuse_all(${sub})
  endforeach()
endfunction()

# Test code (not the code under test, which its own libraries build with the build's flags) is
# compiled without optimisation: for gtest-heavy files -O0 without the PCH costs about half of -O2
# with it, and the tests run no faster optimised. Not for the datapath tests and their kit,
# whose frame building and fuzzing are hot loops. A no-op in a Debug (sanitizer) build.
function(xlb_unoptimized_test target)
  if(CMAKE_BUILD_TYPE STREQUAL "Debug")
    return()
  endif()
  target_compile_options(${target} PRIVATE -O0)
  set_target_properties(${target} PROPERTIES XLB_UNOPTIMIZED ON)
endfunction()
