# SPDX-License-Identifier: BSD-3-Clause
# A build-time check, run as a test (cmake -DSRC=<src dir> -P check_layering.cmake): remoteproc
# and rpmsg meet only through the virtio interface (include/amp/virtio.h). Fails when a file of
# src/rpmsg/ includes a remoteproc header or names an rproc_ function, or a file of
# src/remoteproc/ includes an rpmsg header or names an rpmsg_ function or constant. Within rpmsg,
# the bus (rpmsg_core.c) stands apart from its virtio transport (rpmsg_virtio.c): it fails too
# when rpmsg_core.c includes a virtqueue or vring header or names a virtqueue_ or vring_ function.

function(amp_check_dir dir include_re name_re what)
  file(GLOB _files ${SRC}/${dir}/*.c ${SRC}/${dir}/*.h)
  foreach(_f IN LISTS _files)
    file(STRINGS ${_f} _hits REGEX "${include_re}|${name_re}")
    foreach(_line IN LISTS _hits)
      message(SEND_ERROR "${_f}: ${what}: ${_line}")
    endforeach()
  endforeach()
endfunction()

function(amp_check_file file include_re name_re what)
  if(NOT EXISTS ${SRC}/${file})
    message(SEND_ERROR "${SRC}/${file}: missing (the layering check names it)")
    return()
  endif()
  file(STRINGS ${SRC}/${file} _hits REGEX "${include_re}|${name_re}")
  foreach(_line IN LISTS _hits)
    message(SEND_ERROR "${SRC}/${file}: ${what}: ${_line}")
  endforeach()
endfunction()

if(NOT SRC)
  message(FATAL_ERROR "usage: cmake -DSRC=<src dir> -P check_layering.cmake")
endif()
amp_check_dir(rpmsg "#[ \t]*include[ \t]*[<\"](amp/remoteproc\\.h|amp/rproc_|remoteproc/)"
  "(^|[^A-Za-z0-9_])rproc_[a-z]" "rpmsg reaches into remoteproc")
amp_check_dir(remoteproc "#[ \t]*include[ \t]*[<\"](amp/rpmsg|amp/wire/rpmsg\\.h|rpmsg/)"
  "(^|[^A-Za-z0-9_])(rpmsg_[a-z]|RPMSG)" "remoteproc reaches into rpmsg")
amp_check_file(rpmsg/rpmsg_core.c
  "#[ \t]*include[ \t]*[<\"](amp/virtqueue\\.h|amp/wire/vring|virtio/virtqueue|[^>\"]*vring)"
  "(^|[^A-Za-z0-9_])(virtqueue_|vring_)[a-z]" "the rpmsg bus reaches into the virtio transport")
