list(APPEND AMP_HOST_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/posix/os_posix.c
  ${CMAKE_CURRENT_LIST_DIR}/posix/os_install.c)
