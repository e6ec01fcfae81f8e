/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rpmsg echo through the full stack between two pinned processes, polling: the host's rpmsg bus
 * (channel, endpoint, send, receive callback) in the client, the remote side of rpmsg (as
 * firmware runs it) in the server, over a memfd laid out as a remoteproc vdev would be: two
 * vrings of 256 and 512 buffers of 512 bytes. Device address = offset in the shared area.
 * Benchmark layer.
 */
#include <stdlib.h>
#include <string.h>

#include <amp/log.h>
#include <amp/rpmsg.h>
#include <amp/rpmsg_remote.h>
#include <amp/wire/vring.h>

#include "bench_rpmsg.h"

#define NUM 256u
#define CTRL 0x0000u   /* struct ctrl */
#define VRING0 0x1000u
#define VRING1 0x4000u
#define VDEV 0x7000u
#define BUFS 0x8000u
#define NUM_BUFS 512u
#define REMOTE_ADDR 0x400u

struct ctrl {
	uint32_t remote_ready; /* the server's endpoint exists */
};

/* --- the remote (server) ----------------------------------------------------------------- */

struct remote {
	struct rpmsg_remote_device rdev;
	struct virtqueue_desc_state st[2][NUM];
	struct rpmsg_ept_slot slots[8];
	struct rpmsg_remote_ept ept;
	uint8_t *area;
};

static void *remote_da_to_va(void *ctx, uint64_t da, size_t len)
{
	struct remote *r = ctx;

	if (da > BENCH_SHM_SIZE || len > BENCH_SHM_SIZE - da)
		return NULL;
	return r->area + da;
}

static void remote_echo(struct rpmsg_remote_ept *ept, const void *data, size_t len, uint32_t src,
			void *priv)
{
	(void)priv;
	while (rpmsg_remote_send(ept, src, data, len) == -12 /* -ENOMEM: host busy */)
		;
}

static void rpmsg_echo_server(struct bench_shm *shm, void *area, size_t len)
{
	struct remote *r = calloc(1, sizeof(*r));
	struct rpmsg_remote_config cfg = {0};
	struct ctrl *c = (struct ctrl *)((uint8_t *)area + CTRL);

	(void)len;
	r->area = area;
	cfg.vdev = (struct fw_rsc_vdev *)((uint8_t *)area + VDEV);
	/* What a firmware's table would offer; the host writes the rest of the entry. */
	cfg.vdev->dfeatures = cfg.features = 1u << VIRTIO_RING_F_EVENT_IDX;
	cfg.da_to_va = remote_da_to_va;
	cfg.ctx = r;
	cfg.state[0] = r->st[0];
	cfg.state[1] = r->st[1];
	cfg.state_num = NUM;
	cfg.slots = r->slots;
	cfg.num_slots = 8;
	if (rpmsg_remote_init(&r->rdev, &cfg))
		abort();
	__atomic_store_n(&shm->ready, 1, __ATOMIC_RELEASE);
	while (!bench_should_stop(shm) && rpmsg_remote_ready(&r->rdev))
		;
	if (!bench_should_stop(shm)) {
		if (rpmsg_remote_create_ept(&r->rdev, &r->ept, "bench-echo", REMOTE_ADDR, remote_echo,
					    NULL))
			abort();
		__atomic_store_n(&c->remote_ready, 1, __ATOMIC_RELEASE);
	}
	while (!bench_should_stop(shm))
		rpmsg_remote_poll(&r->rdev);
	free(r);
}

/* --- the host (client) ------------------------------------------------------------------- */

static unsigned int replies;

static int host_probe(struct rpmsg_channel *rpdev)
{
	(void)rpdev;
	return 0;
}

static void host_cb(struct rpmsg_channel *rpdev, void *data, int len, void *priv, u32 src)
{
	(void)rpdev;
	(void)data;
	(void)len;
	(void)priv;
	(void)src;
	replies++;
}

static const struct rpmsg_device_id host_ids[] = {{"bench-echo"}, {""}};
static struct rpmsg_driver host_drv = {
	.name = "bench", .id_table = host_ids, .probe = host_probe, .callback = host_cb};

struct host {
	struct rpmsg_virtio_device *rvdev;
	struct rpmsg_channel *ch;
};

