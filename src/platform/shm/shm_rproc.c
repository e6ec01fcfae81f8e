/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shm platform's host half: a processor that is only ever attached to, whose remote is a
 * process sharing a file with us and kicking over a socket. The link thread makes the
 * connection (listening or connecting), turns the remote's kicks into rproc_vq_interrupt()
 * and the end of the connection into a crash. Shm platform.
 *
 * The connection and the core are decoupled by generations: each connection gets a number,
 * and an attach records the one it was made over. Kicks go out, and come in to the vdevs, only
 * over that connection; a remote that connects while the core still holds a dead one's vdevs
 * waits until the core let go (a crash, handled by the core's worker) and attaches anew.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <amp/errno.h>
#include <amp/log.h>
#include <amp/rsc_table.h>
#include <amp/shm.h>

#include "os/os.h"
#include "platform/shm/shm_internal.h"

/* The client retries connecting at this pace, doubling up to the most. */
#define SHM_RETRY_MIN_MS 5
#define SHM_RETRY_MAX_MS 200
/* What of a table that is none the core is given to check: up to the default first vring. */
#define SHM_TABLE_MAX 0x4000u

struct shm_proc {
	char name[64];
	struct shm_layout layout;
	struct shm_paths paths;
	unsigned int attach_timeout_ms;
	struct rproc *rproc;

	struct amp_thread link;   /* the link thread */
	bool link_started;
	int stop_efd;             /* wakes the link thread to end */
	int fault_efd;            /* the remote shrank the file under our mapping (shm_guard.c) */
	int listen_fd;            /* the host is the server: its listening socket, or -1 */

	struct amp_mutex lock;    /* guards what follows; a leaf: nothing is called with it held */
	struct amp_cond cond;     /* a connection came (or we are closing) */
	int conn_fd;              /* the connection, or -1; only the link thread opens and closes */
	bool conn_ok;             /* usable: up, and not being dropped by us */
	unsigned long gen;        /* number of the current (or last) connection */
	unsigned long attached;   /* the connection the core is attached over, 0: none */
	int peer_pid;             /* the remote's process, for messages */
	bool closing;             /* shm_rproc_destroy() runs: attaches fail at once */
	bool waiting;             /* an attach waits for a connection (so the link thread does
				   * not start a recovery of its own) */

	/* The file while attached (and from get_loaded_rsc_table to attach); the core's lock. */
	struct shm_map map;
	int attach_err;           /* why get_loaded_rsc_table found nothing, for attach */
};

static struct shm_proc *shm_of(struct rproc *rproc)
{
	return rproc->priv;
}

static void *shm_da_to_va(struct rproc *rproc, uint64_t da, size_t len)
{
	/* The mapping changes only under the processor's lock while no vdev is bound: the
	 * core's callers (boot, attach, traces) hold that lock. */
	return shm_map_da_to_va(&shm_of(rproc)->map, da, len);
}

static void shm_kick(struct rproc *rproc, int vqid)
{
	struct shm_proc *s = shm_of(rproc);

	(void)vqid; /* the byte says no vring: the remote looks at all of them */
	amp_mutex_lock(&s->lock);
	if (s->conn_ok && s->attached == s->gen)
		shm_socket_kick(s->conn_fd);
	amp_mutex_unlock(&s->lock);
}

/* Wait until a usable connection is there, for at most the attach timeout. Lock held. */
static int shm_wait_conn_locked(struct shm_proc *s)
{
	uint64_t deadline = amp_deadline_ns(s->attach_timeout_ms);

	s->waiting = true;
	while (!s->conn_ok && !s->closing &&
	       amp_cond_wait_until(&s->cond, &s->lock, deadline) != -AMP_ETIMEDOUT)
		;
	s->waiting = false;
	if (s->closing)
		return -AMP_ECANCELED;
	return s->conn_ok ? 0 : -AMP_ETIMEDOUT;
}

static void *shm_get_loaded_rsc_table(struct rproc *rproc, size_t *size, uint64_t *da)
{
	struct shm_proc *s = shm_of(rproc);
	size_t avail;
	int ret;

	amp_mutex_lock(&s->lock);
	ret = shm_wait_conn_locked(s);
	amp_mutex_unlock(&s->lock);
	if (ret) {
		if (ret == -AMP_ETIMEDOUT)
			amp_log(AMP_LOG_ERR, "%s: no remote connected to %s within %u ms", s->name,
				s->layout.socket, s->attach_timeout_ms);
		goto out_fail;
	}
	/* Mapped anew for each attach: the remote that connected may have made a new file. */
	shm_unmap_file(&s->map);
	ret = shm_map_file(s->name, &s->layout, false, s->fault_efd, &s->map);
	if (ret)
		goto out_fail;
	/* The remote wrote the table before it served the socket. How long it is, the table
	 * says; the core copies that much and checks the copy. When it is no table, the core's
	 * check of a copy says why, to the log and to rproc_last_error(). */
	avail = s->map.len - s->layout.rsc_da;
	if (rsc_table_measure(s->map.va + s->layout.rsc_da, avail, size, NULL))
		*size = avail < SHM_TABLE_MAX ? avail : SHM_TABLE_MAX;
	s->attach_err = 0;
	*da = s->layout.rsc_da;
	return s->map.va + s->layout.rsc_da;

out_fail:
	s->attach_err = ret;
	return NULL;
}

static int shm_attach(struct rproc *rproc)
{
	struct shm_proc *s = shm_of(rproc);
	int ret = s->attach_err;

	if (ret)
		return ret;
	amp_mutex_lock(&s->lock);
	if (s->conn_ok) {
		s->attached = s->gen;
		amp_log(AMP_LOG_INFO, "%s: attached to the remote, process %d", s->name,
			s->peer_pid);
	} else {
		ret = -AMP_ECONNRESET; /* gone since the table was read */
	}
	amp_mutex_unlock(&s->lock);
	return ret;
}

/*
 * Let go of the remote: shut our end of its connection (it sees the socket closed and knows we
 * are gone), unless that connection is already a newer one's; then forget the file. Also the
 * core's way of letting go of a remote that crashed (we have no stop).
 */
static int shm_detach(struct rproc *rproc)
{
	struct shm_proc *s = shm_of(rproc);

	amp_mutex_lock(&s->lock);
	if (s->attached && s->attached == s->gen && s->conn_ok) {
		/* The link thread sees the end and closes the fd; no crash, as nobody is
		 * attached over it any more. */
		shutdown(s->conn_fd, SHUT_RDWR);
		s->conn_ok = false;
	}
	s->attached = 0;
	amp_mutex_unlock(&s->lock);
	shm_unmap_file(&s->map);
	return 0;
}

static const struct rproc_ops shm_rproc_ops = {
	.kick = shm_kick,
	.da_to_va = shm_da_to_va,
	.attach = shm_attach,
	.detach = shm_detach,
	.get_loaded_rsc_table = shm_get_loaded_rsc_table,
};

/* Sleep @ms unless the stop eventfd says to end: true when it does. */
static bool shm_sleep_or_stop(struct shm_proc *s, int ms)
{
	struct pollfd pfd = {s->stop_efd, POLLIN, 0};

	return poll(&pfd, 1, ms) > 0;
}

/* Make a connection: accept one (server) or make one, retrying (client). -1 when told to end. */
static int shm_link_connect(struct shm_proc *s)
{
	int retry_ms = SHM_RETRY_MIN_MS, fd;

	for (;;) {
		if (s->listen_fd >= 0) {
			struct pollfd pfd[2] = {{s->stop_efd, POLLIN, 0}, {s->listen_fd, POLLIN, 0}};

			if (poll(pfd, 2, -1) < 0 && errno != EINTR)
				return -1;
			if (pfd[0].revents)
				return -1;
			fd = shm_socket_accept(s->listen_fd);
			if (fd >= 0)
				return fd;
			continue; /* EAGAIN: it left before we took it */
		}
		fd = shm_socket_connect(s->layout.socket);
		if (fd >= 0)
			return fd;
		if (shm_sleep_or_stop(s, retry_ms))
			return -1;
		retry_ms = retry_ms * 2 > SHM_RETRY_MAX_MS ? SHM_RETRY_MAX_MS : retry_ms * 2;
	}
}

/* Serve a connection until it ends (true) or we are told to end (false). */
static bool shm_link_serve(struct shm_proc *s, int fd, unsigned long gen)
{
	for (;;) {
		struct pollfd pfd[3] = {
			{s->stop_efd, POLLIN, 0}, {fd, POLLIN, 0}, {s->fault_efd, POLLIN, 0}};
		unsigned long attached;
		uint64_t faults;
		int ret;

		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return true;
		}
		if (pfd[0].revents)
			return false;
		/* Our mapping is private zeroes now: nothing more can be said to this remote.
		 * Letting go of it is its crash; the next attach maps the file anew. */
		if (pfd[2].revents && read(s->fault_efd, &faults, sizeof(faults)) > 0) {
			amp_log(AMP_LOG_ERR,
				"%s: the remote (process %d) shrank %s under our mapping: "
				"letting go of it",
				s->name, s->peer_pid, s->layout.file);
			return true;
		}
		ret = shm_socket_drain(fd);
		if (ret < 0)
			return true;
		amp_mutex_lock(&s->lock);
		attached = s->attached;
		amp_mutex_unlock(&s->lock);
		/* Kicks of a remote the core is not attached to (yet) reach nobody: the attach
		 * looks at every vring once when the vdev comes up. */
		if (ret > 0 && attached == gen)
			rproc_vq_interrupt(s->rproc, RPROC_NOTIFY_ANY);
	}
}

