/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The virtqueue between two pinned processes, polling, against a raw polled ring of 512-byte
 * slots in the same shared memory: a 16-byte echo round trip, and one-way streaming of 512-byte
 * messages. The raw ring is the least a shared-memory channel can do (slot copy, one index store
 * each way); the virtqueue adds descriptors, the avail and used rings, and its checks.
 * Benchmark layer.
 */
#include <stdlib.h>
#include <string.h>

#include <amp/virtqueue.h>

#include "bench_vq.h"

#define RAW_SLOTS 256u
#define SLOT 512u
#define VQ_NUM 256u
#define VQ_ALIGN 4096u
#define VQ_RING_LEN (3u * 4096u) /* vring_size(256, 4096) rounded up to pages */

/* --- the raw ring ------------------------------------------------------------------------ */

struct raw_ring {
	_Alignas(64) uint32_t head; /* written by the producer */
	_Alignas(64) uint32_t tail; /* written by the consumer */
	/* Each side's private copy of the other's index, reloaded only when the ring looks full
	 * (producer) or empty (consumer): the standard way to keep an SPSC ring's index lines
	 * from bouncing, so the baseline is the best we know. */
	_Alignas(64) uint32_t tail_seen; /* producer's */
	_Alignas(64) uint32_t head_seen; /* consumer's */
	_Alignas(64) uint8_t slot[RAW_SLOTS][SLOT];
};

static void raw_put(struct raw_ring *r, const void *msg, size_t len)
{
	uint32_t head = r->head; /* ours alone */

	while (head - r->tail_seen >= RAW_SLOTS)
		r->tail_seen = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	memcpy(r->slot[head % RAW_SLOTS], msg, len);
	__atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
}

/* Take one message if there is one; returns false when empty. */
static bool raw_get(struct raw_ring *r, void *msg, size_t len)
{
	uint32_t tail = r->tail;

	if (r->head_seen == tail) {
		r->head_seen = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
		if (r->head_seen == tail)
			return false;
	}
	memcpy(msg, r->slot[tail % RAW_SLOTS], len);
	__atomic_store_n(&r->tail, tail + 1, __ATOMIC_RELEASE);
	return true;
}

static void raw_echo_serve(struct bench_shm *shm, void *area, size_t n)
{
	struct raw_ring *ping = area, *pong = ping + 1;
	uint8_t msg[SLOT];

	__atomic_store_n(&shm->ready, 1, __ATOMIC_RELEASE);
	while (!bench_should_stop(shm))
		if (raw_get(ping, msg, n))
			raw_put(pong, msg, n);
}

static double raw_echo_run(void *area, size_t size, uint64_t n, double *samples, size_t max)
{
	struct raw_ring *ping = area, *pong = ping + 1;
	uint8_t msg[SLOT] = {1}, back[SLOT];
	uint64_t i, start = bench_now_ns();

	for (i = 0; i < n; i++) {
		uint64_t t0 = i < max ? bench_now_ns() : 0;

		raw_put(ping, msg, size);
		while (!raw_get(pong, back, size))
			;
		if (i < max)
			samples[i] = (double)(bench_now_ns() - t0);
	}
	return (double)(bench_now_ns() - start) / (double)n;
}

static void raw_echo_server(struct bench_shm *shm, void *area, size_t len)
{
	(void)len;
	raw_echo_serve(shm, area, 16);
}

static double raw_echo_client(struct bench_shm *shm, void *area, size_t len, uint64_t n,
			      double *samples, size_t max)
{
	(void)shm;
	(void)len;
	return raw_echo_run(area, 16, n, samples, max);
}

static void raw_echo496_server(struct bench_shm *shm, void *area, size_t len)
{
	(void)len;
	raw_echo_serve(shm, area, 496);
}

static double raw_echo496_client(struct bench_shm *shm, void *area, size_t len, uint64_t n,
				 double *samples, size_t max)
{
	(void)shm;
	(void)len;
	return raw_echo_run(area, 496, n, samples, max);
}

