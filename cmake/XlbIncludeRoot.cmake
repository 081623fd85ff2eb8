# Layering by include path. Control-plane headers are included as "<dir>/<name>.h" (e.g.
# "api/routes.h"). Instead of one include path to all of src/ (which let any library include
# any other's headers), each src/<dir> gets its own root in the build tree holding a single link,
# include_roots/<dir>/<dir> -> src/<dir>. A library adds its root PUBLIC when its headers are
# for its dependents (PRIVATE for executables), so a target finds a directory's headers only if
# it links a library of that directory, directly or through another library's public headers:
# an include the link graph does not allow fails to compile.
function(xlb_include_root target dir scope)
  set(root ${CMAKE_BINARY_DIR}/include_roots/${dir})
  if(NOT IS_SYMLINK ${root}/${dir})
    file(MAKE_DIRECTORY ${root})
    file(CREATE_LINK ${CMAKE_SOURCE_DIR}/src/${dir} ${root}/${dir} SYMBOLIC)
  endif()
  target_include_directories(${target} ${scope} ${root})
endfunction()
