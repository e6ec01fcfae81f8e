# SPDX-License-Identifier: BSD-3-Clause
# The qemu-m4 target (a Cortex-M4 on QEMU's mps2-an386): its firmware SDK, sample firmwares and
# boot ROM are cross-compiled by firmware/qemu-m4/, a project of its own run as an external
# project with cmake/arm-none-eabi.cmake. Without the compiler the rest is built and the M4 parts
# are left out; without QEMU they are built, and what runs them (tests, demo, benchmarks) says
# what to install. Sets, for the rest of the build (cache variables, so that every directory
# sees them):
#   AMP_QEMU_M4_FIRMWARE  ON when the M4 firmware is built
#   AMP_QEMU_M4_FW_DIR    where its ELF files go (<name>-m4.elf, amp-m4-bootrom.elf)
#   AMP_QEMU_M4_MISSING   the Debian packages it lacks, for messages ("" when none)
include(ExternalProject)

find_program(AMP_ARM_GCC arm-none-eabi-gcc DOC "Arm bare-metal C compiler (Debian: gcc-arm-none-eabi)")
find_program(AMP_QEMU_SYSTEM_ARM qemu-system-arm DOC "Arm system emulator (Debian: qemu-system-arm)")
set(AMP_QEMU_M4_FW_DIR ${AMP_FIRMWARE_BUILD_DIR} CACHE INTERNAL "M4 firmware ELF files")
set(_missing "")
if(NOT AMP_ARM_GCC)
  list(APPEND _missing gcc-arm-none-eabi)
endif()
if(NOT AMP_QEMU_SYSTEM_ARM)
  list(APPEND _missing qemu-system-arm)
endif()
string(REPLACE ";" " " _missing "${_missing}")
set(AMP_QEMU_M4_MISSING "${_missing}" CACHE INTERNAL "Debian packages the M4 target lacks")

if(AMP_ARM_GCC)
  set(AMP_QEMU_M4_FIRMWARE ON CACHE INTERNAL "the M4 firmware is built")
  set(_m4_samples "")
  foreach(_fw rpmsg-client-sample rpmsg-echo rpmsg-offload rpmsg-faulty)
    list(APPEND _m4_samples ${AMP_QEMU_M4_FW_DIR}/${_fw}-m4.elf)
  endforeach()
  set(_m4_outputs ${_m4_samples} ${AMP_QEMU_M4_FW_DIR}/fw-test-silent-m4.elf
    ${AMP_QEMU_M4_FW_DIR}/fw-test-timer-m4.elf)
  # The portable core's file list crosses as one string; '|' stands for ';' on the way.
  string(REPLACE ";" "|" _core_sources "${AMP_CORE_SOURCES}")
  ExternalProject_Add(amp_fw_qemu_m4
    SOURCE_DIR ${PROJECT_SOURCE_DIR}/firmware/qemu-m4
    BINARY_DIR ${CMAKE_BINARY_DIR}/firmware-qemu-m4
    LIST_SEPARATOR |
    CMAKE_ARGS -DCMAKE_TOOLCHAIN_FILE=${PROJECT_SOURCE_DIR}/cmake/arm-none-eabi.cmake
      -DCMAKE_C_COMPILER=${AMP_ARM_GCC}
      -DAMP_CORE_SOURCES=${_core_sources}
      -DAMP_FW_OUTPUT_DIR=${AMP_QEMU_M4_FW_DIR}
    BUILD_ALWAYS ON
    INSTALL_COMMAND ""
    BUILD_BYPRODUCTS ${_m4_outputs} ${AMP_QEMU_M4_FW_DIR}/amp-m4-bootrom.elf)
  # The library finds the boot ROM beside its install or in this build tree (os_install.c).
  install(FILES ${_m4_samples} DESTINATION ${AMP_INSTALL_FIRMWARE_DIR})
  install(FILES ${AMP_QEMU_M4_FW_DIR}/amp-m4-bootrom.elf DESTINATION ${AMP_INSTALL_QEMU_M4_DIR})
  if(NOT AMP_QEMU_SYSTEM_ARM)
    message(STATUS "Cortex-M4 (qemu-m4): firmware built; qemu-system-arm not found, so its "
      "tests, demo and benchmarks will skip (Debian: apt-get install qemu-system-arm)")
  endif()
else()
  set(AMP_QEMU_M4_FIRMWARE OFF CACHE INTERNAL "the M4 firmware is built")
  message(STATUS "Cortex-M4 (qemu-m4): not built: arm-none-eabi-gcc not found (Debian: "
    "apt-get install ${AMP_QEMU_M4_MISSING})")
endif()