static void raw_stream_server(struct bench_shm *shm, void *area, size_t len)
{
	struct raw_ring *r = area;
	uint8_t msg[SLOT];
	uint64_t done = 0;

	(void)len;
	__atomic_store_n(&shm->ready, 1, __ATOMIC_RELEASE);
	while (!bench_should_stop(shm)) {
		unsigned int n = 0;

		/* Counted in batches, as the virtqueue server returns its buffers. Each message is
		 * copied out, as any consumer does (and the sim streams' consumers do). */
		while (n < 32 && raw_get(r, msg, sizeof(msg))) {
			bench_consume(msg);
			n++;
		}
		if (!n)
			continue;
		done += n;
		__atomic_store_n(&shm->done, done, __ATOMIC_RELEASE);
	}
}

static double raw_stream_client(struct bench_shm *shm, void *area, size_t len, uint64_t n,
				double *samples, size_t max)
{
	struct raw_ring *r = area;
	uint8_t msg[SLOT];
	uint64_t i, t0;

	(void)len;
	(void)samples;
	(void)max;
	memset(msg, 0x5a, sizeof(msg));
	t0 = bench_now_ns();
	for (i = 0; i < n; i++)
		raw_put(r, msg, sizeof(msg));
	while (__atomic_load_n(&shm->done, __ATOMIC_ACQUIRE) < n)
		;
	return (double)n * 1e9 / (double)(bench_now_ns() - t0);
}

/* The same ring streaming the other way: the server (CPU 1) produces, the client (CPU 0)
 * consumes, as in the sim's remote->host stream. The machine is not symmetric (its two CPUs
 * can stream at different rates one way and the other), so that row is compared with this. */
struct raw_rev {
	_Alignas(64) uint64_t want; /* client -> server: how many to send */
	struct raw_ring r;
};

static void raw_stream_rev_server(struct bench_shm *shm, void *area, size_t len)
{
	struct raw_rev *x = area;
	uint8_t msg[SLOT];
	uint64_t i, n;

	(void)len;
	memset(msg, 0x5a, sizeof(msg));
	__atomic_store_n(&shm->ready, 1, __ATOMIC_RELEASE);
	while (!(n = __atomic_load_n(&x->want, __ATOMIC_ACQUIRE)))
		if (bench_should_stop(shm))
			return;
	for (i = 0; i < n; i++)
		raw_put(&x->r, msg, sizeof(msg));
}

static double raw_stream_rev_client(struct bench_shm *shm, void *area, size_t len, uint64_t n,
				    double *samples, size_t max)
{
	struct raw_rev *x = area;
	uint8_t msg[SLOT];
	uint64_t got = 0, t0;

	(void)shm;
	(void)len;
	(void)samples;
	(void)max;
	t0 = bench_now_ns();
	__atomic_store_n(&x->want, n, __ATOMIC_RELEASE);
	while (got < n)
		if (raw_get(&x->r, msg, sizeof(msg))) {
			bench_consume(msg);
			got++;
		}
	return (double)n * 1e9 / (double)(bench_now_ns() - t0);
}

/* --- the virtqueue ----------------------------------------------------------------------- */

struct vq_side {
	struct virtqueue vq;
	struct virtqueue_desc_state state[VQ_NUM];
	uint8_t *bufs; /* addresses in descriptors are offsets from here */
};

static struct vq_side *vq_side_new(void *area, enum virtqueue_role role)
{
	struct vq_side *s = calloc(1, sizeof(*s));
	struct virtqueue_config cfg = {.role = role, .num = VQ_NUM, .align = VQ_ALIGN,
				       .ring = area, .ring_len = VQ_RING_LEN, .state = s->state};

	if (!s || virtqueue_init(&s->vq, &cfg))
		abort();
	s->bufs = (uint8_t *)area + VQ_RING_LEN;
	return s;
}

static void vq_echo_server(struct bench_shm *shm, void *area, size_t len)
{
	struct vq_side *s = vq_side_new(area, VIRTQUEUE_DEVICE);
	struct virtqueue_buf b[2];
	uint16_t head;

	(void)len;
	__atomic_store_n(&shm->ready, 1, __ATOMIC_RELEASE);
	while (!bench_should_stop(shm)) {
		if (virtqueue_get_avail_buf(&s->vq, b, 2, &head) != 2)
			continue;
		memcpy(s->bufs + b[1].addr, s->bufs + b[0].addr, 16);
		virtqueue_add_used_buf(&s->vq, head, 16);
	}
	free(s);
}

