/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rpmsg's virtio transport, the virtio driver of id 7 (<amp/virtio.h>): the two vrings, the buffer
 * pool, the receive and transmit paths, kicks, zero-copy buffers and the wake-ups of a device
 * going away. The bus it carries (channels, drivers, endpoints, the name service) is
 * rpmsg_core.c's, reached through rpmsg_internal.h, as Linux's virtio_rpmsg_bus.c leaves it to
 * rpmsg_core.c. Host layer.
 *
 * Locks (docs/architecture.md has the whole order): the bus's (chan->lock, rpmsg_watch_lock,
 * rpmsg_bus_lock, dev->ept_lock) come before these:
 *  - rvdev->rx_lock (the receive ring, the receive buffers held), then
 *  - rvdev->tx_lock (the transmit ring and its buffers).
 * No lock is held while an rx callback runs.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <amp/errno.h>
#include <amp/log.h>
#include <amp/rpmsg.h>
#include <amp/virtio.h>
#include <amp/virtqueue.h>
#include <amp/wire/rsc_table.h>

#include "os/os.h"
#include "rpmsg/rpmsg_internal.h"
#include "rpmsg/rpmsg_proto.h"
#include "util/amp_diag_format.h"

#define RPMSG_HDR_LEN ((uint32_t)sizeof(struct rpmsg_hdr))
/* A blocking send in the notification context polls the ring at this pace (see rpmsg.h). */
#define RPMSG_NOTIFY_POLL_NS 100000L
/* A sender asleep for a buffer also looks at the ring this often by itself: the wake-up comes
 * from the notification context, which may be waiting meanwhile for a channel's lock the sender
 * holds (a probe's send, a channel's announcement, against a DESTROY from the remote). */
#define RPMSG_TX_WAIT_SLICE_NS 10000000ull

/*
 * Receive buffers are taken from the ring and given back in batches of up to this many: the
 * receive lock is taken twice per batch instead of twice per message, and avail->idx moves
 * once per batch (the remote, which reads it, misses on its line once per batch).
 */
#define RPMSG_RX_BATCH 32u

/* A virtio device rpmsg_virtio_add() makes from a plain config: the caller's hooks are its
 * transport. */
struct rpmsg_cfg_vdev {
	struct virtio_device vdev;
	struct rpmsg_virtio_config cfg;
	uint8_t status;
};

struct rpmsg_virtio_device {
	struct rpmsg_dev dev; /* first: the bus's view (rpmsg_internal.h) */
	struct virtio_device *vdev; /* the device driven; the transport's until removal */
	const struct virtio_config_ops *vops; /* its ops, which outlive it (release_bufs) */
	struct virtio_buf_hold *hold;         /* the pool kept past removal (vops->hold_bufs) */
	struct rpmsg_cfg_vdev *own;           /* rpmsg_virtio_add()'s device, freed with us */
	bool polled;          /* no doorbells: neither arm nor kick (virtio_device.polled) */
	uint64_t buf_da;
	/* Delivered buffers of the batch being drained, not given back yet. Notification
	 * context only: a callback that waits for a transmit buffer gives them back first. */
	void *repost[RPMSG_RX_BATCH];
	unsigned int num_repost;
	bool going;        /* about to be removed (a crash reported, a stop begun), or being
			    * removed: sends no longer wait for buffers; atomic */

	struct virtqueue rvq, svq;
	struct virtqueue_desc_state *rvq_state, *svq_state;
	uint8_t *bufs;
	unsigned int buf_size, num_bufs, num_rx;
	unsigned int rx_ring_num; /* descriptors of the receive ring: a drain's bound */

	/* Per buffer, the endpoint that holds it, NULL when none does: a receive buffer held past
	 * its callback (rx_lock), or a transmit buffer handed out for zero-copy (tx_lock). The
	 * indexes of the two kinds do not overlap: [0, num_rx) and [num_rx, num_bufs). */
	struct rpmsg_endpoint **holder;

	struct amp_mutex rx_lock;
	unsigned int rx_num_held;  /* receive buffers held; rx_lock */
	bool deliver_held; /* the message being delivered is held (notification context) */

	struct amp_mutex tx_lock;
	struct amp_cond tx_cond;
	unsigned int next_tx;      /* never-used transmit buffers start here */
	unsigned int *tx_free;     /* transmit buffers released unused */
	unsigned int num_tx_free;
	unsigned int tx_num_out;   /* transmit buffers handed out for zero-copy */
	unsigned int tx_waiters;

	bool broken_reported;
	uint32_t broken_mask; /* atomic: bit per vring the remote broke */
	/* After removal: buffers the users still hold; the pool is released when none is. */
	unsigned int bufs_left;    /* atomic */
	bool bufs_released;        /* atomic */
};

/* The bus converts its view and the public handle by address (rpmsg_dev_of()). */
_Static_assert(offsetof(struct rpmsg_virtio_device, dev) == 0, "the bus's view comes first");

#define STAT_INC(rvdev, field) RPMSG_STAT_INC(&(rvdev)->dev, field)

static struct rpmsg_virtio_device *rvdev_of(struct rpmsg_dev *dev)
{
	return AMP_CONTAINER_OF(dev, struct rpmsg_virtio_device, dev);
}

static bool rvdev_removed(const struct rpmsg_virtio_device *rvdev)
{
	return rpmsg_dev_removed(&rvdev->dev);
}

/* The pool is no longer used: tell its owner, once. */
static void rpmsg_release_bufs(struct rpmsg_virtio_device *rvdev)
{
	if (!__atomic_exchange_n(&rvdev->bufs_released, true, __ATOMIC_ACQ_REL) && rvdev->hold)
		rvdev->vops->release_bufs(rvdev->hold);
}

/* A buffer a user held came back after the removal: the last one releases the pool. Under
 * the lock that guards the buffer, which the removal's snapshot of the count was taken under. */
static void rpmsg_held_buf_back(struct rpmsg_virtio_device *rvdev)
{
	if (rvdev_removed(rvdev) && __atomic_sub_fetch(&rvdev->bufs_left, 1, __ATOMIC_ACQ_REL) == 0)
		rpmsg_release_bufs(rvdev);
}

