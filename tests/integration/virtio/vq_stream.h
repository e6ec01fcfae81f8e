/* SPDX-License-Identifier: BSD-3-Clause */
/* A checked stream over one virtqueue in shared memory, for the cross-process tests. */
#ifndef VQ_STREAM_H
#define VQ_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <amp/virtqueue.h>

enum vq_stream_mode {
	VQ_STREAM_POLLING, /* both sides spin on the ring */
	VQ_STREAM_EVENTFD, /* each side sleeps on an eventfd; kicks only when asked for */
};

/* One side's view. Fill the first block (or copy it from the other side), then init. */
struct vq_stream {
	enum vq_stream_mode mode;
	bool event_idx;
	unsigned int num;
	uint64_t count;     /* buffers to stream; the driver's is updated to what was streamed */
	uint64_t budget_ns; /* driver: stop posting after this long, once min_count went (0: never) */
	uint64_t min_count;
	uint8_t *shm;
	size_t shm_size;
	int efd_to_dev, efd_to_drv;

	enum virtqueue_role role;
	struct virtqueue vq;
	struct virtqueue_desc_state *state;
	uint64_t kicks, wakeups;
	char error[160];
};

size_t vq_stream_shm_size(unsigned int num);
int vq_stream_shm_create(struct vq_stream *s);
void vq_stream_shm_destroy(struct vq_stream *s);
int vq_stream_init(struct vq_stream *s, enum virtqueue_role role);
void vq_stream_fini(struct vq_stream *s);
/* Stream s->count buffers (fewer when the driver's budget runs out: a loaded machine still
 * checks min_count of them); 0, or -1 with s->error saying what went wrong. */
int vq_stream_run_driver(struct vq_stream *s);
int vq_stream_run_device(struct vq_stream *s);

#endif /* VQ_STREAM_H */
