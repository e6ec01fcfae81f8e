/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What both halves of the shm platform do the same way: resolve and check the layout, map the
 * shared file, build the remote's resource table, and the socket (listen, accept, connect, a
 * kick, reading kicks). Shm platform.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <amp/compiler.h>
#include <amp/errno.h>
#include <amp/log.h>
#include <amp/wire/rpmsg.h>
#include <amp/wire/vring.h>

#include "platform/shm/shm_internal.h"
#include "util/amp_util.h"

AMP_STATIC_ASSERT(SHM_RSC_TABLE_LEN == 88, "header, one offset, a type word, a 64-byte vdev");

/* How the host maps a vring: its size rounded up to a page (rproc_handle_vdev()). */
#define SHM_PAGE 4096u

static int shm_bad(const char *who, const char *field, const char *what)
{
	amp_log(AMP_LOG_ERR, "%s: shm layout: %s %s", who, field, what);
	return -AMP_EINVAL;
}

/* Whether the area [da, da + len) named @name lies in the file and clear of the @n before it. */
struct shm_area {
	const char *name;
	uint64_t da, len;
};

static int shm_check_areas(const char *who, const struct shm_area *a, unsigned int n, size_t size)
{
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		if (!amp_range_ok(a[i].da, a[i].len, size)) {
			amp_log(AMP_LOG_ERR,
				"%s: shm layout: %s (0x%llx, 0x%llx bytes) lies outside the file "
				"(0x%zx bytes)",
				who, a[i].name, (unsigned long long)a[i].da,
				(unsigned long long)a[i].len, size);
			return -AMP_EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (amp_ranges_overlap(a[i].da, a[i].len, a[j].da, a[j].len)) {
				amp_log(AMP_LOG_ERR, "%s: shm layout: %s (0x%llx) overlaps %s (0x%llx)",
					who, a[i].name, (unsigned long long)a[i].da, a[j].name,
					(unsigned long long)a[j].da);
				return -AMP_EINVAL;
			}
		}
	}
	return 0;
}

int shm_layout_resolve(const char *who, const struct shm_layout *in, struct shm_layout *out,
		       struct shm_paths *paths)
{
	const char *file = in->file ? in->file : SHM_DEFAULT_FILE;
	const char *sock = in->socket ? in->socket : SHM_DEFAULT_SOCKET;
	unsigned int i;

	if (!*file || strlen(file) >= sizeof(paths->file))
		return shm_bad(who, "file", "is empty or too long");
	if (!*sock || strlen(sock) >= sizeof(paths->socket))
		return shm_bad(who, "socket", "is empty or longer than a UNIX socket path (107)");
	snprintf(paths->file, sizeof(paths->file), "%s", file);
	snprintf(paths->socket, sizeof(paths->socket), "%s", sock);
	*out = *in;
	out->file = paths->file;
	out->socket = paths->socket;
	if (!out->size)
		out->size = SHM_DEFAULT_SIZE;
	if (!out->vring_da[0])
		out->vring_da[0] = SHM_DEFAULT_VRING0_DA;
	if (!out->vring_da[1])
		out->vring_da[1] = SHM_DEFAULT_VRING1_DA;
	if (!out->vring_num)
		out->vring_num = SHM_DEFAULT_VRING_NUM;
	if (!out->vring_align)
		out->vring_align = SHM_DEFAULT_VRING_ALIGN;
	if (!out->buf_da)
		out->buf_da = SHM_DEFAULT_BUF_DA;
	if (!out->buf_len)
		out->buf_len = SHM_DEFAULT_BUF_LEN;

	if (out->server != SHM_SERVER_REMOTE && out->server != SHM_SERVER_HOST)
		return shm_bad(who, "server", "is neither SHM_SERVER_REMOTE nor SHM_SERVER_HOST");
	if (out->size > SHM_MAX_SIZE)
		return shm_bad(who, "size", "is over SHM_MAX_SIZE (1 GiB)");
	if (!amp_is_pow2(out->vring_num) || out->vring_num > VRING_MAX_NUM)
		return shm_bad(who, "vring_num", "is not a power of two up to 32768");
	if (!amp_is_pow2(out->vring_align) || out->vring_align < 16)
		return shm_bad(who, "vring_align", "is not a power of two from 16");
	for (i = 0; i < 2; i++)
		if (out->vring_da[i] % 16 || out->vring_da[i] > UINT32_MAX)
			return shm_bad(who, "vring_da", "is not 16-byte aligned below 4 GiB");
	if (out->rsc_da > UINT32_MAX || out->buf_da > UINT32_MAX)
		return shm_bad(who, "rsc_da or buf_da", "is past 4 GiB (the table's addresses are 32-bit)");
	{
		uint64_t ring = amp_align_up(vring_size(out->vring_num, out->vring_align), SHM_PAGE);
		const struct shm_area a[] = {
			{"the resource table", out->rsc_da, SHM_RSC_TABLE_LEN},
			{"vring 0", out->vring_da[0], ring},
			{"vring 1", out->vring_da[1], ring},
			{"the buffers", out->buf_da, out->buf_len},
		};

		return shm_check_areas(who, a, 4, out->size);
	}
}

int shm_map_file(const char *who, const struct shm_layout *l, bool create, int wake_fd,
		 struct shm_map *m)
{
	struct stat st;
	void *va;
	int fd, ret;

