# SPDX-License-Identifier: BSD-3-Clause
# CMake toolchain file for firmware on Arm Cortex-M cores with the GNU Arm Embedded toolchain
# (Debian: gcc-arm-none-eabi). Bare metal: nothing is run on the build machine, so try-compiles
# build static libraries rather than programs.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
