# SPDX-License-Identifier: BSD-3-Clause
# Build flags as targets: every target links amp_flags (warnings, sanitizers) instead of global
# flags; portable code also links amp_freestanding.

add_library(amp_flags INTERFACE)
target_compile_options(amp_flags INTERFACE
  -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith
  -Wvla -Wformat=2 -Wundef -fno-common)

if(AMP_SANITIZE STREQUAL "asan-ubsan")
  set(_amp_san -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
elseif(AMP_SANITIZE STREQUAL "tsan")
  set(_amp_san -fsanitize=thread -fno-omit-frame-pointer)
elseif(AMP_SANITIZE STREQUAL "")
  set(_amp_san "")
else()
  message(FATAL_ERROR "AMP_SANITIZE must be empty, asan-ubsan or tsan (got '${AMP_SANITIZE}')")
endif()
if(_amp_san)
  target_compile_options(amp_flags INTERFACE ${_amp_san})
  target_link_options(amp_flags INTERFACE ${_amp_san})
endif()
if(AMP_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "AMP_FUZZ needs clang (libFuzzer)")
  endif()
  target_compile_options(amp_flags INTERFACE -fsanitize=fuzzer-no-link,address,undefined
    -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(amp_flags INTERFACE -fsanitize=address,undefined)
endif()

# The portable core sees only the compiler's own headers (stdint.h, stddef.h, stdbool.h,
# stdatomic.h, stdarg.h): an OS header included there breaks the build the day it is written.
execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=include
  OUTPUT_VARIABLE AMP_COMPILER_INCLUDE OUTPUT_STRIP_TRAILING_WHITESPACE)
add_library(amp_freestanding INTERFACE)
target_compile_options(amp_freestanding INTERFACE -ffreestanding -nostdinc
  "SHELL:-isystem ${AMP_COMPILER_INCLUDE}")
