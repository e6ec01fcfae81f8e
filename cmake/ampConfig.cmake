# SPDX-License-Identifier: BSD-3-Clause
# find_package(amp): the host library and libamp-client, installed. Imported targets:
#   amp::amp     the host library, shared (libamp.so)      amp::amp_static     libamp.a
#   amp::client  libamp-client, shared (libamp-client.so)  amp::client_static  libamp-client.a
# Each carries its include directory; the static ones also their system libraries.
include(CMakeFindDependencyMacro)
find_dependency(Threads)
include(${CMAKE_CURRENT_LIST_DIR}/ampTargets.cmake)
