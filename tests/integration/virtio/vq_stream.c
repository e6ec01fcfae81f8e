/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Streaming over a virtqueue between two sides that share only a memfd: the driver posts chains
 * of a request (read-only, varying length, checksummed) and a reply buffer (device-writable); the
 * device checks each request, writes a reply, returns the chain; the driver checks the reply.
 * Descriptors carry offsets into the memfd. Used by the cross-process test (fork) and its
 * threaded variant (for TSan). Test layer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <amp/errno.h>

#include "vq_stream.h"

#define RING_ALIGN 4096u
#define REQ_SLOT 512u
#define REP_SLOT 64u
#define WAIT_LIMIT_NS (20ull * 1000000000ull)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* FNV-1a: cheap, and any corrupted or misplaced byte changes it. */
static uint32_t fnv1a(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static size_t layout_ring_len(unsigned int num)
{
	return (vring_size(num, RING_ALIGN) + 4095) & ~(size_t)4095;
}

/* After the slots: where the driver says how many buffers it streams when its budget ran out
 * (that count + 1; 0 while it has not said). */
static uint64_t end_off(unsigned int num)
{
	return layout_ring_len(num) + (uint64_t)num * (REQ_SLOT + REP_SLOT);
}

size_t vq_stream_shm_size(unsigned int num)
{
	return (size_t)end_off(num) + sizeof(uint64_t);
}

static uint64_t *stream_end(const struct vq_stream *s)
{
	return (uint64_t *)(void *)(s->shm + end_off(s->num));
}

/* Device: whether the driver has said it stops at a count we reached. */
static bool stream_ended(const struct vq_stream *s, uint64_t done)
{
	uint64_t end = __atomic_load_n(stream_end(s), __ATOMIC_ACQUIRE);

	return end && done >= end - 1;
}

static uint64_t req_off(const struct vq_stream *s, unsigned int slot)
{
	return layout_ring_len(s->num) + (uint64_t)slot * REQ_SLOT;
}

static uint64_t rep_off(const struct vq_stream *s, unsigned int slot)
{
	return layout_ring_len(s->num) + (uint64_t)s->num * REQ_SLOT + (uint64_t)slot * REP_SLOT;
}

static void stream_notify(struct virtqueue *vq)
{
	struct vq_stream *s = vq->priv;
	int fd = s->role == VIRTQUEUE_DRIVER ? s->efd_to_dev : s->efd_to_drv;
	uint64_t one = 1;

	s->kicks++;
	if (write(fd, &one, sizeof(one)) != sizeof(one))
		abort();
}

int vq_stream_init(struct vq_stream *s, enum virtqueue_role role)
{
	struct virtqueue_config cfg = {
		.role = role,
		.num = s->num,
		.align = RING_ALIGN,
		.ring = s->shm,
		.ring_len = layout_ring_len(s->num),
		.event_idx = s->event_idx,
		.notify = s->mode == VQ_STREAM_EVENTFD ? stream_notify : NULL,
		.priv = s,
		.name = role == VIRTQUEUE_DRIVER ? "stream-drv" : "stream-dev",
	};

	s->role = role;
	s->state = calloc(s->num, sizeof(*s->state));
	if (!s->state)
		return -AMP_ENOMEM;
	cfg.state = s->state;
	return virtqueue_init(&s->vq, &cfg);
}

void vq_stream_fini(struct vq_stream *s)
{
	free(s->state);
	s->state = NULL;
}

/*
 * Wait until the other side has published something. Polling: spin on the ring. Eventfd: arm
 * notifications, check again (the race re-check), then sleep on the eventfd. A device that has
 * handled @done buffers also returns when the driver says it stops there. Returns 0, or -1 with
 * s->error set when the deadline passes.
 */
static int stream_wait(struct vq_stream *s, uint64_t deadline, uint64_t done)
{
	int fd = s->role == VIRTQUEUE_DRIVER ? s->efd_to_drv : s->efd_to_dev;
	unsigned int spins = 0;

	if (s->mode == VQ_STREAM_POLLING) {
		while (!virtqueue_has_work(&s->vq)) {
			if (s->role == VIRTQUEUE_DEVICE && stream_ended(s, done))
				return 0;
			if (virtqueue_is_broken(&s->vq)) {
				snprintf(s->error, sizeof(s->error), "%s: queue broken",
					 s->vq.name);
				return -1;
			}
			if (++spins == 4096) {
				spins = 0;
				if (now_ns() > deadline) {
					snprintf(s->error, sizeof(s->error),
						 "%s: nothing published for 20 s", s->vq.name);
					return -1;
				}
			}
		}
		return 0;
	}
	if (!virtqueue_enable_cb(&s->vq)) {
		virtqueue_disable_cb(&s->vq);
		return 0; /* work arrived before we armed */
	}
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int ret = poll(&pfd, 1, (int)((deadline - now_ns()) / 1000000 + 1));
		uint64_t v;

		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0) {
			snprintf(s->error, sizeof(s->error), "%s: no kick for 20 s (lost wake-up?)",
				 s->vq.name);
			return -1;
		}
		if (read(fd, &v, sizeof(v)) != sizeof(v))
			abort();
		s->wakeups++;
		virtqueue_disable_cb(&s->vq);
		return 0;
	}
}