static double vq_echo_client(struct bench_shm *shm, void *area, size_t len, uint64_t n,
			     double *samples, size_t max)
{
	struct vq_side *s = vq_side_new(area, VIRTQUEUE_DRIVER);
	struct virtqueue_sg sg[2] = {{0, 16}, {SLOT, 16}};
	uint8_t msg[16] = {1}, back[16];
	uint64_t i, start = bench_now_ns();
	void *tok;
	uint32_t got;

	(void)shm;
	(void)len;
	for (i = 0; i < n; i++) {
		uint64_t t0 = i < max ? bench_now_ns() : 0;

		memcpy(s->bufs, msg, sizeof(msg));
		virtqueue_add_sgs(&s->vq, sg, 1, 1, s);
		while (virtqueue_get_buf(&s->vq, &tok, &got) != 1)
			;
		memcpy(back, s->bufs + SLOT, sizeof(back));
		if (i < max)
			samples[i] = (double)(bench_now_ns() - t0);
	}
	free(s);
	return (double)(bench_now_ns() - start) / (double)n;
}

static void vq_stream_server(struct bench_shm *shm, void *area, size_t len)
{
	struct vq_side *s = vq_side_new(area, VIRTQUEUE_DEVICE);
	struct virtqueue_buf b;
	uint8_t msg[SLOT];
	uint16_t head;
	uint64_t done = 0;

	(void)len;
	__atomic_store_n(&shm->ready, 1, __ATOMIC_RELEASE);
	while (!bench_should_stop(shm)) {
		unsigned int n = 0;

		/* Return what is there as one batch: used->idx moves once per batch. */
		while (n < 32 && virtqueue_get_avail_buf(&s->vq, &b, 1, &head) == 1) {
			memcpy(msg, s->bufs + b.addr, SLOT);
			bench_consume(msg);
			virtqueue_add_used_buf_deferred(&s->vq, head, 0);
			n++;
		}
		if (!n)
			continue;
		virtqueue_publish_used(&s->vq);
		done += n;
		__atomic_store_n(&shm->done, done, __ATOMIC_RELEASE);
	}
	free(s);
}

static double vq_stream_client(struct bench_shm *shm, void *area, size_t len, uint64_t n,
			       double *samples, size_t max)
{
	struct vq_side *s = vq_side_new(area, VIRTQUEUE_DRIVER);
	uint8_t msg[SLOT];
	uint64_t i, t0, next = 0;
	void *tok;
	uint32_t got;

	(void)len;
	(void)samples;
	(void)max;
	memset(msg, 0x5a, sizeof(msg));
	t0 = bench_now_ns();
	for (i = 0; i < n; i++) {
		/* Buffers are used in order, as the raw ring uses its slots: the one filled next is
		 * the one the device finished with longest ago (it returns them in order, so when
		 * a descriptor is free, that buffer is too). Reusing the buffer returned last
		 * instead costs half the rate: its lines are still in the other core's cache. */
		uint32_t slot = (uint32_t)(next++ % VQ_NUM);

		while (!virtqueue_num_free(&s->vq))
			while (virtqueue_get_buf(&s->vq, &tok, &got) == 1)
				;
		memcpy(s->bufs + (size_t)slot * SLOT, msg, SLOT);
		virtqueue_add_outbuf(&s->vq, (uint64_t)slot * SLOT, SLOT, (void *)(uintptr_t)(slot + 1));
	}
	while (__atomic_load_n(&shm->done, __ATOMIC_ACQUIRE) < n)
		;
	free(s);
	return (double)n * 1e9 / (double)(bench_now_ns() - t0);
}

const struct bench_pair bench_raw_echo = {"raw ring echo 16 B", raw_echo_server, raw_echo_client};
const struct bench_pair bench_raw_echo496 = {"raw ring echo 496 B", raw_echo496_server,
					     raw_echo496_client};
const struct bench_pair bench_raw_stream = {"raw ring stream 512 B", raw_stream_server,
					    raw_stream_client};
const struct bench_pair bench_raw_stream_rev = {"raw ring stream 512 B, CPU 1 -> CPU 0",
						raw_stream_rev_server, raw_stream_rev_client};
const struct bench_pair bench_vq_echo = {"virtqueue echo 16 B", vq_echo_server, vq_echo_client};
const struct bench_pair bench_vq_stream = {"virtqueue stream 512 B", vq_stream_server,
					   vq_stream_client};
