/* SPDX-License-Identifier: BSD-3-Clause */
/* The address of ampd's socket for a path of any length (ampd_sockaddr.h). Host layer. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ampd/ampd_sockaddr.h"

int ampd_sockaddr_init(struct ampd_sockaddr *a, const char *path)
{
	size_t len = strlen(path), dir_len;
	const char *slash = strrchr(path, '/'), *file;
	char dir[PATH_MAX], fd_dir[32];
	int fd, n;

	memset(a, 0, sizeof(*a));
	a->sa.sun_family = AF_UNIX;
	a->dirfd = -1;
	if (len == 0)
		return -EINVAL;
	if (len < sizeof(a->sa.sun_path)) {
		memcpy(a->sa.sun_path, path, len + 1);
		return 0;
	}
	/* The directory: what comes before the last slash ("/" for "/FILE", "." for a name). */
	if (!slash) {
		file = path;
		dir_len = 1;
		memcpy(dir, ".", 1);
	} else {
		file = slash + 1;
		dir_len = slash == path ? 1 : (size_t)(slash - path);
		if (dir_len >= sizeof(dir))
			return -ENAMETOOLONG;
		memcpy(dir, path, dir_len);
	}
	dir[dir_len] = 0;
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(a->sa.sun_path, sizeof(a->sa.sun_path), "/proc/self/fd/%d/%s", fd, file);
	snprintf(fd_dir, sizeof(fd_dir), "/proc/self/fd/%d", fd);
	if (n < 0 || (size_t)n >= sizeof(a->sa.sun_path) || access(fd_dir, F_OK)) {
		close(fd);
		memset(a->sa.sun_path, 0, sizeof(a->sa.sun_path));
		return -ENAMETOOLONG;
	}
	a->dirfd = fd;
	return 0;
}

void ampd_sockaddr_release(struct ampd_sockaddr *a)
{
	if (a->dirfd >= 0)
		close(a->dirfd);
	a->dirfd = -1;
}
