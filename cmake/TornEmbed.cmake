# torn_embed(BASE NAME GLOB COMMENT): the files GLOB matches, embedded as C
# strings by cmake/embed.cmake into ${CMAKE_CURRENT_BINARY_DIR}/BASE.c and
# BASE.h (struct NAME, table NAMEs[]), regenerated when a file changes.
function(torn_embed base name glob comment)
  file(GLOB files CONFIGURE_DEPENDS ${glob})
  list(SORT files)
  add_custom_command(
    OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/${base}.c
           ${CMAKE_CURRENT_BINARY_DIR}/${base}.h
    COMMAND ${CMAKE_COMMAND} -DOUT=${CMAKE_CURRENT_BINARY_DIR}/${base}.c
            -DNAME=${name} "-DFILES=${files}"
            -P ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
    DEPENDS ${files} ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
    COMMENT "${comment}"
    VERBATIM)
endfunction()
