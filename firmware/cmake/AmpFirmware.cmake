# SPDX-License-Identifier: BSD-3-Clause
# Building firmware for the sim platform with the SDK: the flags and amp_add_firmware(), one
# definition for the samples in this tree (firmware/CMakeLists.txt) and for firmware outside it
# (installed with the SDK; find_package(amp-fw) includes it).

# amp_fw_compile_options(<var>): what every piece of firmware is compiled with: freestanding,
# not position-independent, none of what a host toolchain adds on its own (stack protector,
# CET, unwind tables), and only the compiler's own headers (stdint.h, stddef.h...): no libc.
function(amp_fw_compile_options var)
  execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=include
    OUTPUT_VARIABLE _include OUTPUT_STRIP_TRAILING_WHITESPACE)
  set(${var} -ffreestanding -fno-pic -fno-pie -fno-stack-protector -fcf-protection=none
    -fno-asynchronous-unwind-tables -O2 -g -nostdinc "SHELL:-isystem ${_include}" PARENT_SCOPE)
endfunction()

# Statically linked, nothing from the host's libraries or start-up files.
set(AMP_FW_LINK_OPTIONS -nostdlib -static -no-pie -Wl,--build-id=none)

# amp_add_firmware(<target> SOURCES <file>... [LINKER_SCRIPT <file>])
# A firmware ELF, <target>.elf in the current binary directory, linked with the SDK (the target
# amp::fw: libamp_fw.a, the start-up code and the flags above) at the addresses of LINKER_SCRIPT
# (default ${AMP_FW_LINKER_SCRIPT}: the sim platform's default memory map).
function(amp_add_firmware target)
  cmake_parse_arguments(PARSE_ARGV 1 _fw "" "LINKER_SCRIPT" "SOURCES")
  if(NOT _fw_SOURCES OR _fw_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "usage: amp_add_firmware(<target> SOURCES <file>... [LINKER_SCRIPT <file>])")
  endif()
  if(NOT _fw_LINKER_SCRIPT)
    set(_fw_LINKER_SCRIPT ${AMP_FW_LINKER_SCRIPT})
  endif()
  get_filename_component(_script ${_fw_LINKER_SCRIPT} ABSOLUTE)
  add_executable(${target} ${_fw_SOURCES})
  set_target_properties(${target} PROPERTIES SUFFIX ".elf" POSITION_INDEPENDENT_CODE OFF
    LINK_DEPENDS ${_script})
  target_link_libraries(${target} PRIVATE amp::fw)
  target_link_options(${target} PRIVATE -Wl,-T,${_script})
endfunction()