static void rvdev_free(struct rpmsg_virtio_device *rvdev)
{
	/* Every buffer a user held came back before its endpoint went, and with it the last
	 * reference: normally released already. */
	if (rvdev_removed(rvdev))
		rpmsg_release_bufs(rvdev);
	rpmsg_dev_cleanup(&rvdev->dev);
	amp_cond_destroy(&rvdev->tx_cond);
	amp_mutex_destroy(&rvdev->tx_lock);
	amp_mutex_destroy(&rvdev->rx_lock);
	free(rvdev->rvq_state);
	free(rvdev->svq_state);
	free(rvdev->holder);
	free(rvdev->tx_free);
	free(rvdev->own);
	free(rvdev);
}

/* The last reference went (rpmsg_dev_put()). */
static void rpmsg_virtio_release(struct rpmsg_dev *dev)
{
	rvdev_free(rvdev_of(dev));
}

static uint8_t *rpmsg_buf(struct rpmsg_virtio_device *rvdev, unsigned int i)
{
	return rvdev->bufs + (size_t)i * rvdev->buf_size;
}

static uint64_t rpmsg_buf_da(struct rpmsg_virtio_device *rvdev, const void *buf)
{
	return rvdev->buf_da + (uint64_t)((const uint8_t *)buf - rvdev->bufs);
}

/* The buffer index of @p (a buffer start, or a payload = buffer + 16), or -1. */
static long rpmsg_buf_index(struct rpmsg_virtio_device *rvdev, const void *p, uint32_t at)
{
	const uint8_t *b = p;
	size_t off;

	if (b < rvdev->bufs + at || b >= rvdev->bufs + (size_t)rvdev->num_bufs * rvdev->buf_size)
		return -1;
	off = (size_t)(b - rvdev->bufs) - at;
	if (off % rvdev->buf_size)
		return -1;
	return (long)(off / rvdev->buf_size);
}

/* The receive buffer whose payload is @p, or -1. */
static long rpmsg_rx_index(struct rpmsg_virtio_device *rvdev, const void *p)
{
	long i = rpmsg_buf_index(rvdev, p, RPMSG_HDR_LEN);

	return i < (long)rvdev->num_rx ? i : -1;
}

/* The transmit buffer whose payload is @p, or -1. */
static long rpmsg_tx_index(struct rpmsg_virtio_device *rvdev, const void *p)
{
	long i = rpmsg_buf_index(rvdev, p, RPMSG_HDR_LEN);

	return i >= (long)rvdev->num_rx ? i : -1;
}

static void rpmsg_report_broken(struct rpmsg_virtio_device *rvdev, struct virtqueue *vq)
{
	char why[160];

	__atomic_fetch_or(&rvdev->broken_mask, 1u << (vq->index & 31), __ATOMIC_RELAXED);
	if (__atomic_exchange_n(&rvdev->broken_reported, true, __ATOMIC_RELAXED))
		return;
	amp_diag_format(virtqueue_broken_diag(vq), why, sizeof(why));
	amp_log(AMP_LOG_ERR, "%s: %s broken by the remote (%s); its traffic stopped", rvdev->dev.name,
		vq->name, why);
	if (rvdev->vops->broken)
		rvdev->vops->broken(rvdev->vdev, vq->index);
}

/* --- receive ----------------------------------------------------------------------------- */

/* Put receive buffer @buf back on the ring, unpublished. False when the ring broke. rx_lock
 * held, device not removed. */
static bool rpmsg_rx_add_locked(struct rpmsg_virtio_device *rvdev, void *buf)
{
	if (virtqueue_add_inbuf_deferred(&rvdev->rvq, rpmsg_buf_da(rvdev, buf), rvdev->buf_size,
					 buf) == 0)
		return true;
	rpmsg_report_broken(rvdev, &rvdev->rvq);
	return false;
}

/* Publish what rpmsg_rx_add_locked() put back: one store of avail->idx (a line the remote
 * reads), at most one kick. rx_lock held. */
static void rpmsg_rx_publish_locked(struct rpmsg_virtio_device *rvdev)
{
	virtqueue_publish_avail(&rvdev->rvq);
	/* Under the lock: the doorbell belongs to the processor's vdev, which a removal (it
	 * takes this lock) may free as soon as it returns. */
	if (!rvdev->polled && virtqueue_kick_prepare(&rvdev->rvq))
		virtqueue_notify(&rvdev->rvq);
}

/* Give @n receive buffers back to the remote: one lock, one publication, at most one kick. */
static void rpmsg_rx_repost_batch(struct rpmsg_virtio_device *rvdev, void *const *bufs,
				  unsigned int n)
{
	unsigned int i;

	amp_mutex_lock(&rvdev->rx_lock);
	if (!rvdev_removed(rvdev)) {
		for (i = 0; i < n && rpmsg_rx_add_locked(rvdev, bufs[i]); i++)
			;
		rpmsg_rx_publish_locked(rvdev);
	}
	amp_mutex_unlock(&rvdev->rx_lock);
}

/* Deliver the message in receive buffer @buf; returns whether the buffer goes back to the
 * remote now (false: a callback holds it). */
static bool rpmsg_rx_one(struct rpmsg_virtio_device *rvdev, struct rpmsg_rx_run *run, void *buf,
			 uint32_t len)
{
	struct rpmsg_rx_msg msg;

	if (rpmsg_rx_parse(buf, len, rvdev->buf_size, &msg)) {
		STAT_INC(rvdev, rx_bad);
		amp_log(AMP_LOG_WARN, "%s: dropped a message with a bad header (used length %u)",
			rvdev->dev.name, len);
		return true;
	}
	rvdev->deliver_held = false;
	rpmsg_dev_deliver(&rvdev->dev, run, &msg);
	return !rvdev->deliver_held;
}

/* Give back the delivered buffers of the current batch. Notification context. */
static void rpmsg_rx_flush(struct rpmsg_virtio_device *rvdev)
{
	if (rvdev->num_repost)
		rpmsg_rx_repost_batch(rvdev, rvdev->repost, rvdev->num_repost);
	rvdev->num_repost = 0;
}