	m->va = NULL;
	m->len = 0;
	m->guard = -1;
	fd = open(l->file, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
	if (fd < 0) {
		ret = -errno;
		amp_log(AMP_LOG_ERR, "%s: %s: %s", who, l->file, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		ret = S_ISREG(st.st_mode) ? -errno : -AMP_EINVAL;
		amp_log(AMP_LOG_ERR, "%s: %s: not a regular file", who, l->file);
		goto out_close;
	}
	/* Grow it when we create it (as OpenAMP's programs do); never shrink what is there. The
	 * side that did not create it wants it whole: pages past its end would fault. */
	if ((uint64_t)st.st_size < l->size) {
		if (!create || ftruncate(fd, (off_t)l->size)) {
			ret = create ? -errno : -AMP_EINVAL;
			amp_log(AMP_LOG_ERR, "%s: %s is 0x%llx bytes, the layout needs 0x%zx", who,
				l->file, (unsigned long long)st.st_size, l->size);
			goto out_close;
		}
	}
	va = mmap(NULL, l->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (va == MAP_FAILED) {
		ret = -errno;
		amp_log(AMP_LOG_ERR, "%s: %s: mmap: %s", who, l->file, strerror(errno));
		goto out_close;
	}
	close(fd);
	ret = shm_guard_add(va, l->size, wake_fd);
	if (ret < 0) {
		amp_log(AMP_LOG_ERR, "%s: %s: cannot guard the mapping: %s", who, l->file,
			amp_strerror(ret));
		munmap(va, l->size);
		return ret;
	}
	m->guard = ret;
	m->va = va;
	m->len = l->size;
	return 0;

out_close:
	close(fd);
	return ret;
}

void shm_unmap_file(struct shm_map *m)
{
	if (m->va) {
		shm_guard_remove(m->guard);
		munmap(m->va, m->len);
	}
	m->va = NULL;
	m->len = 0;
	m->guard = -1;
}

bool shm_map_faulted(const struct shm_map *m)
{
	return m->va && shm_guard_faulted(m->guard);
}

void *shm_map_da_to_va(const struct shm_map *m, uint64_t da, size_t len)
{
	if (!m->va || !amp_range_ok(da, len, m->len))
		return NULL;
	return m->va + da;
}

void shm_rsc_table_build(const struct shm_layout *l, uint32_t features,
			 uint8_t table[SHM_RSC_TABLE_LEN])
{
	struct resource_table *hdr = (struct resource_table *)(void *)table;
	struct fw_rsc_hdr *entry = (struct fw_rsc_hdr *)(void *)(table + SHM_RSC_VDEV_OFFSET - 4);
	struct fw_rsc_vdev *vdev = (struct fw_rsc_vdev *)(void *)entry->data;
	unsigned int i;

	memset(table, 0, SHM_RSC_TABLE_LEN);
	hdr->ver = RSC_TABLE_VERSION;
	hdr->num = 1;
	hdr->offset[0] = SHM_RSC_VDEV_OFFSET - 4;
	entry->type = RSC_VDEV;
	vdev->id = VIRTIO_ID_RPMSG;
	vdev->dfeatures = features;
	vdev->num_of_vrings = 2;
	for (i = 0; i < 2; i++) {
		vdev->vring[i].da = (uint32_t)l->vring_da[i];
		vdev->vring[i].align = l->vring_align;
		vdev->vring[i].num = l->vring_num;
		/* OpenAMP's table numbers them 1 and 2; the host assigns its own anyway. */
		vdev->vring[i].notifyid = i + 1;
	}
}

/* A stream socket, non-blocking and close-on-exec, and @path as its address. */
static int shm_socket_new(const char *path, struct sockaddr_un *addr)
{
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	snprintf(addr->sun_path, sizeof(addr->sun_path), "%s", path);
	return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
}

/* Close @fd, keeping the errno of what failed: the negative errno. */
static int shm_socket_fail(int fd)
{
	int ret = -errno;

	close(fd);
	return ret;
}

int shm_socket_listen(const char *path)
{
	struct sockaddr_un addr;
	int fd = shm_socket_new(path, &addr);

	if (fd < 0)
		return -errno;
	/* A socket file left by a listener that is gone refuses every connection: replace it. */
	unlink(path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, 4))
		return shm_socket_fail(fd);
	return fd;
}

int shm_socket_accept(int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	return fd < 0 ? -errno : fd;
}

int shm_socket_connect(const char *path)
{
	struct sockaddr_un addr;
	int fd = shm_socket_new(path, &addr);

	if (fd < 0)
		return -errno;
	/* A local stream connect completes at once or fails at once (EAGAIN: backlog full). */
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
		return shm_socket_fail(fd);
	return fd;
}

void shm_socket_kick(int fd)
{
	static const char kick = 1;

	/* EAGAIN: the peer has not read what is there, which wakes it anyway. A peer that is
	 * gone shows as the end of the stream on our side's next read. */
	if (send(fd, &kick, 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EAGAIN)
		amp_log(AMP_LOG_DEBUG, "shm: kick not sent: %s", strerror(errno));
}

/* Kicks read per call at most: a peer that writes without pause cannot keep us here. */
#define SHM_DRAIN_MAX 4096u

int shm_socket_drain(int fd)
{
	char buf[256];
	size_t total = 0;
	ssize_t n;

	while (total < SHM_DRAIN_MAX) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			total += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		/* The end of the stream, or an error: the peer is gone (kicks read before it
		 * still count: the caller learns of the end on its next read). */
		return total ? 1 : -AMP_ECONNRESET;
	}
	return total ? 1 : 0;
}

int shm_socket_peer_pid(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return -1;
	return (int)cred.pid;
}
