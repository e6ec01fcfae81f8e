/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A test double of OpenAMP's host: a virtio driver for rpmsg that behaves, at the ring level,
 * as OpenAMP's lib/rpmsg/rpmsg_virtio.c and lib/virtio/virtqueue.c do in the driver role, so
 * that our remote can be tested against a host it did not grow up with. Our own code, modelled
 * on that behaviour:
 * - it accepts every feature the remote offers (gfeatures = dfeatures), but its rings never
 *   use event indexes: it suppresses and decides kicks with the ring flags only;
 * - it posts its receive buffers and sets DRIVER_OK without a kick;
 * - it asks not to be told of consumed transmit buffers (VRING_AVAIL_F_NO_INTERRUPT on vring 1)
 *   and reclaims them when it sends: a used entry first, a fresh buffer from its pool only when
 *   none is used. A reclaimed buffer's capacity is its used length minus the header, computed
 *   as OpenAMP does (unsigned, so a used length below 16 wraps to a negative int);
 * - its transmit descriptors carry the whole buffer size, not the message's length;
 * - it reposts each receive buffer it consumed, and kicks (flags permitting) once drained.
 * Single-threaded: the test runs both sides in turn. Device address = offset in the memory.
 */
#ifndef AMP_TEST_OAHOST_H
#define AMP_TEST_OAHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <amp/wire/rpmsg.h>
#include <amp/wire/rsc_table.h>
#include <amp/wire/vring.h>

#define OAH_MAX_NUM 64u
#define OAH_LOG 64u

/* Where the double puts things in the memory both sides see (device addresses = offsets). */
struct oah_layout {
	uint32_t vring_da[2];
	uint32_t vring_align;
	unsigned int num;    /* descriptors per vring, at most OAH_MAX_NUM */
	uint32_t pool_da;    /* buffers for both directions, taken in order */
	uint32_t pool_len;
	uint32_t buf_size;   /* each buffer, both directions (OpenAMP's default is 512) */
};

struct oah {
	uint8_t *mem;
	size_t mem_len;
	struct fw_rsc_vdev *vdev;
	struct oah_layout lay;
	struct vring vr[2];
	uint32_t pool_used;
	/* per vring: our next avail index, next used entry to consume, free descriptors */
	uint16_t avail_idx[2], used_cons[2], num_free[2], free_head[2];
	uint16_t next[2][OAH_MAX_NUM];   /* private free-list links */
	uint32_t buf_da[2][OAH_MAX_NUM]; /* the buffer on each head in flight */

	unsigned int kicks[2];        /* kicks we gave the remote, per vring */
	unsigned int remote_kicks[2]; /* kicks the remote gave us, per notify id (0, 1) */
	unsigned int bad_capacity;    /* sends refused: a reclaimed buffer's capacity too small */
	int32_t last_capacity;        /* the capacity of the last transmit buffer taken */
	uint32_t last_used_len;       /* the used length it came back with (0 for a fresh one) */

	unsigned int rx_msgs, rx_bad; /* messages from the remote; headers that did not fit */
	uint32_t last_src, last_dst;  /* the last message's header */
	uint16_t last_len;
	uint8_t last_data[512];
	/* The first byte of each message from the remote, in the order read (the first
	 * OAH_LOG of them): enough to see an order. */
	uint8_t rx_log[OAH_LOG];
	unsigned int ns_msgs;         /* announcements from the remote (to address 53) */
	struct rpmsg_ns_msg last_ns;
};

/* Lay the rings out in @mem, write their places into @vdev, accept every feature offered and
 * post the receive buffers, all without a kick. DRIVER_OK is left for oah_driver_ok(). */
void oah_init(struct oah *h, uint8_t *mem, size_t mem_len, struct fw_rsc_vdev *vdev,
	      const struct oah_layout *lay);
/* Set DRIVER_OK (a release store), without a kick, as OpenAMP's host does. */
void oah_driver_ok(struct oah *h);
/* Send @len bytes from @src to @dst: 0; -ENOMEM (no buffer: none used, none fresh);
 * -EMSGSIZE when the buffer's capacity, as OpenAMP computes it, is below @len. */
int oah_send(struct oah *h, uint32_t src, uint32_t dst, const void *data, uint32_t len);
/* Consume what the remote sent on vring 0, return the buffers, kick if the remote allows it.
 * Returns the messages consumed. */
unsigned int oah_poll(struct oah *h);
/* For the remote's kick hook: count a kick with @notifyid. */
void oah_remote_kick(struct oah *h, uint32_t notifyid);

#endif /* AMP_TEST_OAHOST_H */