/* Drain up to a ring's worth; true when more is waiting (and the ring is not armed). */
static bool rpmsg_rx_drain(struct rpmsg_virtio_device *rvdev)
{
	void *bufs[RPMSG_RX_BATCH];
	uint32_t lens[RPMSG_RX_BATCH];
	struct rpmsg_rx_run run = {NULL, 0};
	unsigned int n, i, done = 0;
	bool armed = !rvdev->polled; /* as the last drain left it, if it emptied */
	int ret;

	for (;; done += n) {
		if (done >= rvdev->rx_ring_num)
			return true;
		amp_mutex_lock(&rvdev->rx_lock);
		/* Disarmed while we drain: the remote need not kick for what we are about to
		 * take, and taking from an armed ring would publish the event and fence for each
		 * buffer (see virtqueue_get_buf()). Polling mode is never armed. */
		if (armed) {
			virtqueue_disable_cb(&rvdev->rvq);
			armed = false;
		}
		for (n = 0; n < RPMSG_RX_BATCH; n++)
			if ((ret = virtqueue_get_buf(&rvdev->rvq, &bufs[n], &lens[n])) != 1)
				break;
		/* Polling mode (no doorbell) needs no arming, and saves its full fence. */
		if (n == 0 && ret == 0 && !rvdev->polled)
			armed = true;
		if (n == 0 && ret == 0 && (rvdev->polled || virtqueue_enable_cb(&rvdev->rvq))) {
			/* Empty, and the remote will kick us for the next one. */
			amp_mutex_unlock(&rvdev->rx_lock);
			return false;
		}
		if (ret < 0)
			rpmsg_report_broken(rvdev, &rvdev->rvq);
		amp_mutex_unlock(&rvdev->rx_lock);
		for (i = 0; i < n; i++)
			if (rpmsg_rx_one(rvdev, &run, bufs[i], lens[i]))
				rvdev->repost[rvdev->num_repost++] = bufs[i];
		rpmsg_rx_run_end(&run);
		rpmsg_rx_flush(rvdev);
		if (ret < 0)
			return false;
	}
}

/* --- transmit ---------------------------------------------------------------------------- */

static uint64_t rpmsg_deadline(uint32_t timeout_ms)
{
	return amp_deadline_ns(timeout_ms);
}

/* A free transmit buffer (its start), or NULL with *err set. tx_lock held. */
static void *rpmsg_tx_take_locked(struct rpmsg_virtio_device *rvdev, int *err)
{
	void *buf;
	uint32_t len;
	int ret;

	if (rvdev->num_tx_free)
		return rpmsg_buf(rvdev, rvdev->tx_free[--rvdev->num_tx_free]);
	if (rvdev->next_tx < rvdev->num_bufs)
		return rpmsg_buf(rvdev, rvdev->next_tx++);
	ret = virtqueue_get_buf(&rvdev->svq, &buf, &len);
	if (ret == 1)
		return buf;
	if (ret < 0) {
		rpmsg_report_broken(rvdev, &rvdev->svq);
		*err = -AMP_EIO;
	}
	return NULL;
}

static void rpmsg_tx_giveback_locked(struct rpmsg_virtio_device *rvdev, void *buf);

/* Hand transmit buffer @buf (its start) out to @owner for zero-copy; false (the buffer given
 * back) when @owner is being destroyed. tx_lock held. */
static bool rpmsg_tx_hand_out_locked(struct rpmsg_virtio_device *rvdev, void *buf,
				     struct rpmsg_endpoint *owner)
{
	if (rpmsg_ept_dead(owner)) {
		rpmsg_tx_giveback_locked(rvdev, buf);
		return false;
	}
	rvdev->holder[rpmsg_buf_index(rvdev, buf, 0)] = owner;
	owner->tx_out++;
	rvdev->tx_num_out++;
	return true;
}

/* A free transmit buffer (its start), waiting up to @timeout_ms; handed out to @owner when not
 * NULL (zero-copy), in the same hold of tx_lock. NULL with *err set otherwise. */
static void *rpmsg_get_tx_buf(struct rpmsg_virtio_device *rvdev, uint32_t timeout_ms,
			      struct rpmsg_endpoint *owner, int *err)
{
	uint64_t deadline = 0;
	void *buf = NULL;

	*err = 0;
	amp_mutex_lock(&rvdev->tx_lock);
	for (;;) {
		if (rvdev_removed(rvdev)) {
			*err = -AMP_ENODEV;
			break;
		}
		buf = rpmsg_tx_take_locked(rvdev, err);
		if (buf || *err)
			break;
		/* Checked on every round, by the notification context's poll too: a crash
		 * report lets the processor's recovery start now, not after our timeout. */
		if (__atomic_load_n(&rvdev->going, __ATOMIC_ACQUIRE)) {
			*err = -AMP_ENODEV;
			break;
		}
		if (timeout_ms == 0) {
			*err = -AMP_ENOMEM;
			break;
		}
		if (!deadline)
			deadline = rpmsg_deadline(timeout_ms);
		if (amp_now_ns() >= deadline) {
			STAT_INC(rvdev, tx_timeouts);
			*err = -AMP_ETIMEDOUT;
			break;
		}
		if (rvdev->polled) {
			/* Polling mode: nobody tells us when a buffer comes back (the poller skips
			 * the transmit ring, see rpmsg_dev_create()); look again, leaving the CPU
			 * to whoever else wants it between looks. */
			rvdev->tx_waiters++;
			amp_mutex_unlock(&rvdev->tx_lock);
			if (rpmsg_in_notify(&rvdev->dev))
				rpmsg_rx_flush(rvdev); /* as below */
			amp_yield();
			amp_mutex_lock(&rvdev->tx_lock);
			rvdev->tx_waiters--;
			continue;
		}
		/* Ask for transmit-complete kicks only while someone waits, as Linux does. Every
		 * waiter arms and looks again before it sleeps, not only the first: with EVENT_IDX
		 * the event the first one set may already be behind us (a sender on the fast path
		 * took that buffer), and a buffer returned meanwhile must not be missed. */
		rvdev->tx_waiters++;
		if (!virtqueue_enable_cb(&rvdev->svq)) {
			if (--rvdev->tx_waiters == 0)
				virtqueue_disable_cb(&rvdev->svq);
			continue;
		}
		if (rpmsg_in_notify(&rvdev->dev)) {
			/* The kick that would wake us is handled by this thread: poll instead. And
			 * give back the receive buffers this batch has delivered: a remote that
			 * waits for one before it returns ours would otherwise wait for us. */
			struct timespec ts = {0, RPMSG_NOTIFY_POLL_NS};

			amp_mutex_unlock(&rvdev->tx_lock);
			rpmsg_rx_flush(rvdev);
			nanosleep(&ts, NULL);
			amp_mutex_lock(&rvdev->tx_lock);
		} else {
			uint64_t slice = amp_now_ns() + RPMSG_TX_WAIT_SLICE_NS;

			amp_cond_wait_until(&rvdev->tx_cond, &rvdev->tx_lock,
					    slice < deadline ? slice : deadline);
		}
		/* After the device went, the ring is not ours to touch (removal has returned). */
		if (--rvdev->tx_waiters == 0 && !rvdev_removed(rvdev))
			virtqueue_disable_cb(&rvdev->svq);
	}
	if (buf && owner && !rpmsg_tx_hand_out_locked(rvdev, buf, owner)) {
		buf = NULL;
		*err = -AMP_EINVAL;
	}
	amp_mutex_unlock(&rvdev->tx_lock);
	return buf;
}