static void fill_request(uint8_t *p, uint64_t seq, uint32_t len)
{
	uint32_t i, sum;

	memcpy(p, &seq, 8);
	for (i = 12; i < len; i++)
		p[i] = (uint8_t)(seq * 31 + i);
	sum = fnv1a(p + 12, len - 12) ^ (uint32_t)seq;
	memcpy(p + 8, &sum, 4);
}

static uint32_t request_len(uint64_t seq)
{
	return 16 + (uint32_t)((seq * 7919) % (REQ_SLOT - 16 + 1));
}

int vq_stream_run_driver(struct vq_stream *s)
{
	uint64_t *slot_seq = calloc(s->num, sizeof(*slot_seq));
	unsigned int *free_slots = calloc(s->num, sizeof(*free_slots));
	/* Two descriptors a chain: half as many chains in flight as descriptors. */
	unsigned int nfree = s->num / 2, i;
	uint64_t sent = 0, done = 0, stop_at = s->budget_ns ? now_ns() + s->budget_ns : 0;
	unsigned int rounds = 0;
	int ret = -1;

	if (!slot_seq || !free_slots)
		goto out;
	for (i = 0; i < nfree; i++)
		free_slots[i] = i;
	virtqueue_disable_cb(&s->vq);
	while (done < s->count) {
		bool progress = false;
		void *tok;
		uint32_t len;
		int got;

		/* Out of time (a loaded machine): stream no more than what is posted, and say so. */
		if (stop_at && ++rounds % 64 == 0 && sent >= s->min_count && now_ns() > stop_at) {
			uint64_t one = 1;

			s->count = sent;
			stop_at = 0;
			__atomic_store_n(stream_end(s), sent + 1, __ATOMIC_RELEASE);
			if (s->mode == VQ_STREAM_EVENTFD &&
			    write(s->efd_to_dev, &one, sizeof(one)) != sizeof(one))
				abort();
			continue; /* all may be back already */
		}
		/* Keep the ring full. */
		while (sent < s->count && nfree) {
			unsigned int slot = free_slots[--nfree];
			uint32_t rlen = request_len(sent);
			struct virtqueue_sg sg[2] = {{req_off(s, slot), rlen},
						     {rep_off(s, slot), REP_SLOT}};

			fill_request(s->shm + req_off(s, slot), sent, rlen);
			slot_seq[slot] = sent;
			if (virtqueue_add_sgs(&s->vq, sg, 1, 1, (void *)(uintptr_t)(slot + 1))) {
				snprintf(s->error, sizeof(s->error), "driver: add failed at %llu",
					 (unsigned long long)sent);
				goto out;
			}
			sent++;
			progress = true;
		}
		if (progress)
			virtqueue_kick(&s->vq);
		while ((got = virtqueue_get_buf(&s->vq, &tok, &len)) == 1) {
			unsigned int slot = (unsigned int)(uintptr_t)tok - 1;
			const uint8_t *rep = s->shm + rep_off(s, slot);
			uint64_t seq;
			uint32_t sum, want;

			memcpy(&seq, rep, 8);
			memcpy(&sum, rep + 8, 4);
			want = fnv1a(s->shm + req_off(s, slot) + 12, request_len(slot_seq[slot]) - 12);
			if (len != 16 || seq != slot_seq[slot] || sum != want) {
				snprintf(s->error, sizeof(s->error),
					 "driver: bad reply for seq %llu (len %u, seq %llu)",
					 (unsigned long long)slot_seq[slot], len,
					 (unsigned long long)seq);
				goto out;
			}
			free_slots[nfree++] = slot;
			done++;
			progress = true;
		}
		if (got < 0) {
			snprintf(s->error, sizeof(s->error), "driver: queue broken");
			goto out;
		}
		if (!progress && stream_wait(s, now_ns() + WAIT_LIMIT_NS, done))
			goto out;
	}
	ret = 0;
out:
	free(slot_seq);
	free(free_slots);
	return ret;
}

