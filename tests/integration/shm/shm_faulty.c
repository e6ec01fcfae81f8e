/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * shm-faulty: a remote process on the shm platform that misbehaves on command, for the host's
 * fault tests (test_shm hostile-*). It announces the echo channel and echoes, except messages
 * starting with '!', which are commands run from its main loop; after one that leaves it
 * talking it answers "done". After breaking a ring it stays connected but silent, so that only
 * the host's own checks can catch it; when the host lets go of it (closes the socket), it
 * serves the next attach normally. Two faults come from the command line, before any host:
 * --bad-table (a vring of 3 descriptors) and --vring-outside (vring 1 past the file's end).
 *
 *   !scribble      random bytes over its rings while the host sends, then over both whole
 *   !bad-used      a used entry for a buffer the host never gave
 *   !long-used     a used length past the host's buffer
 *   !bad-len       a header whose length is past the buffer
 *   !hang          answers "done", then stops serving: takes nothing, returns nothing, stays
 *                  connected
 *   !kick-storm    kicks without pause for 300 ms
 *   !rsc-scribble  overwrites status, vring addresses and sizes, features in the live table
 *   !ns-nonul      announces a 32-byte name without its NUL
 *   !ns-flood      announces 10,000 distinct channels
 *   !flood         sends messages as fast as the host takes them, until the host lets go
 *   !exit          ends the process at once (the kernel closes its socket)
 *   !shrink        cuts the shared file down to its first page (the table) and kicks, then
 *                  touches nothing of it until the host lets go; the next session grows it
 *
 * Test support. Its random bytes come from a fixed seed: each run damages the same way.
 * usage: shm-faulty [--file PATH] [--socket PATH] [--host-listens] [--sessions N]
 *                   [--bad-table | --vring-outside]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <amp/errno.h>
#include <amp/shm.h>
#include <amp/wire/rpmsg.h>
#include <amp/wire/vring.h>

#include "shm_echo.h"

static struct shm_remote_config cfg;
static struct shm_remote *remote;
static struct rpmsg_remote_device *rdev;
static struct rpmsg_remote_ept ept;
static char command[32];
static uint32_t host_addr;
static bool silent; /* broken a ring, or hanging: no more polling until the host lets go */

static void faulty_cb(struct rpmsg_remote_ept *e, const void *data, size_t len, uint32_t src,
		      void *priv)
{
	const char *p = data;

	(void)priv;
	host_addr = src;
	if (len > 1 && p[0] == '!') {
		snprintf(command, sizeof(command), "%.*s", (int)(len - 1), p + 1);
		return;
	}
	shm_echo_send(remote, e, src, data, len);
}

/* Fixed seed: the same damage every run. */
static unsigned int seed = 14;

static uint32_t rnd(void)
{
	return (uint32_t)rand_r(&seed);
}

static void kick(void)
{
	rdev->cfg.kick(rdev->cfg.ctx, 0);
}

/* The whole ring @i (0: remote to host, 1: host to remote) as bytes. */
static uint8_t *ring(unsigned int i, size_t *len)
{
	struct virtqueue *vq = i ? &rdev->rxq : &rdev->txq;

	*len = vring_size(vq->vr.num, rdev->cfg.vdev->vring[i].align);
	return (uint8_t *)vq->vr.desc;
}

static void scribble(uint8_t *p, size_t len)
{
	while (len--)
		*p++ = (uint8_t)rnd();
}

/* A message to the host with a header that says @hdr_len, and used length @used_len. */
static void send_lie(uint16_t hdr_len, uint32_t used_len)
{
	struct virtqueue_buf b;
	struct rpmsg_hdr h = {.src = SHM_ECHO_ADDR, .dst = host_addr, .len = hdr_len};
	uint8_t *buf;
	uint16_t head;

	while (virtqueue_get_avail_buf(&rdev->txq, &b, 1, &head) != 1)
		if (shm_remote_wait(remote, 10) < 0)
			return;
	buf = rdev->cfg.da_to_va(rdev->cfg.ctx, b.addr, sizeof(h) + 4);
	if (!buf)
		return;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), "abcd", 4);
	virtqueue_add_used_buf(&rdev->txq, head, used_len);
	kick();
}