/* Put a filled buffer on the transmit ring; *kick: whether the remote wants to be told (after
 * unlocking). tx_lock held. */
static int rpmsg_tx_post_locked(struct rpmsg_virtio_device *rvdev, void *buf, uint32_t len,
				bool *kick)
{
	int ret;

	*kick = false;
	if (rvdev_removed(rvdev))
		return -AMP_ENODEV;
	ret = virtqueue_add_outbuf(&rvdev->svq, rpmsg_buf_da(rvdev, buf), len, buf);
	*kick = !ret && !rvdev->polled && virtqueue_kick_prepare(&rvdev->svq);
	if (ret == -AMP_EIO)
		rpmsg_report_broken(rvdev, &rvdev->svq);
	if (!ret)
		STAT_INC(rvdev, tx_msgs);
	return ret;
}

/* Put a filled buffer on the transmit ring and kick if the remote wants it. */
static int rpmsg_tx_post(struct rpmsg_virtio_device *rvdev, void *buf, uint32_t len)
{
	bool kick;
	int ret;

	amp_mutex_lock(&rvdev->tx_lock);
	ret = rpmsg_tx_post_locked(rvdev, buf, len, &kick);
	if (kick) /* under the lock, as in rpmsg_rx_repost_batch() */
		virtqueue_notify(&rvdev->svq);
	amp_mutex_unlock(&rvdev->tx_lock);
	return ret;
}

static void rpmsg_tx_giveback_locked(struct rpmsg_virtio_device *rvdev, void *buf)
{
	long i = rpmsg_buf_index(rvdev, buf, 0);

	if (i >= 0)
		rvdev->tx_free[rvdev->num_tx_free++] = (unsigned int)i;
	amp_cond_broadcast(&rvdev->tx_cond);
}

static void rpmsg_tx_giveback(struct rpmsg_virtio_device *rvdev, void *buf)
{
	amp_mutex_lock(&rvdev->tx_lock);
	rpmsg_tx_giveback_locked(rvdev, buf);
	amp_mutex_unlock(&rvdev->tx_lock);
}

static void rpmsg_tx_fill(void *buf, uint32_t src, uint32_t dst, const void *data, int len)
{
	rpmsg_hdr_write(buf, src, dst, (uint16_t)len);
	if (len)
		memcpy((uint8_t *)buf + RPMSG_HDR_LEN, data, (size_t)len);
}

/*
 * The fast path of a send: a buffer is free now. It is taken, filled, posted and kicked under
 * one hold of tx_lock (another sender waits for a 512-byte copy and a doorbell at most), so that
 * a message costs one lock round trip, not two, and no reference: the device cannot be removed
 * while tx_lock is held (removal takes it). The kick must be inside too: the doorbell is the
 * processor's vdev, freed once a removal has returned. Returns 1 when no buffer was free
 * (nothing done), else 0 or the send's error.
 */
static int rpmsg_send_now(struct rpmsg_virtio_device *rvdev, uint32_t src, uint32_t dst,
			  const void *data, int len)
{
	bool kick = false;
	void *buf = NULL;
	int err = 0;

	amp_mutex_lock(&rvdev->tx_lock);
	if (rvdev_removed(rvdev))
		err = -AMP_ENODEV;
	else
		buf = rpmsg_tx_take_locked(rvdev, &err);
	if (buf) {
		rpmsg_tx_fill(buf, src, dst, data, len);
		err = rpmsg_tx_post_locked(rvdev, buf, RPMSG_HDR_LEN + (uint32_t)len, &kick);
		if (err)
			rpmsg_tx_giveback_locked(rvdev, buf);
		if (kick)
			virtqueue_notify(&rvdev->svq);
	}
	amp_mutex_unlock(&rvdev->tx_lock);
	return buf || err ? err : 1;
}

