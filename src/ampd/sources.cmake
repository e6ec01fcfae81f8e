# ampd's own code, in the private ampd_common library: the request parser and the SoC
# description reader. The parser serves both sides (the daemon checks what it gets, the client
# library checks what it sends), so libamp-client carries it too.
# The socket's address (any path length) is found one way for both sides too.
list(APPEND AMPD_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/ampd_proto.c
  ${CMAKE_CURRENT_LIST_DIR}/ampd_sockaddr.c
  ${CMAKE_CURRENT_LIST_DIR}/ampd_soc.c)
list(APPEND AMP_CLIENT_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/ampd_proto.c
  ${CMAKE_CURRENT_LIST_DIR}/ampd_sockaddr.c)
