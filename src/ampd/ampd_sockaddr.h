/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The address of ampd's socket for a path of any length, one way for the daemon (bind) and its
 * clients (connect). Host layer (Linux: it leans on /proc/self/fd).
 */
#ifndef AMP_AMPD_SOCKADDR_H
#define AMP_AMPD_SOCKADDR_H

#include <sys/socket.h>
#include <sys/un.h>

/*
 * A path that fits sun_path (at most 107 bytes) is used as it is. A longer one, which a deep
 * checkout or a long runtime directory easily gives, is reached through its directory: an
 * O_PATH descriptor of the directory, and the name "/proc/self/fd/N/FILE", which the kernel
 * resolves to that directory's FILE whatever the directory's own path. So the whole path may be
 * as long as the file system allows; FILE alone must stay within about 80 bytes.
 */
struct ampd_sockaddr {
	struct sockaddr_un sa;
	int dirfd; /* the directory's descriptor while the address uses it; -1 otherwise */
};

/*
 * Fill @a for @path. Returns 0, after which the caller bind()s or connect()s to &a->sa
 * (sizeof(a->sa) bytes) and then calls ampd_sockaddr_release(); -EINVAL for an empty path;
 * -ENAMETOOLONG when the path is too long and cannot be reached through its directory (the file
 * name alone is too long, or /proc is not mounted); or the errno of opening the directory
 * (-ENOENT, -EACCES, -ENOTDIR...).
 */
int ampd_sockaddr_init(struct ampd_sockaddr *a, const char *path);

/* Close the directory's descriptor, if @a held one. */
void ampd_sockaddr_release(struct ampd_sockaddr *a);

#endif /* AMP_AMPD_SOCKADDR_H */