static int rpmsg_send_common(struct rpmsg_virtio_device *rvdev, uint32_t src, uint32_t dst,
			     const void *data, int len, uint32_t timeout_ms)
{
	void *buf;
	int err;

	if (src == RPMSG_ADDR_ANY || dst == RPMSG_ADDR_ANY || len < 0 || (len && !data))
		return -AMP_EINVAL;
	if ((uint32_t)len > rvdev->buf_size - RPMSG_HDR_LEN)
		return -AMP_EMSGSIZE;
	err = rpmsg_send_now(rvdev, src, dst, data, len);
	if (err <= 0)
		return err;
	/* A device on its way out (perhaps crashed) returns no buffers: do not wait for one. */
	if (__atomic_load_n(&rvdev->going, __ATOMIC_ACQUIRE))
		timeout_ms = 0;
	/* The device may be removed while we wait: keep it allocated until we are done. */
	rpmsg_dev_get(&rvdev->dev);
	buf = rpmsg_get_tx_buf(rvdev, timeout_ms, NULL, &err);
	if (buf) {
		rpmsg_tx_fill(buf, src, dst, data, len);
		err = rpmsg_tx_post(rvdev, buf, RPMSG_HDR_LEN + (uint32_t)len);
		if (err)
			rpmsg_tx_giveback(rvdev, buf);
	}
	rpmsg_dev_put(&rvdev->dev);
	return err;
}

static int rpmsg_virtio_send(struct rpmsg_dev *dev, uint32_t src, uint32_t dst, const void *data,
			     int len, uint32_t timeout_ms)
{
	return rpmsg_send_common(rvdev_of(dev), src, dst, data, len, timeout_ms);
}

static void rpmsg_tx_complete(struct rpmsg_virtio_device *rvdev)
{
	amp_mutex_lock(&rvdev->tx_lock);
	if (rvdev->tx_waiters)
		amp_cond_broadcast(&rvdev->tx_cond);
	amp_mutex_unlock(&rvdev->tx_lock);
}

static void *rpmsg_virtio_get_tx_buffer(struct rpmsg_endpoint *ept, uint32_t *len,
					uint32_t timeout_ms)
{
	struct rpmsg_virtio_device *rvdev = rvdev_of(ept->dev);
	uint8_t *buf;
	int err;

	buf = rpmsg_get_tx_buf(rvdev, timeout_ms, ept, &err);
	if (!buf)
		return NULL;
	*len = rvdev->buf_size - RPMSG_HDR_LEN;
	return buf + RPMSG_HDR_LEN;
}

/* Take back transmit buffer @i from @ept, which has it out. tx_lock held. */
static void rpmsg_tx_take_back_locked(struct rpmsg_virtio_device *rvdev,
				      struct rpmsg_endpoint *ept, long i)
{
	rvdev->holder[i] = NULL;
	ept->tx_out--;
	rvdev->tx_num_out--;
	rpmsg_held_buf_back(rvdev);
}

static int rpmsg_virtio_send_nocopy(struct rpmsg_endpoint *ept, uint32_t dst, void *payload,
				    int len)
{
	struct rpmsg_virtio_device *rvdev = rvdev_of(ept->dev);
	long i = rpmsg_tx_index(rvdev, payload);
	bool kick = false;
	uint8_t *buf;
	int ret;

	if (dst == RPMSG_ADDR_ANY || len < 0)
		return -AMP_EINVAL;
	if ((uint32_t)len > rvdev->buf_size - RPMSG_HDR_LEN)
		return -AMP_EMSGSIZE;
	if (i < 0)
		return -AMP_EINVAL;
	/* Checked, posted and taken back in one hold of the lock: on error it is still the
	 * caller's, as documented. */
	amp_mutex_lock(&rvdev->tx_lock);
	if (rvdev->holder[i] != ept) {
		ret = -AMP_EINVAL;
	} else {
		buf = rpmsg_buf(rvdev, (unsigned int)i);
		rpmsg_hdr_write(buf, ept->addr, dst, (uint16_t)len);
		ret = rpmsg_tx_post_locked(rvdev, buf, RPMSG_HDR_LEN + (uint32_t)len, &kick);
		if (!ret)
			rpmsg_tx_take_back_locked(rvdev, ept, i);
		if (kick) /* under the lock, as in rpmsg_send_now() */
			virtqueue_notify(&rvdev->svq);
	}
	amp_mutex_unlock(&rvdev->tx_lock);
	return ret;
}

static void rpmsg_give_back_held(struct rpmsg_endpoint *ept, void *payload, bool rx);

static void rpmsg_virtio_release_tx_buffer(struct rpmsg_endpoint *ept, void *payload)
{
	rpmsg_give_back_held(ept, payload, false);
}

/* The bus checked that @data is the message being delivered to @ept, from its callback. */
static int rpmsg_virtio_hold_rx_buffer(struct rpmsg_endpoint *ept, void *data)
{
	struct rpmsg_virtio_device *rvdev = rvdev_of(ept->dev);
	long i = rpmsg_rx_index(rvdev, data);

	/* Once per delivery: a second hold would count the buffer twice, and one after a
	 * release would claim a buffer the remote has again. */
	if (i < 0 || rvdev->deliver_held)
		return -AMP_EINVAL;
	amp_mutex_lock(&rvdev->rx_lock);
	rvdev->holder[i] = ept;
	ept->rx_held++;
	rvdev->rx_num_held++;
	amp_mutex_unlock(&rvdev->rx_lock);
	rvdev->deliver_held = true;
	return 0;
}

/* Take back receive buffer @i from @ept, which holds it, and put it on the ring unpublished.
 * rx_lock held. */
static void rpmsg_rx_take_back_locked(struct rpmsg_virtio_device *rvdev,
				      struct rpmsg_endpoint *ept, long i)
{
	rvdev->holder[i] = NULL;
	ept->rx_held--;
	rvdev->rx_num_held--;
	if (!rvdev_removed(rvdev))
		rpmsg_rx_add_locked(rvdev, rpmsg_buf(rvdev, (unsigned int)i));
	rpmsg_held_buf_back(rvdev);
}

/* Give back the buffer whose payload is @payload, if @ept holds it: a receive buffer (@rx) to
 * the ring, a transmit buffer to the free list. */