int vq_stream_run_device(struct vq_stream *s)
{
	uint64_t done = 0;

	virtqueue_disable_cb(&s->vq);
	while (done < s->count && !stream_ended(s, done)) {
		struct virtqueue_buf b[2];
		uint16_t head;
		int n;
		bool progress = false;

		while ((n = virtqueue_get_avail_buf(&s->vq, b, 2, &head)) > 0) {
			uint64_t seq;
			uint32_t sum;
			uint8_t *req, *rep;

			if (n != 2 || b[0].write || !b[1].write || b[1].len < 16 ||
			    b[0].addr > s->shm_size || b[0].len > s->shm_size - b[0].addr ||
			    b[1].addr > s->shm_size || b[1].len > s->shm_size - b[1].addr ||
			    b[0].len < 16) {
				snprintf(s->error, sizeof(s->error), "device: malformed chain");
				return -1;
			}
			req = s->shm + b[0].addr;
			rep = s->shm + b[1].addr;
			memcpy(&seq, req, 8);
			memcpy(&sum, req + 8, 4);
			if (seq != done || b[0].len != request_len(seq) ||
			    sum != (fnv1a(req + 12, b[0].len - 12) ^ (uint32_t)seq)) {
				snprintf(s->error, sizeof(s->error),
					 "device: request %llu corrupted or out of order (got %llu)",
					 (unsigned long long)done, (unsigned long long)seq);
				return -1;
			}
			sum ^= (uint32_t)seq;
			memcpy(rep, &seq, 8);
			memcpy(rep + 8, &sum, 4);
			memset(rep + 12, 0, 4);
			if (virtqueue_add_used_buf(&s->vq, head, 16)) {
				snprintf(s->error, sizeof(s->error), "device: add_used failed");
				return -1;
			}
			done++;
			progress = true;
		}
		if (n < 0) {
			snprintf(s->error, sizeof(s->error), "device: get_avail failed (%d)", n);
			return -1;
		}
		if (progress)
			virtqueue_kick(&s->vq);
		else if (stream_wait(s, now_ns() + WAIT_LIMIT_NS, done))
			return -1;
	}
	s->count = done;
	return 0;
}

int vq_stream_shm_create(struct vq_stream *s)
{
	int fd = memfd_create("vq-stream", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	s->shm_size = vq_stream_shm_size(s->num);
	if (ftruncate(fd, (off_t)s->shm_size)) {
		close(fd);
		return -1;
	}
	s->shm = mmap(NULL, s->shm_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (s->shm == MAP_FAILED)
		return -1;
	s->efd_to_dev = eventfd(0, EFD_CLOEXEC);
	s->efd_to_drv = eventfd(0, EFD_CLOEXEC);
	return s->efd_to_dev < 0 || s->efd_to_drv < 0 ? -1 : 0;
}

void vq_stream_shm_destroy(struct vq_stream *s)
{
	munmap(s->shm, s->shm_size);
	close(s->efd_to_dev);
	close(s->efd_to_drv);
}
