list(APPEND AMP_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/rproc_elf.c
  ${CMAKE_CURRENT_LIST_DIR}/rproc_rsc.c)
list(APPEND AMP_HOST_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/rproc_core.c
  ${CMAKE_CURRENT_LIST_DIR}/rproc_coredump.c
  ${CMAKE_CURRENT_LIST_DIR}/rproc_fw.c
  ${CMAKE_CURRENT_LIST_DIR}/rproc_resources.c
  ${CMAKE_CURRENT_LIST_DIR}/rproc_vdev.c)
