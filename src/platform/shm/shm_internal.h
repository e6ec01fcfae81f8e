/* SPDX-License-Identifier: BSD-3-Clause */
/* What the host and remote halves of the shm platform share: the layout, the file, the socket.
 * Shm platform. */
#ifndef AMP_SHM_INTERNAL_H
#define AMP_SHM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#include <amp/shm.h>
#include <amp/wire/rsc_table.h>

/* A resolved layout: the defaults filled in, the paths copied. */
struct shm_paths {
	char file[4096];
	char socket[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* The shared file as one side maps it: device address = offset. */
struct shm_map {
	uint8_t *va;
	size_t len;
	int guard; /* its slot in the SIGBUS guard (shm_guard.c), -1: none */
};

/*
 * The table the remote writes, as OpenAMP's Linux machine has it: a header, one offset, one rpmsg
 * vdev with two vrings. The vdev's body starts at SHM_RSC_VDEV_OFFSET.
 */
#define SHM_RSC_VDEV_OFFSET (sizeof(struct resource_table) + 4 + sizeof(struct fw_rsc_hdr))
#define SHM_RSC_TABLE_LEN                                                                      \
	(SHM_RSC_VDEV_OFFSET + sizeof(struct fw_rsc_vdev) + 2 * sizeof(struct fw_rsc_vdev_vring))

/* shm_link.c */
/* Fill @out from @in with the defaults, copy the paths into @paths (@out's point there), check
 * the whole; on failure log why, naming @who and the field. 0 or -EINVAL. */
int shm_layout_resolve(const char *who, const struct shm_layout *in, struct shm_layout *out,
		       struct shm_paths *paths);
/* Map @l's file: created at @l->size if @create, else it must exist and be that large; guarded
 * against the peer shrinking it (a fault there writes to @wake_fd, an eventfd, or -1, and sets
 * shm_map_faulted()). 0 or a negative errno (logged, naming @who). */
int shm_map_file(const char *who, const struct shm_layout *l, bool create, int wake_fd,
		 struct shm_map *m);
void shm_unmap_file(struct shm_map *m);
/* Whether the peer shrank the file under @m: its memory is private zeroes from then on. */
bool shm_map_faulted(const struct shm_map *m);
/* [da, da + len) of the file, or NULL if any of it is outside. */
void *shm_map_da_to_va(const struct shm_map *m, uint64_t da, size_t len);
/* The table for @l offering @features. */
void shm_rsc_table_build(const struct shm_layout *l, uint32_t features,
			 uint8_t table[SHM_RSC_TABLE_LEN]);
/* A socket bound to @path (a stale one removed first) and listening; non-blocking,
 * close-on-exec. The fd or a negative errno. */
int shm_socket_listen(const char *path);
/* A connection taken from @lfd, or one made to @path (one attempt): non-blocking,
 * close-on-exec. The fd or a negative errno (-EAGAIN: none waiting; -ENOENT, -ECONNREFUSED:
 * nobody listens yet). */
int shm_socket_accept(int lfd);
int shm_socket_connect(const char *path);
/* Ring the peer: one byte, never blocking (a full socket already holds a kick). */
void shm_socket_kick(int fd);
/* Read up to a bounded amount of what the peer sent: 1 when bytes (kicks) were there, 0 when
 * none, -ECONNRESET when the peer is gone (end of stream or error). */
int shm_socket_drain(int fd);
/* The peer's process id, or -1. */
int shm_socket_peer_pid(int fd);

/* shm_guard.c: a SIGBUS in [@va, @va + @len) replaces the whole range by private zeroed memory,
 * marks the slot faulted and writes 1 to @wake_fd (-1: none). The slot, or -ENOSPC, or the
 * error of installing the handler (once per process, chaining to the one it replaces). */
int shm_guard_add(void *va, size_t len, int wake_fd);
bool shm_guard_faulted(int slot);
/* Before the range is unmapped. */
void shm_guard_remove(int slot);

#endif /* AMP_SHM_INTERNAL_H */
