/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shm platform's remote half: a Linux program as the remote processor. It writes the
 * resource table into the shared file, serves (or connects to) the socket, and runs the
 * portable remote side of rpmsg over the file, with the host's kicks as its interrupts.
 * Shm platform.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <amp/errno.h>
#include <amp/log.h>
#include <amp/shm.h>
#include <amp/wire/rpmsg.h>

#include "os/os.h"
#include "platform/shm/shm_internal.h"
#include "util/amp_util.h"

/* While the host has not set DRIVER_OK, look at the status byte this often (shm.h). */
#define SHM_READY_POLL_MS 10
/* As the client, try to connect this often while waiting. */
#define SHM_CONNECT_RETRY_MS 5
#define SHM_DEFAULT_EPTS 64u

struct shm_remote {
	struct shm_layout layout;
	struct shm_paths paths;
	struct shm_map map;
	int listen_fd; /* the remote is the server, until the host connected */
	int conn_fd;
	bool gone;     /* the host went away: the device is done with */
	bool ready;    /* the host set DRIVER_OK (seen once: then the byte is not read again) */
	struct fw_rsc_vdev *vdev; /* in the file */
	struct rpmsg_remote_device rdev;
	struct virtqueue_desc_state *state[2];
	struct rpmsg_ept_slot *slots;
};

static void *shm_remote_da_to_va(void *ctx, uint64_t da, size_t len)
{
	return shm_map_da_to_va(&((struct shm_remote *)ctx)->map, da, len);
}

static uint64_t shm_remote_now_ns(void *ctx)
{
	(void)ctx;
	return amp_now_ns();
}

static void shm_remote_kick(void *ctx, uint32_t notifyid)
{
	struct shm_remote *r = ctx;

	(void)notifyid; /* the byte says no vring: the host looks at all of them */
	if (r->conn_fd >= 0)
		shm_socket_kick(r->conn_fd);
}

int shm_remote_open(const struct shm_remote_config *cfg, struct shm_remote **out)
{
	uint8_t table[SHM_RSC_TABLE_LEN];
	unsigned int num_epts;
	uint32_t features;
	struct shm_remote *r;
	int ret;

	if (!cfg || !out)
		return -AMP_EINVAL;
	num_epts = cfg->num_epts ? cfg->num_epts : SHM_DEFAULT_EPTS;
	if (!amp_is_pow2(num_epts) || num_epts < 4)
		return -AMP_EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -AMP_ENOMEM;
	r->listen_fd = r->conn_fd = -1;
	ret = shm_layout_resolve("shm remote", &cfg->layout, &r->layout, &r->paths);
	if (ret)
		goto out_close;
	r->state[0] = calloc(r->layout.vring_num, sizeof(*r->state[0]));
	r->state[1] = calloc(r->layout.vring_num, sizeof(*r->state[1]));
	r->slots = calloc(num_epts, sizeof(*r->slots));
	if (!r->state[0] || !r->state[1] || !r->slots) {
		ret = -AMP_ENOMEM;
		goto out_close;
	}
	ret = shm_map_file("shm remote", &r->layout, true, -1, &r->map);
	if (ret)
		goto out_close;

	/* The table first, then the socket: a host attaches once it is connected, and finds
	 * the table written (OpenAMP's order). */
	features = cfg->features ? cfg->features : 1u << VIRTIO_RPMSG_F_NS;
	shm_rsc_table_build(&r->layout, features, table);
	memcpy(r->map.va + r->layout.rsc_da, table, sizeof(table));
	r->vdev = (struct fw_rsc_vdev *)(void *)(r->map.va + r->layout.rsc_da + SHM_RSC_VDEV_OFFSET);
	ret = rpmsg_remote_init(&r->rdev, &(struct rpmsg_remote_config){
						  .vdev = r->vdev,
						  .features = features,
						  .da_to_va = shm_remote_da_to_va,
						  .kick = shm_remote_kick,
						  .now_ns = shm_remote_now_ns,
						  .busy_poll_ns = SHM_REMOTE_BUSY_POLL_NS,
						  .ctx = r,
						  .state = {r->state[0], r->state[1]},
						  .state_num = r->layout.vring_num,
						  .slots = r->slots,
						  .num_slots = num_epts,
					  });
	if (ret)
		goto out_close;
	if (r->layout.server == SHM_SERVER_REMOTE) {
		r->listen_fd = shm_socket_listen(r->layout.socket);
		if (r->listen_fd < 0) {
			ret = r->listen_fd;
			amp_log(AMP_LOG_ERR, "shm remote: cannot listen on %s: %s", r->layout.socket,
				amp_strerror(ret));
			goto out_close;
		}
	}
	*out = r;
	return 0;

out_close:
	shm_remote_close(r);
	return ret;
}