static void *shm_link_main(void *arg)
{
	struct shm_proc *s = arg;

	for (;;) {
		unsigned long gen;
		bool crashed;
		int pid, fd = shm_link_connect(s);

		if (fd < 0)
			return NULL;
		pid = shm_socket_peer_pid(fd);
		amp_log(AMP_LOG_INFO, "%s: remote process %d connected", s->name, pid);
		amp_mutex_lock(&s->lock);
		s->conn_fd = fd;
		s->conn_ok = true;
		gen = ++s->gen;
		s->peer_pid = pid;
		amp_cond_broadcast(&s->cond);
		crashed = !s->waiting && rproc_get_state(s->rproc) == RPROC_CRASHED;
		amp_mutex_unlock(&s->lock);
		/* A remote came back after the recovery gave up waiting: attach to it now. */
		if (crashed && rproc_recovery_enabled(s->rproc))
			rproc_trigger_recovery(s->rproc);

		if (!shm_link_serve(s, fd, gen))
			return NULL;

		amp_mutex_lock(&s->lock);
		s->conn_ok = false;
		s->conn_fd = -1;
		crashed = s->attached == gen;
		amp_mutex_unlock(&s->lock);
		close(fd);
		if (crashed) {
			amp_log(AMP_LOG_WARN, "%s: the remote (process %d) closed its socket: gone",
				s->name, s->peer_pid);
			rproc_report_crash(s->rproc, RPROC_FATAL_ERROR);
		}
	}
}