static void rpmsg_give_back_held(struct rpmsg_endpoint *ept, void *payload, bool rx)
{
	struct rpmsg_virtio_device *rvdev = rvdev_of(ept->dev);
	struct amp_mutex *lock = rx ? &rvdev->rx_lock : &rvdev->tx_lock;
	long i = rx ? rpmsg_rx_index(rvdev, payload) : rpmsg_tx_index(rvdev, payload);

	if (i < 0)
		return;
	amp_mutex_lock(lock);
	if (rvdev->holder[i] == ept && rx) {
		rpmsg_rx_take_back_locked(rvdev, ept, i);
		if (!rvdev_removed(rvdev))
			rpmsg_rx_publish_locked(rvdev);
	} else if (rvdev->holder[i] == ept) {
		rpmsg_tx_take_back_locked(rvdev, ept, i);
		rpmsg_tx_giveback_locked(rvdev, rpmsg_buf(rvdev, (unsigned int)i));
	}
	amp_mutex_unlock(lock);
}

static void rpmsg_virtio_release_rx_buffer(struct rpmsg_endpoint *ept, void *data)
{
	rpmsg_give_back_held(ept, data, true);
}

/* What a destroyed endpoint holds goes back: its receive buffers to the ring (the remote has
 * them again), its zero-copy transmit buffers to the free list. Its callback has returned. */
static void rpmsg_virtio_ept_gone(struct rpmsg_endpoint *ept)
{
	struct rpmsg_virtio_device *rvdev = rvdev_of(ept->dev);
	unsigned int i;

	amp_mutex_lock(&rvdev->rx_lock);
	for (i = 0; ept->rx_held && i < rvdev->num_rx; i++) {
		if (rvdev->holder[i] != ept)
			continue;
		if (rpmsg_in_notify(&rvdev->dev) && rvdev->dev.delivering_ept == ept &&
		    rpmsg_rx_index(rvdev, rvdev->dev.delivering) == (long)i) {
			/* Destroyed from its own callback, which held the message it is
			 * handling: that buffer goes back when the callback returns, as if never
			 * held (the callback may still read it until then). */
			rvdev->holder[i] = NULL;
			ept->rx_held--;
			rvdev->rx_num_held--;
			rvdev->deliver_held = false;
			continue;
		}
		rpmsg_rx_take_back_locked(rvdev, ept, i);
	}
	if (!rvdev_removed(rvdev))
		rpmsg_rx_publish_locked(rvdev);
	amp_mutex_unlock(&rvdev->rx_lock);

	amp_mutex_lock(&rvdev->tx_lock);
	for (i = rvdev->num_rx; ept->tx_out && i < rvdev->num_bufs; i++) {
		if (rvdev->holder[i] == ept) {
			rpmsg_tx_take_back_locked(rvdev, ept, i);
			rpmsg_tx_giveback_locked(rvdev, rpmsg_buf(rvdev, i));
		}
	}
	amp_mutex_unlock(&rvdev->tx_lock);
}

static void rpmsg_virtio_get_stats(struct rpmsg_dev *dev, struct rpmsg_stats *s)
{
	struct rpmsg_virtio_device *rvdev = rvdev_of(dev);

	s->broken = __atomic_load_n(&rvdev->broken_mask, __ATOMIC_RELAXED);
	amp_mutex_lock(&rvdev->rx_lock);
	s->rx_held = rvdev->rx_num_held;
	amp_mutex_unlock(&rvdev->rx_lock);
	amp_mutex_lock(&rvdev->tx_lock);
	s->tx_waiting = rvdev->tx_waiters;
	s->tx_out = rvdev->tx_num_out;
	amp_mutex_unlock(&rvdev->tx_lock);
}

static const struct rpmsg_dev_ops rpmsg_virtio_ops = {
	.send = rpmsg_virtio_send,
	.get_tx_buffer = rpmsg_virtio_get_tx_buffer,
	.send_nocopy = rpmsg_virtio_send_nocopy,
	.release_tx_buffer = rpmsg_virtio_release_tx_buffer,
	.hold_rx_buffer = rpmsg_virtio_hold_rx_buffer,
	.release_rx_buffer = rpmsg_virtio_release_rx_buffer,
	.ept_gone = rpmsg_virtio_ept_gone,
	.get_stats = rpmsg_virtio_get_stats,
	.release = rpmsg_virtio_release,
};

/* --- the device -------------------------------------------------------------------------- */

/*
 * An rpmsg bus instance on virtio device @vdev: rings set up, receive buffers posted, DRIVER_OK
 * set, the remote kicked. The buffer pool is @vdev's: half receive, half transmit.
 */
