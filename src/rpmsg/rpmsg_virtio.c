/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host's rpmsg bus over a virtio rpmsg device: buffers, the receive and transmit paths, the
 * name service, endpoints, channels and drivers. Host layer.
 *
 * Locks, outermost first: rpmsg_bus_lock (drivers, devices, channels), rvdev->ept_lock (the
 * endpoint table, callbacks in flight), rvdev->rx_lock (the receive ring), rvdev->tx_lock (the
 * transmit ring and its buffers). No lock is held while a user callback runs, except
 * rpmsg_bus_lock around probe() and remove().
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <amp/errno.h>
#include <amp/log.h>
#include <amp/remoteproc.h>
#include <amp/rpmsg.h>
#include <amp/wire/rsc_table.h>
#include <amp/virtqueue.h>

#include "os/os.h"
#include "rpmsg/rpmsg_internal.h"
#include "rpmsg/rpmsg_proto.h"
#include "util/amp_diag_format.h"

#define RPMSG_HDR_LEN ((uint32_t)sizeof(struct rpmsg_hdr))
#define RPMSG_EPT_SLOTS_MIN 64u
/* A blocking send in the notification context polls the ring at this pace (see rpmsg.h). */
#define RPMSG_NOTIFY_POLL_NS 100000L

struct rpmsg_endpoint {
	struct rpmsg_virtio_device *rvdev;
	struct rpmsg_channel *rpdev;
	uint32_t addr;
	rpmsg_rx_cb_t cb;
	void *priv;
	uint32_t timeout_ms;
	unsigned int busy; /* its callback is running; guarded by ept_lock */
	bool dead;         /* destroyed: no more callbacks; atomic (read without ept_lock) */
	bool free_on_done; /* destroyed from its own callback: freed when that returns */
};

/*
 * Receive buffers are taken from the ring and given back in batches of up to this many: the
 * receive lock is taken twice per batch instead of twice per message, and avail->idx moves
 * once per batch (the remote, which reads it, misses on its line once per batch).
 */
#define RPMSG_RX_BATCH 32u

struct rpmsg_virtio_device {
	char name[64];
	/* Delivered buffers of the batch being drained, not given back yet. Notification
	 * context only: a callback that waits for a transmit buffer gives them back first. */
	void *repost[RPMSG_RX_BATCH];
	unsigned int num_repost;
	struct rpmsg_virtio_config cfg;
	unsigned int refs; /* the device's own, and one per endpoint; atomic */
	bool going;        /* being removed: sends no longer wait for buffers; atomic */
	bool removed;      /* atomic */

	struct virtqueue rvq, svq;
	struct virtqueue_desc_state *rvq_state, *svq_state;
	uint8_t *bufs;
	unsigned int buf_size, num_bufs, num_rx;

	struct amp_mutex rx_lock;
	uint8_t *rx_held;          /* per receive buffer: held past its callback */
	const void *delivering;    /* the payload being delivered (notification thread only) */
	bool deliver_held;

	struct amp_mutex tx_lock;
	struct amp_cond tx_cond;
	unsigned int next_tx;      /* never-used transmit buffers start here */
	unsigned int *tx_free;     /* transmit buffers released unused */
	unsigned int num_tx_free;
	uint8_t *tx_out;           /* per buffer: handed out for zero-copy */
	unsigned int tx_waiters;

	struct amp_mutex ept_lock;
	struct amp_cond ept_cond;
	struct rpmsg_ept_table epts;
	struct rpmsg_endpoint *ns_ept;

	struct rpmsg_channel *channels; /* guarded by rpmsg_bus_lock */
	unsigned int num_channels;
	bool broken_reported;
	uint32_t broken_mask; /* atomic: bit per vring the remote broke */
	struct rpmsg_stats stats;       /* atomic counters */
	struct rpmsg_virtio_device *next;
};

static struct amp_mutex rpmsg_bus_lock = AMP_MUTEX_INITIALIZER;
static struct rpmsg_driver *rpmsg_drivers;
/* guarded by rpmsg_bus_lock */
static rpmsg_channel_watch_t rpmsg_watch_fn;
static void *rpmsg_watch_priv;
static struct rpmsg_virtio_device *rpmsg_devices;
/* The device whose notification context this thread is running (its callbacks), or NULL. */
static _Thread_local struct rpmsg_virtio_device *rpmsg_notify_dev;

/* Each counter has one writer at a time (the notification context, one thread at a time, or
 * the holder of tx_lock): a load and a store, not a locked read-modify-write per message.
 * Atomic so that rpmsg_get_stats() may read them from any thread. */
#define STAT_INC(rvdev, field)                                                                 \
	__atomic_store_n(&(rvdev)->stats.field,                                                 \
			 __atomic_load_n(&(rvdev)->stats.field, __ATOMIC_RELAXED) + 1,           \
			 __ATOMIC_RELAXED)

static bool rvdev_removed(const struct rpmsg_virtio_device *rvdev)
{
	return __atomic_load_n(&rvdev->removed, __ATOMIC_ACQUIRE);
}

static void rvdev_free(struct rpmsg_virtio_device *rvdev)
{
	amp_cond_destroy(&rvdev->ept_cond);
	amp_cond_destroy(&rvdev->tx_cond);
	amp_mutex_destroy(&rvdev->ept_lock);
	amp_mutex_destroy(&rvdev->tx_lock);
	amp_mutex_destroy(&rvdev->rx_lock);
	free(rvdev->epts.slots);
	free(rvdev->rvq_state);
	free(rvdev->svq_state);
	free(rvdev->rx_held);
	free(rvdev->tx_out);
	free(rvdev->tx_free);
	free(rvdev);
}

static void rvdev_put(struct rpmsg_virtio_device *rvdev)
{
	if (__atomic_sub_fetch(&rvdev->refs, 1, __ATOMIC_ACQ_REL) == 0)
		rvdev_free(rvdev);
}

static uint8_t *rpmsg_buf(struct rpmsg_virtio_device *rvdev, unsigned int i)
{
	return rvdev->bufs + (size_t)i * rvdev->buf_size;
}