struct rpmsg_remote_device *shm_remote_device(struct shm_remote *r)
{
	return &r->rdev;
}

/* Take the host's connection, or make one (one attempt): true once connected. */
static bool shm_remote_connect(struct shm_remote *r)
{
	int fd;

	if (r->listen_fd >= 0) {
		fd = shm_socket_accept(r->listen_fd);
		if (fd < 0)
			return false;
		/* One host at a time: nobody else queues behind it, and a host that comes
		 * after this one finds no socket until we (or the next remote) listen again. */
		close(r->listen_fd);
		r->listen_fd = -1;
		unlink(r->layout.socket);
	} else {
		fd = shm_socket_connect(r->layout.socket);
		if (fd < 0)
			return false;
	}
	r->conn_fd = fd;
	return true;
}

/* Whether the host has set DRIVER_OK (a byte it writes; once seen, not read again, so that a
 * remote that only waits touches nothing of the file). */
static bool shm_remote_driver_ok(struct shm_remote *r)
{
	if (!r->ready)
		r->ready = __atomic_load_n(&r->vdev->status, __ATOMIC_ACQUIRE) &
			   VIRTIO_CONFIG_S_DRIVER_OK;
	return r->ready;
}

int shm_remote_wait(struct shm_remote *r, int timeout_ms)
{
	uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : amp_deadline_ns((uint32_t)timeout_ms);

	for (;;) {
		struct pollfd pfd = {-1, POLLIN, 0};
		uint64_t now = amp_now_ns();
		bool was_ready = false;
		int tick, ret;

		if (r->gone)
			return -AMP_ECONNRESET;
		/* The host shrank the file: our mapping is private zeroes since. Done with it,
		 * as with a host that went; the host sees our end of the socket close. */
		if (shm_map_faulted(&r->map)) {
			amp_log(AMP_LOG_ERR, "shm remote: the host shrank %s under our mapping",
				r->layout.file);
			if (r->conn_fd >= 0)
				shutdown(r->conn_fd, SHUT_RDWR);
			r->gone = true;
			return -AMP_EFAULT;
		}
		if (r->conn_fd < 0 && shm_remote_connect(r))
			return 1;
		if (now >= deadline)
			return 0;
		tick = deadline == UINT64_MAX
			       ? -1
			       : (int)((deadline - now + AMP_NSEC_PER_MSEC - 1) / AMP_NSEC_PER_MSEC);
		if (r->conn_fd >= 0) {
			pfd.fd = r->conn_fd;
			/* Not ready yet: the host may set DRIVER_OK without a kick. */
			was_ready = shm_remote_driver_ok(r);
			if (!was_ready && (tick < 0 || tick > SHM_READY_POLL_MS))
				tick = SHM_READY_POLL_MS;
		} else if (r->listen_fd >= 0) {
			pfd.fd = r->listen_fd; /* a host connecting wakes us */
		} else if (tick < 0 || tick > SHM_CONNECT_RETRY_MS) {
			tick = SHM_CONNECT_RETRY_MS; /* nothing to wait on: try again soon */
		}
		ret = poll(&pfd, pfd.fd >= 0, tick);
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (r->conn_fd < 0 || ret < 0)
			continue;
		if (ret > 0) {
			ret = shm_socket_drain(r->conn_fd);
			if (ret < 0) {
				r->gone = true;
				return -AMP_ECONNRESET;
			}
			if (ret > 0)
				return 1;
		} else if (!was_ready && shm_remote_driver_ok(r)) {
			return 0; /* DRIVER_OK came without a kick: time to poll */
		}
	}
}

void shm_remote_close(struct shm_remote *r)
{
	if (!r)
		return;
	if (r->conn_fd >= 0)
		close(r->conn_fd);
	/* Still listening: the socket file is ours to remove (once a host connected, it was
	 * removed then, and may be another remote's by now). */
	if (r->listen_fd >= 0) {
		close(r->listen_fd);
		unlink(r->layout.socket);
	}
	shm_unmap_file(&r->map);
	free(r->state[0]);
	free(r->state[1]);
	free(r->slots);
	free(r);
}