static void run_command(void)
{
	struct fw_rsc_vdev *vdev = rdev->cfg.vdev;
	struct timespec end, now;
	unsigned int k, i;
	size_t len;
	uint8_t *r;

	if (!strcmp(command, "exit")) {
		_exit(3);
	} else if (!strcmp(command, "shrink")) {
		if (truncate(cfg.layout.file, 0x1000)) {
			perror("shm-faulty: truncate");
			_exit(4);
		}
		kick();
		silent = true;
	} else if (!strcmp(command, "scribble")) {
		for (k = 0; k < 200; k++) {
			r = ring(k & 1, &len);
			scribble(r + rnd() % (len - 64), 64);
			kick();
			rpmsg_remote_poll(rdev);
		}
		for (i = 0; i < 2; i++) {
			r = ring(i, &len);
			scribble(r, len);
		}
		kick();
		silent = true;
	} else if (!strcmp(command, "bad-used")) {
		struct vring_used *u = rdev->txq.vr.used;
		uint16_t idx = u->idx;

		u->ring[idx % rdev->txq.vr.num].id = rdev->txq.vr.num + 7;
		u->ring[idx % rdev->txq.vr.num].len = 16;
		__atomic_store_n(&u->idx, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
		kick();
		silent = true;
	} else if (!strcmp(command, "long-used")) {
		send_lie(4, 1u << 20);
		silent = true;
	} else if (!strcmp(command, "bad-len")) {
		send_lie(60000, sizeof(struct rpmsg_hdr) + 4);
	} else if (!strcmp(command, "hang")) {
		/* Silent from now on, after saying so: the host's test knows when it begins. */
		shm_echo_send(remote, &ept, host_addr, "done", 4);
		silent = true;
	} else if (!strcmp(command, "kick-storm")) {
		clock_gettime(CLOCK_MONOTONIC, &end);
		end.tv_nsec += 300000000L;
		if (end.tv_nsec >= 1000000000L) {
			end.tv_sec++;
			end.tv_nsec -= 1000000000L;
		}
		do {
			for (i = 0; i < 1000; i++)
				kick();
			clock_gettime(CLOCK_MONOTONIC, &now);
		} while (now.tv_sec < end.tv_sec ||
			 (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
	} else if (!strcmp(command, "ns-nonul") || !strcmp(command, "ns-flood")) {
		struct rpmsg_ns_msg ns = {.addr = 0x500, .flags = RPMSG_NS_CREATE};
		bool flood = command[3] == 'f';

		memset(ns.name, 'x', sizeof(ns.name));
		for (k = 0; k < (flood ? 10000u : 1u); k++) {
			if (flood)
				snprintf((char *)ns.name, sizeof(ns.name), "f%u", k);
			ns.addr = 0x1000 + k;
			if (shm_echo_send(remote, &ept, RPMSG_NS_ADDR, &ns, sizeof(ns)))
				break;
		}
	} else if (!strcmp(command, "flood")) {
		/* Until the host lets go (the send then fails): then serve the next one. */
		while (!shm_echo_send(remote, &ept, host_addr, "flood", 5))
			;
		silent = true;
	} else if (!strcmp(command, "rsc-scribble")) {
		vdev->status = 0xFF;
		vdev->vring[0].da = 0xDEAD0000u;
		vdev->vring[1].da = 0xBEEF0000u;
		vdev->vring[0].num = 3;
		vdev->gfeatures = 0xFFFFFFFFu;
	}
	command[0] = 0;
	if (!silent)
		shm_echo_send(remote, &ept, host_addr, "done", 4);
}

int main(int argc, char **argv)
{
	bool bad_table = false, vring_outside = false;
	unsigned int sessions = 1, s;
	int i, n, ret = 0;

	for (i = 1; i < argc; i += n) {
		n = 1;
		if (!strcmp(argv[i], "--bad-table")) {
			bad_table = true;
		} else if (!strcmp(argv[i], "--vring-outside")) {
			vring_outside = true;
		} else if (!strcmp(argv[i], "--sessions") && i + 1 < argc) {
			sessions = (unsigned int)strtoul(argv[i + 1], NULL, 0);
			n = 2;
		} else if ((n = shm_echo_layout_arg(argc - i, argv + i, &cfg.layout)) <= 0) {
			return 2;
		}
	}
	for (s = 0; s < sessions; s++) {
		ret = shm_remote_open(&cfg, &remote);
		if (ret)
			break;
		rdev = shm_remote_device(remote);
		/* Table faults: in the file before any host connects. */
		if (bad_table)
			rdev->cfg.vdev->vring[0].num = 3;
		if (vring_outside)
			rdev->cfg.vdev->vring[1].da = SHM_DEFAULT_SIZE - 0x1000;
		ret = rpmsg_remote_create_ept(rdev, &ept, SHM_ECHO_CHANNEL, SHM_ECHO_ADDR, faulty_cb,
					      NULL);
		while (!ret && (ret = shm_remote_wait(remote, 100)) >= 0) {
			ret = 0;
			n = silent ? 0 : rpmsg_remote_poll(rdev);
			if (n < 0 && n != -AMP_EAGAIN)
				silent = true; /* the host broke a ring: wait for it to let go */
			if (command[0])
				run_command();
		}
		shm_remote_close(remote);
		silent = false;
		command[0] = 0;
		if (ret != -AMP_ECONNRESET && ret != -AMP_EFAULT)
			break;
		ret = 0;
	}
	if (ret)
		fprintf(stderr, "shm-faulty: %s\n", amp_strerror(ret));
	return ret ? 1 : 0;
}