static int rpmsg_dev_create(struct virtio_device *vdev, struct rpmsg_virtio_device **out)
{
	static const char *const names[2] = {"rx vring 0", "tx vring 1"};
	struct rpmsg_virtio_device *rvdev;
	struct virtqueue *vqs[2];
	struct virtqueue_desc_state *states[2];
	unsigned int i;
	int ret;

	if (vdev->num_vrings != 2 || !vdev->buf_va || vdev->num_bufs < 2 || vdev->num_bufs % 2 ||
	    vdev->buf_size <= RPMSG_HDR_LEN || vdev->buf_size > 65535 + RPMSG_HDR_LEN ||
	    (uint64_t)vdev->num_bufs * vdev->buf_size > vdev->buf_len)
		return -AMP_EINVAL;
	rvdev = calloc(1, sizeof(*rvdev));
	if (!rvdev)
		return -AMP_ENOMEM;
	if (rpmsg_dev_init(&rvdev->dev, &rpmsg_virtio_ops, vdev->name, vdev->parent, vdev->index,
			   vdev->features & (1u << VIRTIO_RPMSG_F_NS),
			   vdev->buf_size - RPMSG_HDR_LEN)) {
		free(rvdev);
		return -AMP_ENOMEM;
	}
	rvdev->vdev = vdev;
	rvdev->vops = vdev->config;
	rvdev->polled = vdev->polled;
	rvdev->bufs = vdev->buf_va;
	rvdev->buf_da = vdev->buf_da;
	rvdev->buf_size = vdev->buf_size;
	rvdev->num_bufs = vdev->num_bufs;
	rvdev->num_rx = vdev->num_bufs / 2;
	rvdev->next_tx = rvdev->num_rx;
	rvdev->rx_ring_num = vdev->vring[0].num;
	amp_mutex_init(&rvdev->rx_lock);
	amp_mutex_init(&rvdev->tx_lock);
	amp_cond_init(&rvdev->tx_cond);

	ret = -AMP_ENOMEM;
	rvdev->rvq_state = calloc(vdev->vring[0].num ? vdev->vring[0].num : 1,
				  sizeof(*rvdev->rvq_state));
	rvdev->svq_state = calloc(vdev->vring[1].num ? vdev->vring[1].num : 1,
				  sizeof(*rvdev->svq_state));
	if (!rvdev->rvq_state || !rvdev->svq_state)
		goto out_free;
	vqs[0] = &rvdev->rvq;
	vqs[1] = &rvdev->svq;
	states[0] = rvdev->rvq_state;
	states[1] = rvdev->svq_state;
	ret = virtio_find_vqs(vdev, 2, vqs, states, names);
	if (ret)
		goto out_free;
	ret = -AMP_ENOMEM;
	rvdev->holder = calloc(rvdev->num_bufs, sizeof(*rvdev->holder));
	rvdev->tx_free = calloc(rvdev->num_bufs, sizeof(*rvdev->tx_free));
	if (!rvdev->holder || !rvdev->tx_free)
		goto out_free;

	/* Receive buffers: as many as the ring holds, up to half the pool. */
	for (i = 0; i < rvdev->num_rx && i < vdev->vring[0].num; i++) {
		ret = virtqueue_add_inbuf(&rvdev->rvq, rpmsg_buf_da(rvdev, rpmsg_buf(rvdev, i)),
					  rvdev->buf_size, rpmsg_buf(rvdev, i));
		if (ret)
			goto out_free;
	}
	/* Transmit-complete kicks are off until a sender waits. Polling mode never arms either
	 * ring: nobody would be kicked, and an armed ring costs a fence per buffer taken. */
	virtqueue_disable_cb(&rvdev->svq);
	if (rvdev->polled)
		virtqueue_disable_cb(&rvdev->rvq);

	ret = rpmsg_dev_register(&rvdev->dev);
	if (ret)
		goto out_free;

	vdev->config->set_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
					       VIRTIO_CONFIG_S_DRIVER_OK);
	/* Tell the remote its receive buffers are there (polled: the queue rings nothing). */
	if (virtqueue_kick_prepare(&rvdev->rvq))
		virtqueue_notify(&rvdev->rvq);
	/* Polled: senders reclaim transmit buffers themselves (rpmsg_get_tx_buf()), so the
	 * poller has nothing to do when the remote returns them, and need not count it as work
	 * (it would never be idle, and never leave the CPU to a sending thread). */
	if (rvdev->polled)
		vdev->poll_skip = 1u << 1;
	*out = rvdev;
	return 0;

out_free:
	rvdev_free(rvdev);
	return ret;
}

/* --- rpmsg_virtio_add(): a device whose transport is the caller's config ------------------ */

static struct rpmsg_cfg_vdev *rpmsg_cfg_of(struct virtio_device *vdev)
{
	return AMP_CONTAINER_OF(vdev, struct rpmsg_cfg_vdev, vdev);
}

static uint32_t rpmsg_cfg_get_features(struct virtio_device *vdev)
{
	return rpmsg_cfg_of(vdev)->cfg.features;
}

static int rpmsg_cfg_finalize_features(struct virtio_device *vdev)
{
	(void)vdev;
	return 0;
}

static uint8_t rpmsg_cfg_get_status(struct virtio_device *vdev)
{
	return rpmsg_cfg_of(vdev)->status;
}

static void rpmsg_cfg_set_status(struct virtio_device *vdev, uint8_t status)
{
	struct rpmsg_cfg_vdev *c = rpmsg_cfg_of(vdev);

	c->status = status;
	if ((status & VIRTIO_CONFIG_S_DRIVER_OK) && c->cfg.ready)
		c->cfg.ready(c->cfg.priv);
}

static void rpmsg_cfg_reset(struct virtio_device *vdev)
{
	rpmsg_cfg_of(vdev)->status = 0;
}

static void rpmsg_cfg_notify(struct virtqueue *vq)
{
	struct rpmsg_cfg_vdev *c = rpmsg_cfg_of(vq->priv);

	c->cfg.kick(c->cfg.priv, vq->index);
}

static void rpmsg_cfg_broken(struct virtio_device *vdev, unsigned int vqid)
{
	struct rpmsg_cfg_vdev *c = rpmsg_cfg_of(vdev);

	if (c->cfg.broken)
		c->cfg.broken(c->cfg.priv, vqid);
}

static struct virtio_buf_hold *rpmsg_cfg_hold_bufs(struct virtio_device *vdev)
{
	return (struct virtio_buf_hold *)(void *)rpmsg_cfg_of(vdev);
}

static void rpmsg_cfg_release_bufs(struct virtio_buf_hold *hold)
{
	struct rpmsg_cfg_vdev *c = (struct rpmsg_cfg_vdev *)(void *)hold;

	if (c->cfg.release_bufs)
		c->cfg.release_bufs(c->cfg.bufs_priv);
}

static const struct virtio_config_ops rpmsg_cfg_ops = {
	.get_features = rpmsg_cfg_get_features,
	.finalize_features = rpmsg_cfg_finalize_features,
	.get_status = rpmsg_cfg_get_status,
	.set_status = rpmsg_cfg_set_status,
	.reset = rpmsg_cfg_reset,
	.notify = rpmsg_cfg_notify,
	.broken = rpmsg_cfg_broken,
	.hold_bufs = rpmsg_cfg_hold_bufs,
	.release_bufs = rpmsg_cfg_release_bufs,
};

