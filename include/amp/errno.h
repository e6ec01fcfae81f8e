/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Error codes. Every AMP function that can fail returns 0 or a negative AMP_E* value. The values
 * are Linux's, so that firmware without a libc and a Linux peer mean the same thing by a number;
 * the host build checks AMP_Exxx == Exxx for each.
 *
 * How we choose (docs/decisions/0002-errors.md): -EINVAL is our caller's mistake; -EBADMSG is a
 * remote's bytes that break the protocol; -EIO is a virtqueue the remote has broken; -ENODEV is a
 * remote that is gone; -ETIMEDOUT is a wait that ran out; -ENOMEM from a try-send means no free
 * buffer (Linux's choice); -EMSGSIZE is a message over the MTU.
 */
#ifndef AMP_ERRNO_H
#define AMP_ERRNO_H

#include <amp/compiler.h>

/* X(name, value, description): the one table the codes, names and messages come from. */
#define AMP_ERRNO_MAP(X)                                                                           \
	X(EPERM, 1, "operation not permitted")                                                     \
	X(ENOENT, 2, "no such file or entry")                                                      \
	X(ESRCH, 3, "no such process")                                                             \
	X(EINTR, 4, "interrupted")                                                                 \
	X(EIO, 5, "I/O error: the ring or device is broken")                                       \
	X(ENXIO, 6, "no such device or address")                                                   \
	X(E2BIG, 7, "argument list too long")                                                      \
	X(ENOEXEC, 8, "not a loadable image")                                                      \
	X(EBADF, 9, "bad file descriptor")                                                         \
	X(ECHILD, 10, "no child process")                                                          \
	X(EAGAIN, 11, "try again")                                                                 \
	X(ENOMEM, 12, "out of memory or buffers")                                                  \
	X(EACCES, 13, "permission denied")                                                         \
	X(EFAULT, 14, "bad address")                                                               \
	X(EBUSY, 16, "busy")                                                                       \
	X(EEXIST, 17, "already exists")                                                            \
	X(ENODEV, 19, "no such device, or it has gone")                                            \
	X(ENOTDIR, 20, "not a directory")                                                          \
	X(EISDIR, 21, "is a directory")                                                            \
	X(EINVAL, 22, "invalid argument")                                                          \
	X(EMFILE, 24, "too many open files")                                                       \
	X(EFBIG, 27, "too large")                                                                  \
	X(ENOSPC, 28, "no space left")                                                             \
	X(EPIPE, 32, "the other end is gone")                                                      \
	X(ERANGE, 34, "out of range")                                                              \
	X(ENAMETOOLONG, 36, "name too long")                                                       \
	X(ENOSYS, 38, "not implemented")                                                           \
	X(ELOOP, 40, "loop detected")                                                              \
	X(ENODATA, 61, "no data")                                                                  \
	X(EPROTO, 71, "protocol error")                                                            \
	X(EBADMSG, 74, "malformed message from the remote")                                        \
	X(EOVERFLOW, 75, "value too large")                                                        \
	X(EMSGSIZE, 90, "message too long")                                                        \
	X(EPROTONOSUPPORT, 93, "protocol not supported")                                           \
	X(EOPNOTSUPP, 95, "operation not supported")                                               \
	X(EADDRINUSE, 98, "address in use")                                                        \
	X(EADDRNOTAVAIL, 99, "address not available")                                              \
	X(ECONNRESET, 104, "connection reset")                                                     \
	X(ENOBUFS, 105, "no buffer space")                                                         \
	X(ENOTCONN, 107, "not connected")                                                          \
	X(ESHUTDOWN, 108, "shut down")                                                             \
	X(ETIMEDOUT, 110, "timed out")                                                             \
	X(EALREADY, 114, "already in progress")                                                    \
	X(EINPROGRESS, 115, "in progress")                                                         \
	X(ECANCELED, 125, "canceled")

#define AMP_ERRNO_ENUM(name, value, text) AMP_##name = (value),
enum amp_errno { AMP_ERRNO_MAP(AMP_ERRNO_ENUM) };
#undef AMP_ERRNO_ENUM

/**
 * amp_strerror() - a short English description of an error code
 * @err: a negative AMP_E* value (a positive one is accepted too)
 *
 * Context: any; portable core (firmware too).
 * Return: a static string; "unknown error" for a value not in the table. Never NULL.
 */
AMP_API const char *amp_strerror(int err);

/**
 * amp_errname() - the symbolic name of an error code, e.g. "EINVAL"
 * @err: a negative AMP_E* value (a positive one is accepted too)
 *
 * Context: any; portable core.
 * Return: a static string; "E?" for a value not in the table. Never NULL.
 */
AMP_API const char *amp_errname(int err);

#endif /* AMP_ERRNO_H */