static void host_ready(void *priv)
{
	struct fw_rsc_vdev *v = priv;

	__atomic_store_n(&v->status, VIRTIO_CONFIG_S_DRIVER_OK | 3, __ATOMIC_RELEASE);
}

static void host_up(struct host *h, uint8_t *area)
{
	struct fw_rsc_vdev *v = (struct fw_rsc_vdev *)(area + VDEV);
	struct ctrl *c = (struct ctrl *)(area + CTRL);
	struct rpmsg_virtio_config cfg = {0};
	unsigned int i;

	amp_log_set_level(AMP_LOG_ERR);
	register_rpmsg_driver(&host_drv);
	v->id = VIRTIO_ID_RPMSG;
	v->num_of_vrings = 2;
	v->gfeatures = 1u << VIRTIO_RING_F_EVENT_IDX;
	v->vring[0] = (struct fw_rsc_vdev_vring){VRING0, 4096, NUM, 0, 0};
	v->vring[1] = (struct fw_rsc_vdev_vring){VRING1, 4096, NUM, 1, 0};
	cfg.name = "bench";
	for (i = 0; i < 2; i++) {
		cfg.vring_va[i] = area + (i ? VRING1 : VRING0);
		cfg.vring_num[i] = NUM;
		cfg.vring_align[i] = 4096;
		cfg.vring_len[i] = vring_size(NUM, 4096);
	}
	cfg.buf_va = area + BUFS;
	cfg.buf_da = BUFS;
	cfg.buf_len = NUM_BUFS * 512;
	cfg.buf_size = 512;
	cfg.num_bufs = NUM_BUFS;
	cfg.features = v->gfeatures;
	cfg.ready = host_ready;
	cfg.priv = v;
	if (rpmsg_virtio_add(&cfg, &h->rvdev))
		abort();
	h->ch = rpmsg_create_channel(h->rvdev, "bench-echo", RPMSG_ADDR_ANY, REMOTE_ADDR);
	if (!h->ch)
		abort();
	while (!__atomic_load_n(&c->remote_ready, __ATOMIC_ACQUIRE))
		;
}

static void host_down(struct host *h)
{
	rpmsg_release_channel(h->ch); /* and the reference rpmsg_create_channel() gave */
	rpmsg_virtio_remove(h->rvdev);
	unregister_rpmsg_driver(&host_drv);
}

/* One round trip: send, then run the receive path until the echo's callback ran. */
static void host_round_trip(struct host *h, const void *msg, int len)
{
	unsigned int want = replies + 1;

	while (rpmsg_trysend(h->ch, msg, len))
		rpmsg_virtio_notify(h->rvdev, 0);
	while (replies != want)
		rpmsg_virtio_notify(h->rvdev, 0);
}

static double rpmsg_echo_client(size_t msg_len, void *area, uint64_t n, double *samples,
				size_t max)
{
	struct host h;
	uint8_t msg[496];
	uint64_t i, start;

	memset(msg, 0x42, sizeof(msg));
	host_up(&h, area);
	start = bench_now_ns();
	for (i = 0; i < n; i++) {
		uint64_t t0 = i < max ? bench_now_ns() : 0;

		host_round_trip(&h, msg, (int)msg_len);
		if (i < max)
			samples[i] = (double)(bench_now_ns() - t0);
	}
	start = bench_now_ns() - start;
	host_down(&h);
	return (double)start / (double)n;
}

static double rpmsg_echo16_client(struct bench_shm *shm, void *area, size_t len, uint64_t n,
				  double *samples, size_t max)
{
	(void)shm;
	(void)len;
	return rpmsg_echo_client(16, area, n, samples, max);
}

static double rpmsg_echo496_client(struct bench_shm *shm, void *area, size_t len, uint64_t n,
				   double *samples, size_t max)
{
	(void)shm;
	(void)len;
	return rpmsg_echo_client(496, area, n, samples, max);
}

const struct bench_pair bench_rpmsg_echo16 = {"rpmsg echo 16 B", rpmsg_echo_server,
					      rpmsg_echo16_client};
const struct bench_pair bench_rpmsg_echo496 = {"rpmsg echo 496 B", rpmsg_echo_server,
					       rpmsg_echo496_client};