int rpmsg_virtio_add(const struct rpmsg_virtio_config *cfg, struct rpmsg_virtio_device **out)
{
	struct rpmsg_cfg_vdev *c;
	unsigned int i;
	int ret;

	if (!cfg)
		return -AMP_EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -AMP_ENOMEM;
	c->cfg = *cfg;
	c->vdev.name = cfg->name;
	c->vdev.id = VIRTIO_ID_RPMSG;
	c->vdev.features = cfg->features; /* negotiated already, says the config */
	c->vdev.config = &rpmsg_cfg_ops;
	c->vdev.num_vrings = 2;
	for (i = 0; i < 2; i++) {
		c->vdev.vring[i].va = cfg->vring_va[i];
		c->vdev.vring[i].len = cfg->vring_len[i];
		c->vdev.vring[i].num = cfg->vring_num[i];
		c->vdev.vring[i].align = cfg->vring_align[i];
	}
	c->vdev.buf_va = cfg->buf_va;
	c->vdev.buf_da = cfg->buf_da;
	c->vdev.buf_len = cfg->buf_len;
	c->vdev.buf_size = cfg->buf_size;
	c->vdev.num_bufs = cfg->num_bufs;
	c->vdev.polled = !cfg->kick;
	ret = rpmsg_dev_create(&c->vdev, out);
	if (ret) {
		free(c);
		return ret;
	}
	(*out)->own = c;
	return 0;
}

/* Senders stop waiting for buffers: those blocked return -ENODEV, new ones do not wait. A
 * sender checks going and sleeps under tx_lock, so only a broadcast under it is sure to reach
 * one between the two; without @may_wait (any context, perhaps with tx_lock held by this very
 * thread) it is tried, and a sender missed in that window is woken by the removal. */
static void rpmsg_going(struct rpmsg_virtio_device *rvdev, bool may_wait)
{
	__atomic_store_n(&rvdev->going, true, __ATOMIC_SEQ_CST);
	if (may_wait)
		amp_mutex_lock(&rvdev->tx_lock);
	else if (!amp_mutex_trylock(&rvdev->tx_lock)) {
		amp_cond_broadcast(&rvdev->tx_cond);
		return;
	}
	amp_cond_broadcast(&rvdev->tx_cond);
	amp_mutex_unlock(&rvdev->tx_lock);
}

void rpmsg_virtio_going(struct rpmsg_virtio_device *rvdev)
{
	rpmsg_going(rvdev, false);
}

bool rpmsg_virtio_notify(struct rpmsg_virtio_device *rvdev, unsigned int vqid)
{
	struct rpmsg_dev *outer;
	bool more = false;

	if (rvdev_removed(rvdev))
		return false;
	outer = rpmsg_notify_swap(&rvdev->dev);
	if (vqid == 0)
		more = rpmsg_rx_drain(rvdev);
	else
		rpmsg_tx_complete(rvdev);
	rpmsg_notify_swap(outer);
	return more;
}

/*
 * The device goes. Buffers the users still hold keep pointing into the pool: it is kept (the
 * transport's hold_bufs) until the last comes back, and a restart of the device meanwhile gets
 * other memory. Released at once if none is.
 */
static void rpmsg_dev_remove(struct rpmsg_virtio_device *rvdev)
{
	if (rvdev->vops->hold_bufs)
		rvdev->hold = rvdev->vops->hold_bufs(rvdev->vdev);

	/* Channels first, while sends still work (without waiting: the remote may be dead), so
	 * that drivers may say goodbye in remove(). */
	rpmsg_going(rvdev, true);
	rpmsg_dev_unregister(&rvdev->dev);

	/* From here nothing touches the rings: every path checks this under its lock. Buffers
	 * users hold are counted under the same locks: the pool is released when the last is
	 * back (the users keep their pointers until then). */
	amp_mutex_lock(&rvdev->rx_lock);
	amp_mutex_lock(&rvdev->tx_lock);
	__atomic_store_n(&rvdev->bufs_left, rvdev->rx_num_held + rvdev->tx_num_out,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&rvdev->dev.removed, true, __ATOMIC_RELEASE);
	amp_cond_broadcast(&rvdev->tx_cond);
	amp_mutex_unlock(&rvdev->tx_lock);
	amp_mutex_unlock(&rvdev->rx_lock);
	if (!__atomic_load_n(&rvdev->bufs_left, __ATOMIC_ACQUIRE))
		rpmsg_release_bufs(rvdev);

	rpmsg_dev_drop_epts(&rvdev->dev);
	rpmsg_dev_put(&rvdev->dev);
}

void rpmsg_virtio_remove(struct rpmsg_virtio_device *rvdev)
{
	rpmsg_dev_remove(rvdev);
}

/* --- the virtio driver of rpmsg devices ---------------------------------------------------- */

static const unsigned int rpmsg_virtio_features[] = {VIRTIO_RPMSG_F_NS};

static int rpmsg_virtio_probe(struct virtio_device *vdev)
{
	struct rpmsg_virtio_device *rvdev;
	int ret;

	/* The transport's geometry; Linux's when it has none. */
	if (!vdev->buf_size)
		vdev->buf_size = RPMSG_BUF_SIZE_DEFAULT;
	if (!vdev->num_bufs)
		vdev->num_bufs = (unsigned int)(vdev->buf_len / vdev->buf_size) & ~1u;
	ret = rpmsg_dev_create(vdev, &rvdev);
	if (!ret)
		vdev->priv = rvdev;
	return ret;
}

static void rpmsg_virtio_dev_remove(struct virtio_device *vdev)
{
	rpmsg_dev_remove(vdev->priv);
	vdev->priv = NULL;
}

static bool rpmsg_virtio_dev_notify(struct virtio_device *vdev, unsigned int vqid)
{
	return rpmsg_virtio_notify(vdev->priv, vqid);
}

static void rpmsg_virtio_dev_going(struct virtio_device *vdev)
{
	rpmsg_virtio_going(vdev->priv);
}

const struct virtio_driver rpmsg_virtio_driver = {
	.name = "virtio_rpmsg_bus",
	.id = VIRTIO_ID_RPMSG,
	.feature_table = rpmsg_virtio_features,
	.feature_table_size = 1,
	.probe = rpmsg_virtio_probe,
	.remove = rpmsg_virtio_dev_remove,
	.notify = rpmsg_virtio_dev_notify,
	.going = rpmsg_virtio_dev_going,
};

struct rpmsg_virtio_device *rpmsg_virtio_device_of(struct virtio_device *vdev)
{
	return vdev && vdev->driver == &rpmsg_virtio_driver ? vdev->priv : NULL;
}