int shm_rproc_create(const struct shm_config *cfg, struct rproc **out)
{
	struct rproc *rproc;
	struct shm_proc *s;
	int ret;

	if (!cfg || !cfg->name || !out)
		return -AMP_EINVAL;
	rproc = rproc_alloc(cfg->name, &shm_rproc_ops, NULL, sizeof(*s));
	if (!rproc)
		return -AMP_EINVAL;
	s = rproc->priv;
	s->rproc = rproc;
	s->listen_fd = s->conn_fd = s->stop_efd = s->fault_efd = -1;
	amp_mutex_init(&s->lock);
	amp_cond_init(&s->cond);
	snprintf(s->name, sizeof(s->name), "%s", cfg->name);
	s->attach_timeout_ms = cfg->attach_timeout_ms ? cfg->attach_timeout_ms
						      : SHM_DEFAULT_ATTACH_TIMEOUT_MS;
	ret = shm_layout_resolve(s->name, &cfg->layout, &s->layout, &s->paths);
	if (ret)
		goto out_destroy;
	/* The buffers where the layout says (Linux's name for a vdev's buffer region). */
	ret = rproc_add_carveout(rproc, "vdev0buffer", s->layout.buf_da, s->layout.buf_len);
	if (!ret)
		ret = rproc_set_vdev_buffers(rproc, cfg->buf_size, cfg->num_bufs);
	if (ret) {
		amp_log(AMP_LOG_ERR, "%s: rpmsg buffers of %u bytes, %u of them: %s", s->name,
			cfg->buf_size, cfg->num_bufs, amp_strerror(ret));
		goto out_destroy;
	}
	rproc_set_feature(rproc, RPROC_FEAT_ATTACH_ON_RECOVERY);
	rproc_set_detached(rproc);

	s->stop_efd = eventfd(0, EFD_CLOEXEC);
	s->fault_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stop_efd < 0 || s->fault_efd < 0) {
		ret = -errno;
		goto out_destroy;
	}
	if (s->layout.server == SHM_SERVER_HOST) {
		s->listen_fd = shm_socket_listen(s->layout.socket);
		if (s->listen_fd < 0) {
			ret = s->listen_fd;
			amp_log(AMP_LOG_ERR, "%s: cannot listen on %s: %s", s->name,
				s->layout.socket, amp_strerror(ret));
			goto out_destroy;
		}
	}
	ret = amp_thread_create(&s->link, shm_link_main, s, "shm-link");
	if (ret)
		goto out_destroy;
	s->link_started = true;
	*out = rproc;
	return 0;

out_destroy:
	shm_rproc_destroy(rproc);
	return ret;
}

void shm_rproc_destroy(struct rproc *rproc)
{
	uint64_t one = 1;
	struct shm_proc *s;

	if (!rproc)
		return;
	s = rproc->priv;
	/* An attach waiting for a remote gives up now, and nothing new is started. */
	amp_mutex_lock(&s->lock);
	s->closing = true;
	amp_cond_broadcast(&s->cond);
	amp_mutex_unlock(&s->lock);
	if (s->link_started) {
		if (write(s->stop_efd, &one, sizeof(one)) != sizeof(one))
			amp_log(AMP_LOG_WARN, "%s: could not stop the link thread", s->name);
		amp_thread_join(&s->link);
	}
	if (rproc_get_state(rproc) != RPROC_DELETED)
		rproc_unregister(rproc);
	/* Unregistered or never registered: make sure we let go of the remote. */
	while (rproc_power_count(rproc) && rproc_shutdown(rproc) == 0)
		;
	if (s->conn_fd >= 0)
		close(s->conn_fd);
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		unlink(s->layout.socket);
	}
	if (s->stop_efd >= 0)
		close(s->stop_efd);
	shm_unmap_file(&s->map);
	if (s->fault_efd >= 0)
		close(s->fault_efd);
	amp_cond_destroy(&s->cond);
	amp_mutex_destroy(&s->lock);
	rproc_free(rproc);
}