static uint64_t rpmsg_buf_da(struct rpmsg_virtio_device *rvdev, const void *buf)
{
	return rvdev->cfg.buf_da + (uint64_t)((const uint8_t *)buf - rvdev->bufs);
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

static void rpmsg_report_broken(struct rpmsg_virtio_device *rvdev, struct virtqueue *vq)
{
	char why[160];

	__atomic_fetch_or(&rvdev->broken_mask, 1u << (vq->index & 31), __ATOMIC_RELAXED);
	if (__atomic_exchange_n(&rvdev->broken_reported, true, __ATOMIC_RELAXED))
		return;
	amp_diag_format(virtqueue_broken_diag(vq), why, sizeof(why));
	amp_log(AMP_LOG_ERR, "%s: %s broken by the remote (%s); its traffic stopped", rvdev->name,
		vq->name, why);
	if (rvdev->cfg.broken)
		rvdev->cfg.broken(rvdev->cfg.priv, vq->index);
}

static void rpmsg_vq_notify(struct virtqueue *vq)
{
	struct rpmsg_virtio_device *rvdev = vq->priv;

	if (rvdev->cfg.kick)
		rvdev->cfg.kick(rvdev->cfg.priv, vq->index);
}

/* --- receive ----------------------------------------------------------------------------- */

/* Give @n receive buffers back to the remote: one lock, one publication of avail->idx (a line
 * the remote reads), at most one kick. */
static void rpmsg_rx_repost_batch(struct rpmsg_virtio_device *rvdev, void *const *bufs,
				  unsigned int n)
{
	unsigned int i;
	bool kick;

	amp_mutex_lock(&rvdev->rx_lock);
	if (rvdev_removed(rvdev)) {
		amp_mutex_unlock(&rvdev->rx_lock);
		return;
	}
	for (i = 0; i < n; i++) {
		if (virtqueue_add_inbuf_deferred(&rvdev->rvq, rpmsg_buf_da(rvdev, bufs[i]),
						 rvdev->buf_size, bufs[i])) {
			rpmsg_report_broken(rvdev, &rvdev->rvq);
			break;
		}
	}
	virtqueue_publish_avail(&rvdev->rvq);
	kick = rvdev->cfg.kick && virtqueue_kick_prepare(&rvdev->rvq);
	/* Under the lock: the doorbell belongs to the processor's vdev, which a removal (it
	 * takes this lock) may free as soon as it returns. */
	if (kick)
		virtqueue_notify(&rvdev->rvq);
	amp_mutex_unlock(&rvdev->rx_lock);
}

/* Give receive buffer @buf back to the remote. */
static void rpmsg_rx_repost(struct rpmsg_virtio_device *rvdev, void *buf)
{
	rpmsg_rx_repost_batch(rvdev, &buf, 1);
}

static struct rpmsg_endpoint *rpmsg_ept_get(struct rpmsg_virtio_device *rvdev, uint32_t addr)
{
	struct rpmsg_endpoint *ept;

	amp_mutex_lock(&rvdev->ept_lock);
	ept = rpmsg_ept_table_lookup(&rvdev->epts, addr);
	if (ept)
		ept->busy++;
	amp_mutex_unlock(&rvdev->ept_lock);
	return ept;
}

static void rpmsg_ept_free(struct rpmsg_endpoint *ept)
{
	struct rpmsg_virtio_device *rvdev = ept->rvdev;

	free(ept);
	rvdev_put(rvdev);
}

static void rpmsg_ept_done(struct rpmsg_endpoint *ept)
{
	struct rpmsg_virtio_device *rvdev = ept->rvdev;
	bool free_it;

	amp_mutex_lock(&rvdev->ept_lock);
	ept->busy--;
	free_it = ept->free_on_done && !ept->busy;
	amp_cond_broadcast(&rvdev->ept_cond);
	amp_mutex_unlock(&rvdev->ept_lock);
	if (free_it)
		rpmsg_ept_free(ept);
}

static bool rpmsg_ept_dead(const struct rpmsg_endpoint *ept)
{
	return __atomic_load_n(&ept->dead, __ATOMIC_RELAXED);
}

/*
 * The endpoint the messages of a receive batch go to: consecutive messages to one address keep
 * the endpoint taken (busy) from one to the next, so that ept_lock is taken twice per run of
 * messages, not twice per message. A destroyed endpoint ends the run (its next message is
 * looked up again). A thread destroying the endpoint waits for the run, not just the callback.
 */
struct rpmsg_rx_run {
	struct rpmsg_endpoint *ept;
	uint32_t addr;
};

static void rpmsg_rx_run_end(struct rpmsg_rx_run *run)
{
	if (run->ept)
		rpmsg_ept_done(run->ept);
	run->ept = NULL;
}

/* Deliver the message in receive buffer @buf; returns whether the buffer goes back to the
 * remote now (false: a callback holds it). */
static bool rpmsg_rx_one(struct rpmsg_virtio_device *rvdev, struct rpmsg_rx_run *run, void *buf,
			 uint32_t len)
{
	struct rpmsg_rx_msg msg;
	struct rpmsg_endpoint *ept;

	if (rpmsg_rx_parse(buf, len, rvdev->buf_size, &msg)) {
		STAT_INC(rvdev, rx_bad);
		amp_log(AMP_LOG_WARN, "%s: dropped a message with a bad header (used length %u)",
			rvdev->name, len);
		return true;
	}
	if (run->ept && (run->addr != msg.dst || rpmsg_ept_dead(run->ept)))
		rpmsg_rx_run_end(run);
	if (!run->ept) {
		run->ept = rpmsg_ept_get(rvdev, msg.dst);
		run->addr = msg.dst;
	}
	ept = run->ept;
	if (!ept) {
		STAT_INC(rvdev, rx_no_ept);
		return true;
	}
	rvdev->delivering = msg.data;
	rvdev->deliver_held = false;
	/* Counted before the callback: what the callback makes happen sees the count. */
	STAT_INC(rvdev, rx_msgs);
	if (!rpmsg_ept_dead(ept) && ept->cb)
		ept->cb(ept->rpdev, (void *)(uintptr_t)msg.data, msg.len, ept->priv, msg.src);
	rvdev->delivering = NULL;
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
	int ret;

	for (;; done += n) {
		if (done >= rvdev->cfg.vring_num[0])
			return true;
		amp_mutex_lock(&rvdev->rx_lock);
		for (n = 0; n < RPMSG_RX_BATCH; n++)
			if ((ret = virtqueue_get_buf(&rvdev->rvq, &bufs[n], &lens[n])) != 1)
				break;
		/* Polling mode (no doorbell) needs no arming, and saves its full fence. */
		if (n == 0 && ret == 0 && (!rvdev->cfg.kick || virtqueue_enable_cb(&rvdev->rvq))) {
			/* Empty, and the remote will kick us for the next one. */
			amp_mutex_unlock(&rvdev->rx_lock);
			return false;
		}
		/* Nor disarming: in polling mode that is a store to a ring line per batch. */
		if (n && rvdev->cfg.kick)
			virtqueue_disable_cb(&rvdev->rvq);
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

static void *rpmsg_get_tx_buf(struct rpmsg_virtio_device *rvdev, uint32_t timeout_ms, int *err)
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
		if (timeout_ms == 0 || __atomic_load_n(&rvdev->going, __ATOMIC_ACQUIRE)) {
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
		if (!rvdev->cfg.kick) {
			/* Polling mode: nobody tells us when a buffer comes back (the poller skips
			 * the transmit ring, see rpmsg_rproc_probe()); look again, leaving the CPU
			 * to whoever else wants it between looks. */
			rvdev->tx_waiters++;
			amp_mutex_unlock(&rvdev->tx_lock);
			if (rpmsg_notify_dev == rvdev)
				rpmsg_rx_flush(rvdev); /* as below */
			amp_yield();
			amp_mutex_lock(&rvdev->tx_lock);
			rvdev->tx_waiters--;
			continue;
		}
		/* Ask for transmit-complete kicks only while someone waits, as Linux does, and
		 * look again after arming, so that a buffer returned meanwhile is not missed. */
		if (rvdev->tx_waiters++ == 0 && !virtqueue_enable_cb(&rvdev->svq)) {
			rvdev->tx_waiters--;
			continue;
		}
		if (rpmsg_notify_dev == rvdev) {
			/* The kick that would wake us is handled by this thread: poll instead. And
			 * give back the receive buffers this batch has delivered: a remote that
			 * waits for one before it returns ours would otherwise wait for us. */
			struct timespec ts = {0, RPMSG_NOTIFY_POLL_NS};

			amp_mutex_unlock(&rvdev->tx_lock);
			rpmsg_rx_flush(rvdev);
			nanosleep(&ts, NULL);
			amp_mutex_lock(&rvdev->tx_lock);
		} else {
			amp_cond_wait_until(&rvdev->tx_cond, &rvdev->tx_lock, deadline);
		}
		/* After the device went, the ring is not ours to touch (removal has returned). */
		if (--rvdev->tx_waiters == 0 && !rvdev_removed(rvdev))
			virtqueue_disable_cb(&rvdev->svq);
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
	*kick = !ret && rvdev->cfg.kick && virtqueue_kick_prepare(&rvdev->svq);
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
	__atomic_add_fetch(&rvdev->refs, 1, __ATOMIC_RELAXED);
	buf = rpmsg_get_tx_buf(rvdev, timeout_ms, &err);
	if (buf) {
		rpmsg_tx_fill(buf, src, dst, data, len);
		err = rpmsg_tx_post(rvdev, buf, RPMSG_HDR_LEN + (uint32_t)len);
		if (err)
			rpmsg_tx_giveback(rvdev, buf);
	}
	rvdev_put(rvdev);
	return err;
}

static void rpmsg_tx_complete(struct rpmsg_virtio_device *rvdev)
{
	amp_mutex_lock(&rvdev->tx_lock);
	if (rvdev->tx_waiters)
		amp_cond_broadcast(&rvdev->tx_cond);
	amp_mutex_unlock(&rvdev->tx_lock);
}

/* --- endpoints --------------------------------------------------------------------------- */

/* Grow the table when full: a new slot array twice as large, every entry moved. ept_lock held. */
static int rpmsg_ept_table_grow(struct rpmsg_virtio_device *rvdev)
{
	struct rpmsg_ept_table old = rvdev->epts, grown;
	struct rpmsg_ept_slot *slots = calloc(old.cap * 2, sizeof(*slots));
	uint32_t i;

	if (!slots)
		return -AMP_ENOMEM;
	rpmsg_ept_table_init(&grown, slots, old.cap * 2);
	grown.next_dynamic = old.next_dynamic;
	for (i = 0; i < old.cap; i++)
		if (old.slots[i].ept)
			rpmsg_ept_table_insert(&grown, old.slots[i].addr, old.slots[i].ept);
	free(old.slots);
	rvdev->epts = grown;
	return 0;
}

static struct rpmsg_endpoint *rpmsg_ept_new(struct rpmsg_virtio_device *rvdev,
					    struct rpmsg_channel *rpdev, rpmsg_rx_cb_t cb,
					    void *priv, uint32_t addr)
{
	struct rpmsg_endpoint *ept = calloc(1, sizeof(*ept));
	int ret = 0;

	if (!ept)
		return NULL;
	ept->rvdev = rvdev;
	ept->rpdev = rpdev;
	ept->cb = cb;
	ept->priv = priv;
	ept->timeout_ms = RPMSG_SEND_TIMEOUT_MS;
	amp_mutex_lock(&rvdev->ept_lock);
	if (rvdev_removed(rvdev))
		ret = -AMP_ENODEV;
	if (!ret && rpmsg_ept_table_full(&rvdev->epts))
		ret = rpmsg_ept_table_grow(rvdev);
	if (!ret && addr == RPMSG_ADDR_ANY)
		ret = rpmsg_ept_table_alloc_addr(&rvdev->epts, &addr);
	if (!ret)
		ret = rpmsg_ept_table_insert(&rvdev->epts, addr, ept);
	amp_mutex_unlock(&rvdev->ept_lock);
	if (ret) {
		free(ept);
		return NULL;
	}
	ept->addr = addr;
	__atomic_add_fetch(&rvdev->refs, 1, __ATOMIC_RELAXED);
	return ept;
}

struct rpmsg_endpoint *rpmsg_create_ept(struct rpmsg_channel *rpdev, rpmsg_rx_cb_t cb, void *priv,
					u32 addr)
{
	if (!rpdev || !rpdev->rvdev)
		return NULL;
	return rpmsg_ept_new(rpdev->rvdev, rpdev, cb, priv, addr);
}

void rpmsg_destroy_ept(struct rpmsg_endpoint *ept)
{
	struct rpmsg_virtio_device *rvdev;
	bool free_now;

	if (!ept)
		return;
	rvdev = ept->rvdev;
	amp_mutex_lock(&rvdev->ept_lock);
	if (rpmsg_ept_table_lookup(&rvdev->epts, ept->addr) == ept)
		rpmsg_ept_table_remove(&rvdev->epts, ept->addr);
	__atomic_store_n(&ept->dead, true, __ATOMIC_RELAXED);
	/* From another thread, wait for its callback to finish; from this device's notification
	 * thread the running callback is its own (one runs at a time): free it when it returns. */
	while (ept->busy && rpmsg_notify_dev != rvdev)
		amp_cond_wait(&rvdev->ept_cond, &rvdev->ept_lock);
	free_now = !ept->busy;
	ept->free_on_done = !free_now;
	amp_mutex_unlock(&rvdev->ept_lock);
	if (free_now)
		rpmsg_ept_free(ept);
}

u32 rpmsg_ept_addr(const struct rpmsg_endpoint *ept)
{
	return ept->addr;
}

void rpmsg_set_timeout(struct rpmsg_endpoint *ept, uint32_t timeout_ms)
{
	__atomic_store_n(&ept->timeout_ms, timeout_ms, __ATOMIC_RELAXED);
}

int rpmsg_get_mtu(struct rpmsg_endpoint *ept)
{
	return (int)(ept->rvdev->buf_size - RPMSG_HDR_LEN);
}

int rpmsg_ept_sendto(struct rpmsg_endpoint *ept, u32 dst, const void *data, int len,
		     uint32_t timeout_ms)
{
	if (!ept)
		return -AMP_EINVAL;
	return rpmsg_send_common(ept->rvdev, ept->addr, dst, data, len, timeout_ms);
}

static uint32_t rpmsg_channel_timeout(struct rpmsg_channel *rpdev)
{
	return rpdev->ept ? __atomic_load_n(&rpdev->ept->timeout_ms, __ATOMIC_RELAXED)
			  : RPMSG_SEND_TIMEOUT_MS;
}

int rpmsg_send(struct rpmsg_channel *rpdev, const void *data, int len)
{
	return rpmsg_send_offchannel(rpdev, rpdev->src, rpdev->dst, data, len);
}

int rpmsg_sendto(struct rpmsg_channel *rpdev, const void *data, int len, u32 dst)
{
	return rpmsg_send_offchannel(rpdev, rpdev->src, dst, data, len);
}

int rpmsg_send_offchannel(struct rpmsg_channel *rpdev, u32 src, u32 dst, const void *data,
			  int len)
{
	if (!rpdev || !rpdev->rvdev)
		return -AMP_EINVAL;
	return rpmsg_send_common(rpdev->rvdev, src, dst, data, len, rpmsg_channel_timeout(rpdev));
}

int rpmsg_trysend(struct rpmsg_channel *rpdev, const void *data, int len)
{
	return rpmsg_trysend_offchannel(rpdev, rpdev->src, rpdev->dst, data, len);
}

int rpmsg_trysendto(struct rpmsg_channel *rpdev, const void *data, int len, u32 dst)
{
	return rpmsg_trysend_offchannel(rpdev, rpdev->src, dst, data, len);
}

int rpmsg_trysend_offchannel(struct rpmsg_channel *rpdev, u32 src, u32 dst, const void *data,
			     int len)
{
	if (!rpdev || !rpdev->rvdev)
		return -AMP_EINVAL;
	return rpmsg_send_common(rpdev->rvdev, src, dst, data, len, 0);
}

void *rpmsg_get_tx_buffer(struct rpmsg_endpoint *ept, uint32_t *len, uint32_t timeout_ms)
{
	struct rpmsg_virtio_device *rvdev = ept->rvdev;
	uint8_t *buf;
	int err;

	buf = rpmsg_get_tx_buf(rvdev, timeout_ms, &err);
	if (!buf)
		return NULL;
	amp_mutex_lock(&rvdev->tx_lock);
	rvdev->tx_out[rpmsg_buf_index(rvdev, buf, 0)] = 1;
	amp_mutex_unlock(&rvdev->tx_lock);
	*len = rvdev->buf_size - RPMSG_HDR_LEN;
	return buf + RPMSG_HDR_LEN;
}

/* Take back a zero-copy buffer from its user: its start, or NULL if @payload is not one. */
static uint8_t *rpmsg_tx_claim(struct rpmsg_virtio_device *rvdev, void *payload)
{
	long i = rpmsg_buf_index(rvdev, payload, RPMSG_HDR_LEN);
	uint8_t *buf = NULL;

	amp_mutex_lock(&rvdev->tx_lock);
	if (i >= 0 && rvdev->tx_out[i]) {
		rvdev->tx_out[i] = 0;
		buf = rpmsg_buf(rvdev, (unsigned int)i);
	}
	amp_mutex_unlock(&rvdev->tx_lock);
	return buf;
}

int rpmsg_send_nocopy(struct rpmsg_endpoint *ept, u32 dst, void *payload, int len)
{
	struct rpmsg_virtio_device *rvdev = ept->rvdev;
	uint8_t *buf;
	int ret;

	if (dst == RPMSG_ADDR_ANY || len < 0)
		return -AMP_EINVAL;
	if ((uint32_t)len > rvdev->buf_size - RPMSG_HDR_LEN)
		return -AMP_EMSGSIZE;
	buf = rpmsg_tx_claim(rvdev, payload);
	if (!buf)
		return -AMP_EINVAL;
	rpmsg_hdr_write(buf, ept->addr, dst, (uint16_t)len);
	ret = rpmsg_tx_post(rvdev, buf, RPMSG_HDR_LEN + (uint32_t)len);
	if (ret) {
		/* Still the caller's, as documented. */
		amp_mutex_lock(&rvdev->tx_lock);
		rvdev->tx_out[rpmsg_buf_index(rvdev, buf, 0)] = 1;
		amp_mutex_unlock(&rvdev->tx_lock);
	}
	return ret;
}

void rpmsg_release_tx_buffer(struct rpmsg_endpoint *ept, void *payload)
{
	uint8_t *buf = rpmsg_tx_claim(ept->rvdev, payload);

	if (buf)
		rpmsg_tx_giveback(ept->rvdev, buf);
}

int rpmsg_hold_rx_buffer(struct rpmsg_endpoint *ept, void *data)
{
	struct rpmsg_virtio_device *rvdev = ept->rvdev;
	long i;

	if (rpmsg_notify_dev != rvdev || data != rvdev->delivering)
		return -AMP_EINVAL;
	i = rpmsg_buf_index(rvdev, data, RPMSG_HDR_LEN);
	if (i < 0)
		return -AMP_EINVAL;
	amp_mutex_lock(&rvdev->rx_lock);
	rvdev->rx_held[i] = 1;
	amp_mutex_unlock(&rvdev->rx_lock);
	rvdev->deliver_held = true;
	return 0;
}

void rpmsg_release_rx_buffer(struct rpmsg_endpoint *ept, void *data)
{
	struct rpmsg_virtio_device *rvdev = ept->rvdev;
	long i = rpmsg_buf_index(rvdev, data, RPMSG_HDR_LEN);
	bool held = false;

	if (i < 0)
		return;
	amp_mutex_lock(&rvdev->rx_lock);
	if (rvdev->rx_held[i]) {
		rvdev->rx_held[i] = 0;
		held = true;
	}
	amp_mutex_unlock(&rvdev->rx_lock);
	if (held)
		rpmsg_rx_repost(rvdev, rpmsg_buf(rvdev, (unsigned int)i));
}

/* --- channels and drivers ---------------------------------------------------------------- */

static bool rpmsg_driver_matches(const struct rpmsg_driver *drv, const char *name)
{
	const struct rpmsg_device_id *id;

	for (id = drv->id_table; id->name[0]; id++)
		if (!strncmp(id->name, name, RPMSG_NAME_SIZE))
			return true;
	return false;
}

static void rpmsg_announce(struct rpmsg_channel *ch, bool destroy)
{
	struct rpmsg_virtio_device *rvdev = ch->rvdev;
	uint8_t msg[sizeof(struct rpmsg_ns_msg)];
	int ret;

	if (!ch->announce || !(rvdev->cfg.features & (1u << VIRTIO_RPMSG_F_NS)))
		return;
	rpmsg_ns_write(msg, ch->name, ch->src, destroy);
	ret = rpmsg_send_common(rvdev, ch->src, RPMSG_NS_ADDR, msg, sizeof(msg),
				RPMSG_SEND_TIMEOUT_MS);
	if (ret && ret != -AMP_ENODEV)
		amp_log(AMP_LOG_WARN, "%s: could not announce channel %s (%s)", rvdev->name,
			ch->name, amp_errname(ret));
}

/* Bind @ch to @drv: default endpoint, probe, announce. rpmsg_bus_lock held. */
static void rpmsg_channel_probe(struct rpmsg_channel *ch, const struct rpmsg_driver *drv)
{
	struct rpmsg_endpoint *ept;
	int ret;

	ept = rpmsg_ept_new(ch->rvdev, ch, drv->callback, NULL, ch->src);
	if (!ept) {
		amp_log(AMP_LOG_WARN, "%s: channel %s: no endpoint at 0x%x for driver %s",
			ch->rvdev->name, ch->name, ch->src, drv->name ? drv->name : "?");
		return;
	}
	ch->src = ept->addr;
	ch->ept = ept;
	ch->driver = drv;
	ret = drv->probe(ch);
	if (ret) {
		amp_log(AMP_LOG_WARN, "%s: channel %s: driver %s probe failed (%s)", ch->rvdev->name,
			ch->name, drv->name ? drv->name : "?", amp_errname(ret));
		ch->driver = NULL;
		ch->ept = NULL;
		rpmsg_destroy_ept(ept);
		return;
	}
	rpmsg_announce(ch, false);
}

static void rpmsg_channel_match(struct rpmsg_channel *ch)
{
	struct rpmsg_driver *drv;

	for (drv = rpmsg_drivers; drv && !ch->driver; drv = drv->next)
		if (rpmsg_driver_matches(drv, ch->name))
			rpmsg_channel_probe(ch, drv);
}

/* Unbind @ch from its driver. rpmsg_bus_lock held. */
static void rpmsg_channel_unbind(struct rpmsg_channel *ch)
{
	const struct rpmsg_driver *drv = ch->driver;
	struct rpmsg_endpoint *ept = ch->ept;

	if (!drv)
		return;
	rpmsg_announce(ch, true);
	if (drv->remove)
		drv->remove(ch);
	ch->driver = NULL;
	ch->ept = NULL;
	if (ept)
		rpmsg_destroy_ept(ept);
}

static struct rpmsg_channel *rpmsg_channel_lookup(struct rpmsg_virtio_device *rvdev,
						  const char *name, uint32_t src, uint32_t dst)
{
	struct rpmsg_channel *ch;

	for (ch = rvdev->channels; ch; ch = ch->next)
		if (!strncmp(ch->name, name, RPMSG_NAME_SIZE) &&
		    (src == RPMSG_ADDR_ANY || ch->src == src) && ch->dst == dst)
			return ch;
	return NULL;
}

/* rpmsg_bus_lock held. */
static struct rpmsg_channel *rpmsg_channel_add(struct rpmsg_virtio_device *rvdev, const char *name,
					       uint32_t src, uint32_t dst, bool announce)
{
	struct rpmsg_channel *ch;

	if (rvdev_removed(rvdev) || rpmsg_channel_lookup(rvdev, name, src, dst) ||
	    rvdev->num_channels >= RPMSG_MAX_CHANNELS)
		return NULL;
	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return NULL;
	snprintf(ch->name, sizeof(ch->name), "%s", name);
	ch->src = src;
	ch->dst = dst;
	ch->rvdev = rvdev;
	ch->announce = announce && src != RPMSG_ADDR_ANY;
	ch->next = rvdev->channels;
	rvdev->channels = ch;
	rvdev->num_channels++;
	rpmsg_channel_match(ch);
	if (rpmsg_watch_fn)
		rpmsg_watch_fn(ch, RPMSG_CHANNEL_UP, rpmsg_watch_priv);
	return ch;
}

/* rpmsg_bus_lock held. */
static void rpmsg_channel_del(struct rpmsg_channel *ch)
{
	struct rpmsg_virtio_device *rvdev = ch->rvdev;
	struct rpmsg_channel **pp;

	if (rpmsg_watch_fn)
		rpmsg_watch_fn(ch, RPMSG_CHANNEL_DOWN, rpmsg_watch_priv);
	rpmsg_channel_unbind(ch);
	for (pp = &rvdev->channels; *pp; pp = &(*pp)->next) {
		if (*pp == ch) {
			*pp = ch->next;
			break;
		}
	}
	rvdev->num_channels--;
	free(ch);
}

/* The name service: the remote announces (CREATE) and withdraws (DESTROY) its services. */
static void rpmsg_ns_cb(struct rpmsg_channel *unused, void *data, int len, void *priv, u32 src)
{
	struct rpmsg_virtio_device *rvdev = priv;
	struct rpmsg_ns_info ns;
	struct rpmsg_channel *ch;

	(void)unused;
	(void)src;
	if (rpmsg_ns_parse(data, (uint32_t)len, &ns)) {
		STAT_INC(rvdev, ns_bad);
		amp_log(AMP_LOG_WARN, "%s: malformed name-service message (%d bytes) dropped",
			rvdev->name, len);
		return;
	}
	amp_mutex_lock(&rpmsg_bus_lock);
	if (ns.destroy) {
		ch = rpmsg_channel_lookup(rvdev, ns.name, RPMSG_ADDR_ANY, ns.addr);
		if (ch)
			rpmsg_channel_del(ch);
	} else if (!rpmsg_channel_add(rvdev, ns.name, RPMSG_ADDR_ANY, ns.addr, false)) {
		STAT_INC(rvdev, ns_refused);
		amp_log(AMP_LOG_WARN, "%s: channel %s at 0x%x refused (duplicate, or over %u)",
			rvdev->name, ns.name, ns.addr, RPMSG_MAX_CHANNELS);
	}
	amp_mutex_unlock(&rpmsg_bus_lock);
}

int register_rpmsg_driver(struct rpmsg_driver *drv)
{
	struct rpmsg_virtio_device *rvdev;
	struct rpmsg_driver *d;
	struct rpmsg_channel *ch;

	if (!drv || !drv->id_table || !drv->probe)
		return -AMP_EINVAL;
	amp_mutex_lock(&rpmsg_bus_lock);
	for (d = rpmsg_drivers; d; d = d->next) {
		if (d == drv) {
			amp_mutex_unlock(&rpmsg_bus_lock);
			return -AMP_EBUSY;
		}
	}
	drv->next = rpmsg_drivers;
	rpmsg_drivers = drv;
	for (rvdev = rpmsg_devices; rvdev; rvdev = rvdev->next)
		for (ch = rvdev->channels; ch; ch = ch->next)
			if (!ch->driver && rpmsg_driver_matches(drv, ch->name))
				rpmsg_channel_probe(ch, drv);
	amp_mutex_unlock(&rpmsg_bus_lock);
	return 0;
}

void unregister_rpmsg_driver(struct rpmsg_driver *drv)
{
	struct rpmsg_virtio_device *rvdev;
	struct rpmsg_driver **pp;
	struct rpmsg_channel *ch;

	amp_mutex_lock(&rpmsg_bus_lock);
	for (pp = &rpmsg_drivers; *pp; pp = &(*pp)->next) {
		if (*pp == drv) {
			*pp = drv->next;
			break;
		}
	}
	for (rvdev = rpmsg_devices; rvdev; rvdev = rvdev->next)
		for (ch = rvdev->channels; ch; ch = ch->next)
			if (ch->driver == drv)
				rpmsg_channel_unbind(ch);
	amp_mutex_unlock(&rpmsg_bus_lock);
}

struct rpmsg_channel *rpmsg_create_channel(struct rpmsg_virtio_device *rvdev, const char *name,
					   u32 src, u32 dst)
{
	struct rpmsg_channel *ch;

	if (!rvdev || !name || !*name || strlen(name) >= RPMSG_NAME_SIZE)
		return NULL;
	amp_mutex_lock(&rpmsg_bus_lock);
	ch = rpmsg_channel_add(rvdev, name, src, dst, true);
	amp_mutex_unlock(&rpmsg_bus_lock);
	return ch;
}

void rpmsg_release_channel(struct rpmsg_channel *rpdev)
{
	amp_mutex_lock(&rpmsg_bus_lock);
	rpmsg_channel_del(rpdev);
	amp_mutex_unlock(&rpmsg_bus_lock);
}

struct rpmsg_channel *rpmsg_channel_find(struct rpmsg_virtio_device *rvdev, const char *name)
{
	struct rpmsg_channel *ch;

	amp_mutex_lock(&rpmsg_bus_lock);
	for (ch = rvdev->channels; ch && strncmp(ch->name, name, RPMSG_NAME_SIZE); ch = ch->next)
		;
	amp_mutex_unlock(&rpmsg_bus_lock);
	return ch;
}

void rpmsg_for_each_channel(struct rpmsg_virtio_device *rvdev,
			    void (*fn)(struct rpmsg_channel *rpdev, void *arg), void *arg)
{
	struct rpmsg_channel *ch;

	amp_mutex_lock(&rpmsg_bus_lock);
	for (ch = rvdev->channels; ch; ch = ch->next)
		fn(ch, arg);
	amp_mutex_unlock(&rpmsg_bus_lock);
}

void rpmsg_set_channel_watch(rpmsg_channel_watch_t fn, void *priv)
{
	amp_mutex_lock(&rpmsg_bus_lock);
	rpmsg_watch_fn = fn;
	rpmsg_watch_priv = priv;
	amp_mutex_unlock(&rpmsg_bus_lock);
}

const char *rpmsg_device_name(const struct rpmsg_channel *rpdev)
{
	return rpdev->rvdev->name;
}

void rpmsg_get_stats(struct rpmsg_virtio_device *rvdev, struct rpmsg_stats *s)
{
	s->rx_msgs = __atomic_load_n(&rvdev->stats.rx_msgs, __ATOMIC_RELAXED);
	s->rx_bad = __atomic_load_n(&rvdev->stats.rx_bad, __ATOMIC_RELAXED);
	s->rx_no_ept = __atomic_load_n(&rvdev->stats.rx_no_ept, __ATOMIC_RELAXED);
	s->ns_bad = __atomic_load_n(&rvdev->stats.ns_bad, __ATOMIC_RELAXED);
	s->ns_refused = __atomic_load_n(&rvdev->stats.ns_refused, __ATOMIC_RELAXED);
	s->tx_msgs = __atomic_load_n(&rvdev->stats.tx_msgs, __ATOMIC_RELAXED);
	s->tx_timeouts = __atomic_load_n(&rvdev->stats.tx_timeouts, __ATOMIC_RELAXED);
	s->broken = __atomic_load_n(&rvdev->broken_mask, __ATOMIC_RELAXED);
	amp_mutex_lock(&rvdev->tx_lock);
	s->tx_waiting = rvdev->tx_waiters;
	amp_mutex_unlock(&rvdev->tx_lock);
}

/* --- the device -------------------------------------------------------------------------- */

static int rpmsg_vq_init(struct rpmsg_virtio_device *rvdev, struct virtqueue *vq,
			 struct virtqueue_desc_state **state, unsigned int i, const char *name)
{
	const struct rpmsg_virtio_config *cfg = &rvdev->cfg;
	struct virtqueue_config vc = {
		.role = VIRTQUEUE_DRIVER,
		.num = cfg->vring_num[i],
		.align = cfg->vring_align[i],
		.ring = cfg->vring_va[i],
		.ring_len = cfg->vring_len[i],
		.event_idx = (cfg->features >> VIRTIO_RING_F_EVENT_IDX) & 1,
		.notify = rpmsg_vq_notify,
		.priv = rvdev,
		.name = name,
		.index = i,
	};

	*state = calloc(cfg->vring_num[i] ? cfg->vring_num[i] : 1, sizeof(**state));
	if (!*state)
		return -AMP_ENOMEM;
	vc.state = *state;
	return virtqueue_init(vq, &vc);
}

int rpmsg_virtio_add(const struct rpmsg_virtio_config *cfg, struct rpmsg_virtio_device **out)
{
	struct rpmsg_virtio_device *rvdev;
	unsigned int i;
	int ret;

	if (!cfg || !cfg->buf_va || cfg->num_bufs < 2 || cfg->num_bufs % 2 ||
	    cfg->buf_size <= RPMSG_HDR_LEN || cfg->buf_size > 65535 + RPMSG_HDR_LEN ||
	    (uint64_t)cfg->num_bufs * cfg->buf_size > cfg->buf_len)
		return -AMP_EINVAL;
	rvdev = calloc(1, sizeof(*rvdev));
	if (!rvdev)
		return -AMP_ENOMEM;
	rvdev->cfg = *cfg;
	snprintf(rvdev->name, sizeof(rvdev->name), "%s", cfg->name ? cfg->name : "rpmsg");
	rvdev->cfg.name = rvdev->name;
	rvdev->refs = 1;
	rvdev->bufs = cfg->buf_va;
	rvdev->buf_size = cfg->buf_size;
	rvdev->num_bufs = cfg->num_bufs;
	rvdev->num_rx = cfg->num_bufs / 2;
	rvdev->next_tx = rvdev->num_rx;
	amp_mutex_init(&rvdev->rx_lock);
	amp_mutex_init(&rvdev->tx_lock);
	amp_mutex_init(&rvdev->ept_lock);
	amp_cond_init(&rvdev->tx_cond);
	amp_cond_init(&rvdev->ept_cond);

	ret = rpmsg_vq_init(rvdev, &rvdev->rvq, &rvdev->rvq_state, 0, "rx vring 0");
	if (!ret)
		ret = rpmsg_vq_init(rvdev, &rvdev->svq, &rvdev->svq_state, 1, "tx vring 1");
	if (ret)
		goto out_free;
	ret = -AMP_ENOMEM;
	rvdev->rx_held = calloc(rvdev->num_bufs, 1);
	rvdev->tx_out = calloc(rvdev->num_bufs, 1);
	rvdev->tx_free = calloc(rvdev->num_bufs, sizeof(*rvdev->tx_free));
	rvdev->epts.slots = calloc(RPMSG_EPT_SLOTS_MIN, sizeof(*rvdev->epts.slots));
	if (!rvdev->rx_held || !rvdev->tx_out || !rvdev->tx_free || !rvdev->epts.slots)
		goto out_free;
	rpmsg_ept_table_init(&rvdev->epts, rvdev->epts.slots, RPMSG_EPT_SLOTS_MIN);

	/* Receive buffers: as many as the ring holds, up to half the pool. */
	for (i = 0; i < rvdev->num_rx && i < cfg->vring_num[0]; i++) {
		ret = virtqueue_add_inbuf(&rvdev->rvq, rpmsg_buf_da(rvdev, rpmsg_buf(rvdev, i)),
					  rvdev->buf_size, rpmsg_buf(rvdev, i));
		if (ret)
			goto out_free;
	}
	/* Transmit-complete kicks are off until a sender waits. */
	virtqueue_disable_cb(&rvdev->svq);

	if (cfg->features & (1u << VIRTIO_RPMSG_F_NS)) {
		rvdev->ns_ept = rpmsg_ept_new(rvdev, NULL, rpmsg_ns_cb, rvdev, RPMSG_NS_ADDR);
		if (!rvdev->ns_ept) {
			ret = -AMP_ENOMEM;
			goto out_free;
		}
	}
	amp_mutex_lock(&rpmsg_bus_lock);
	rvdev->next = rpmsg_devices;
	rpmsg_devices = rvdev;
	amp_mutex_unlock(&rpmsg_bus_lock);

	if (cfg->ready)
		cfg->ready(cfg->priv);
	/* Tell the remote its receive buffers are there. */
	if (virtqueue_kick_prepare(&rvdev->rvq))
		virtqueue_notify(&rvdev->rvq);
	*out = rvdev;
	return 0;

out_free:
	rvdev_free(rvdev);
	return ret;
}

bool rpmsg_virtio_notify(struct rpmsg_virtio_device *rvdev, unsigned int vqid)
{
	struct rpmsg_virtio_device *outer = rpmsg_notify_dev;
	bool more = false;

	if (rvdev_removed(rvdev))
		return false;
	rpmsg_notify_dev = rvdev;
	if (vqid == 0)
		more = rpmsg_rx_drain(rvdev);
	else
		rpmsg_tx_complete(rvdev);
	rpmsg_notify_dev = outer;
	return more;
}

void rpmsg_virtio_remove(struct rpmsg_virtio_device *rvdev)
{
	struct rpmsg_virtio_device **pp;
	uint32_t i;

	/* Channels first, while sends still work (without waiting: the remote may be dead), so
	 * that drivers may say goodbye in remove(). */
	__atomic_store_n(&rvdev->going, true, __ATOMIC_RELEASE);
	amp_mutex_lock(&rvdev->tx_lock);
	amp_cond_broadcast(&rvdev->tx_cond);
	amp_mutex_unlock(&rvdev->tx_lock);
	amp_mutex_lock(&rpmsg_bus_lock);
	while (rvdev->channels)
		rpmsg_channel_del(rvdev->channels);
	for (pp = &rpmsg_devices; *pp; pp = &(*pp)->next) {
		if (*pp == rvdev) {
			*pp = rvdev->next;
			break;
		}
	}
	amp_mutex_unlock(&rpmsg_bus_lock);

	/* From here nothing touches the rings: every path checks this under its lock. */
	amp_mutex_lock(&rvdev->rx_lock);
	amp_mutex_lock(&rvdev->tx_lock);
	__atomic_store_n(&rvdev->removed, true, __ATOMIC_RELEASE);
	amp_cond_broadcast(&rvdev->tx_cond);
	amp_mutex_unlock(&rvdev->tx_lock);
	amp_mutex_unlock(&rvdev->rx_lock);

	if (rvdev->ns_ept)
		rpmsg_destroy_ept(rvdev->ns_ept);
	/* Endpoints the user still holds stay valid (sends fail with -ENODEV) until destroyed;
	 * drop them from the table so that nothing is delivered. */
	amp_mutex_lock(&rvdev->ept_lock);
	for (i = 0; i < rvdev->epts.cap; i++)
		rvdev->epts.slots[i].ept = NULL;
	rvdev->epts.count = 0;
	amp_mutex_unlock(&rvdev->ept_lock);
	rvdev_put(rvdev);
}

/* --- the virtio driver the remoteproc core binds rpmsg vdevs to -------------------------- */

static void rpmsg_rproc_kick(void *priv, unsigned int vqid)
{
	rproc_virtio_kick(priv, vqid);
}

static void rpmsg_rproc_ready(void *priv)
{
	rproc_virtio_set_status(priv, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
					      VIRTIO_CONFIG_S_DRIVER_OK);
}

/* A remote that breaks its rings is as dead as one that faults: let recovery restart it. */
static void rpmsg_rproc_broken(void *priv, unsigned int vqid)
{
	struct rproc_virtio_device *vdev = priv;

	(void)vqid;
	rproc_report_crash(vdev->rproc, RPROC_FATAL_ERROR);
}

static int rpmsg_rproc_probe(struct rproc_virtio_device *vdev)
{
	struct rpmsg_virtio_config cfg = {0};
	struct rpmsg_virtio_device *rvdev;
	char name[64];
	unsigned int i;
	int ret;

	if (vdev->num_vrings != 2)
		return -AMP_EINVAL;
	snprintf(name, sizeof(name), "%s/vdev%u", rproc_name(vdev->rproc), vdev->index);
	cfg.name = name;
	for (i = 0; i < 2; i++) {
		cfg.vring_va[i] = vdev->vring[i].va;
		cfg.vring_num[i] = vdev->vring[i].num;
		cfg.vring_align[i] = vdev->vring[i].align;
		cfg.vring_len[i] = vdev->vring[i].len;
	}
	cfg.buf_va = vdev->buf_va;
	cfg.buf_da = vdev->buf_da;
	cfg.buf_len = vdev->buf_len;
	/* The processor's geometry (rproc_set_vdev_buffers()), Linux's by default. */
	cfg.buf_size = vdev->buf_size ? vdev->buf_size : RPMSG_BUF_SIZE_DEFAULT;
	cfg.num_bufs = vdev->num_bufs ? vdev->num_bufs
				      : (unsigned int)(vdev->buf_len / cfg.buf_size) & ~1u;
	cfg.features = vdev->features;
	/* Polled: nobody listens for doorbells; neither arm nor kick. */
	cfg.kick = rproc_is_polled(vdev->rproc) ? NULL : rpmsg_rproc_kick;
	cfg.ready = rpmsg_rproc_ready;
	cfg.broken = rpmsg_rproc_broken;
	cfg.priv = vdev;
	ret = rpmsg_virtio_add(&cfg, &rvdev);
	if (!ret)
		vdev->driver_priv = rvdev;
	/* Polled: senders reclaim transmit buffers themselves (rpmsg_get_tx_buf()), so the
	 * poller has nothing to do when the remote returns them, and need not count it as work
	 * (it would never be idle, and never leave the CPU to a sending thread). */
	if (!ret && !cfg.kick)
		vdev->poll_skip = 1u << 1;
	return ret;
}

static void rpmsg_rproc_remove(struct rproc_virtio_device *vdev)
{
	rpmsg_virtio_remove(vdev->driver_priv);
	vdev->driver_priv = NULL;
}

static bool rpmsg_rproc_notify(struct rproc_virtio_device *vdev, unsigned int vqid)
{
	return rpmsg_virtio_notify(vdev->driver_priv, vqid);
}

const struct rproc_virtio_driver rpmsg_rproc_virtio_driver = {
	.name = "virtio_rpmsg_bus",
	.id = VIRTIO_ID_RPMSG,
	.probe = rpmsg_rproc_probe,
	.remove = rpmsg_rproc_remove,
	.notify = rpmsg_rproc_notify,
};
