/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shm platform's remote for amp-bench: a window's server process (CPU 1) opens the remote
 * half (<amp/shm.h>) and serves the rpmsg-echo firmware's three endpoints with the same
 * behaviour (stream.h): an echo, a sink that copies each message out and counts, and a source
 * that streams on request. The host half is bench_sim.c's, on the shm platform. The shared
 * file and the socket live in a directory of ours under /dev/shm (or /tmp). Benchmark layer.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <amp/errno.h>
#include <amp/rpmsg_remote.h>

#include "bench_sim.h"
#include "shm_echo.h"
#include "stream.h"

static struct {
	char dir[64], file[96], sock[96];
} P;

static void shm_cleanup(void)
{
	unlink(P.file);
	unlink(P.sock);
	rmdir(P.dir);
}

bool bench_shm_setup(char *why, size_t len)
{
	if (P.dir[0])
		return true;
	snprintf(P.dir, sizeof(P.dir), "/dev/shm/amp-bench-XXXXXX");
	if (!mkdtemp(P.dir)) {
		snprintf(P.dir, sizeof(P.dir), "/tmp/amp-bench-XXXXXX");
		if (!mkdtemp(P.dir)) {
			snprintf(why, len, "no directory for the shared file (mkdtemp failed)");
			P.dir[0] = 0;
			return false;
		}
	}
	snprintf(P.file, sizeof(P.file), "%s/shm", P.dir);
	snprintf(P.sock, sizeof(P.sock), "%s/sock", P.dir);
	atexit(shm_cleanup);
	return true;
}

void bench_shm_layout(struct shm_layout *layout)
{
	memset(layout, 0, sizeof(*layout));
	layout->file = P.file;
	layout->socket = P.sock;
}

static struct {
	struct shm_remote *r;
	struct rpmsg_remote_ept echo, sink, source;
	uint32_t sunk;
	struct echo_source_req pending;
	uint32_t pending_dst;
	uint8_t buf[512];
} R;

static void echo_cb(struct rpmsg_remote_ept *e, const void *data, size_t len, uint32_t src,
		    void *priv)
{
	(void)priv;
	shm_echo_send(R.r, e, src, data, len);
}

static void sink_cb(struct rpmsg_remote_ept *e, const void *data, size_t len, uint32_t src,
		    void *priv)
{
	(void)priv;
	if (len > 1) {
		memcpy(R.buf, data, len <= sizeof(R.buf) ? len : sizeof(R.buf));
		bench_consume(R.buf);
		R.sunk++;
		return;
	}
	shm_echo_send(R.r, e, src, &R.sunk, sizeof(R.sunk));
	R.sunk = 0;
}

static void source_cb(struct rpmsg_remote_ept *e, const void *data, size_t len, uint32_t src,
		      void *priv)
{
	(void)e;
	(void)priv;
	if (len != sizeof(R.pending) || R.pending.count)
		return;
	memcpy(&R.pending, data, sizeof(R.pending));
	if (R.pending.size > sizeof(R.buf))
		R.pending.count = 0;
	R.pending_dst = src;
}

void bench_shm_server(struct bench_shm *shm, void *area, size_t area_len)
{
	struct shm_remote_config cfg = {.features = RPMSG_REMOTE_FEATURES};
	struct rpmsg_remote_device *rdev;
	int ret = 0;

	(void)area;
	(void)area_len;
	bench_shm_layout(&cfg.layout);
	if (shm_remote_open(&cfg, &R.r))
		_exit(1);
	rdev = shm_remote_device(R.r);
	if (rpmsg_remote_create_ept(rdev, &R.echo, "rpmsg-echo", ECHO_ADDR, echo_cb, NULL) ||
	    rpmsg_remote_create_ept(rdev, &R.sink, "rpmsg-sink", ECHO_SINK_ADDR, sink_cb, NULL) ||
	    rpmsg_remote_create_ept(rdev, &R.source, "rpmsg-source", ECHO_SOURCE_ADDR, source_cb,
				    NULL))
		_exit(1);
	__atomic_store_n(&shm->ready, 1, __ATOMIC_RELEASE);
	/* Until the host detaches (the end of its window), then until told to stop. */
	while (!bench_should_stop(shm) && ret >= 0) {
		uint32_t seq;

		ret = shm_remote_wait(R.r, 100);
		if (ret >= 0)
			rpmsg_remote_poll(rdev);
		for (seq = 0; seq < R.pending.count && ret >= 0; seq++) {
			if (R.pending.size >= sizeof(seq))
				memcpy(R.buf, &seq, sizeof(seq));
			ret = (seq + 1 < R.pending.count ? shm_echo_send_more : shm_echo_send)(
				R.r, &R.source, R.pending_dst, R.buf, R.pending.size);
		}
		R.pending.count = 0;
	}
	shm_remote_close(R.r);
	while (!bench_should_stop(shm))
		usleep(1000);
}
