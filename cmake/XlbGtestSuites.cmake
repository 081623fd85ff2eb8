# xlb_add_gtest_suites(TARGET LABELS label... [COSTS Suite=cost...] [NAME_PREFIX p]
# [ENVIRONMENT VAR=value] [EXCLUDE_SUITES Suite...] [GROUPS n NAME name]): one ctest test per
# GoogleTest suite of TARGET, named "Suite.*" and running `TARGET --gtest_filter=Suite.*`; with
# GROUPS, n tests named "name[k/n]", each running about an equal share of the suites. Where
# gtest_discover_tests starts one process per case, a process here runs whole suites, so a
# costly per-process set-up (the datapath tests load the BPF object once per process) is paid
# once per process; gtest's output still names every failing case. The suites are listed from
# the binary after each build. A test's COST (ctest starts costly tests first, so that none is
# left alone at the end) is its number of cases, or the one given in COSTS for suites whose
# cases are long (a group's: its suites' sum).
# NAME_PREFIX, ENVIRONMENT and EXCLUDE_SUITES register the binary again under other names, with
# an environment (e.g. the datapath tests on another hook), without some suites.
set(XLB_GTEST_SUITES_LISTER ${CMAKE_CURRENT_LIST_DIR}/XlbGtestSuitesList.cmake)

function(xlb_add_gtest_suites target)
  cmake_parse_arguments(ARG "" "NAME_PREFIX;ENVIRONMENT;GROUPS;NAME" "LABELS;COSTS;EXCLUDE_SUITES"
                        ${ARGN})
  if(NOT ARG_GROUPS)
    set(ARG_GROUPS 0)
  endif()
  string(MAKE_C_IDENTIFIER "${ARG_NAME_PREFIX}" file_tag)
  set(listed "${CMAKE_CURRENT_BINARY_DIR}/${target}${file_tag}_suites.cmake")
  set(include_file "${CMAKE_CURRENT_BINARY_DIR}/${target}${file_tag}_suites_include.cmake")
  string(REPLACE ";" "," labels "${ARG_LABELS}")
  string(REPLACE ";" "," costs "${ARG_COSTS}")
  string(REPLACE ";" "," exclude "${ARG_EXCLUDE_SUITES}")
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -D "BINARY=$<TARGET_FILE:${target}>" -D "OUT=${listed}"
            -D "LABELS=${labels}" -D "COSTS=${costs}" -D "PREFIX=${ARG_NAME_PREFIX}"
            -D "ENVIRONMENT=${ARG_ENVIRONMENT}" -D "EXCLUDE=${exclude}" -D "GROUPS=${ARG_GROUPS}"
            -D "NAME=${ARG_NAME}" -P ${XLB_GTEST_SUITES_LISTER}
    BYPRODUCTS ${listed}
    VERBATIM)
  # Until the first build there is nothing to list: one test says so instead of none.
  file(WRITE ${include_file}
       "if(EXISTS \"${listed}\")\n  include(\"${listed}\")\nelse()\n"
       "  add_test(${target}${file_tag}_NOT_BUILT ${target}_NOT_BUILT)\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${include_file})
endfunction()
