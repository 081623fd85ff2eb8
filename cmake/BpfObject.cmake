# xlb_bpf_object(NAME <name> SOURCE <file.bpf.c> [DEPENDS ...] [NO_INSTALL])
# Compiles a BPF C file with clang -target bpf and generates <name>.skel.h with bpftool. The
# object is installed to lib/xlb/ unless NO_INSTALL (a benchmark's or a test's program).
find_program(CLANG_BPF NAMES clang clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)
execute_process(COMMAND ${CMAKE_C_COMPILER} -print-multiarch
                OUTPUT_VARIABLE XLB_MULTIARCH OUTPUT_STRIP_TRAILING_WHITESPACE)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64")
  set(XLB_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64")
  set(XLB_BPF_ARCH arm64)
endif()

# Flags of every BPF compile: the objects below and the header check.
set(XLB_BPF_CFLAGS -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_${XLB_BPF_ARCH}
    -Wall -Werror -Wno-unused-function
    -I${CMAKE_SOURCE_DIR}/include -I${CMAKE_SOURCE_DIR}/bpf -I/usr/include/${XLB_MULTIARCH})

function(xlb_bpf_object)
  cmake_parse_arguments(ARG "NO_INSTALL" "NAME;SOURCE" "DEPENDS" ${ARGN})
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}.bpf.o)
  set(skel ${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}.skel.h)
  file(GLOB_RECURSE bpf_headers ${CMAKE_SOURCE_DIR}/bpf/lib/*.h ${CMAKE_SOURCE_DIR}/include/xlb/abi/*.h)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${CLANG_BPF} ${XLB_BPF_CFLAGS} -c ${CMAKE_CURRENT_SOURCE_DIR}/${ARG_SOURCE} -o ${obj}
    DEPENDS ${ARG_SOURCE} ${bpf_headers} ${ARG_DEPENDS}
    COMMENT "BPF ${ARG_NAME}"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${ARG_NAME} > ${skel}
    DEPENDS ${obj}
    COMMENT "skeleton ${ARG_NAME}.skel.h"
    VERBATIM)
  add_custom_target(${ARG_NAME}_bpf DEPENDS ${obj} ${skel})
  if(NOT ARG_NO_INSTALL)
    install(FILES ${obj} DESTINATION ${CMAKE_INSTALL_LIBDIR}/xlb)
  endif()
endfunction()

# xlb_bpf_header_check(NAME <target> HEADERS <h>...)
# Each header must compile on its own, as the first and only include of a file: it includes what
# it uses. One syntax-only compile per header, rerun when any BPF or ABI header changes.
function(xlb_bpf_header_check)
  cmake_parse_arguments(ARG "" "NAME" "HEADERS" ${ARGN})
  file(GLOB_RECURSE all_headers ${CMAKE_SOURCE_DIR}/bpf/lib/*.h ${CMAKE_SOURCE_DIR}/include/xlb/abi/*.h)
  file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME})
  set(stamps)
  foreach(header ${ARG_HEADERS})
    file(RELATIVE_PATH rel ${CMAKE_SOURCE_DIR} ${header})
    string(REPLACE "/" "_" stem ${rel})
    set(stamp ${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}/${stem}.ok)
    add_custom_command(
      OUTPUT ${stamp}
      COMMAND ${CLANG_BPF} ${XLB_BPF_CFLAGS} -fsyntax-only -include ${header} -x c /dev/null
      COMMAND ${CMAKE_COMMAND} -E touch ${stamp}
      DEPENDS ${all_headers}
      COMMENT "BPF header alone: ${rel}"
      VERBATIM)
    list(APPEND stamps ${stamp})
  endforeach()
  add_custom_target(${ARG_NAME} DEPENDS ${stamps})
endfunction()
