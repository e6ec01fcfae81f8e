/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host's rpmsg bus over a virtio rpmsg device, as the virtio driver of id 7 (<amp/virtio.h>):
 * buffers, the receive and transmit paths, the name service, endpoints, channels and drivers.
 * Host layer.
 *
 * Locks, outermost first (docs/architecture.md has the whole order, with remoteproc's):
 *  - chan->lock, one per channel: serialises binding it (probe(), remove(), the name-service
 *    announcements, the watch's calls for it). Held across user code and blocking sends, as
 *    Linux holds a device's lock around probe and remove: only that channel waits meanwhile.
 *  - rpmsg_watch_lock: held across the watch's quick callback only.
 *  - rpmsg_bus_lock: list membership only (drivers, devices, each device's channels, which
 *    driver a channel is bound to); held for short walks, never across user code or a wait.
 *  - rvdev->ept_lock (the endpoint table, callbacks in flight), rvdev->rx_lock (the receive
 *    ring), rvdev->tx_lock (the transmit ring and its buffers).
 * No lock is held while an rx callback runs.
 */
#define _GNU_SOURCE
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
#define RPMSG_EPT_SLOTS_MIN 64u
/* A blocking send in the notification context polls the ring at this pace (see rpmsg.h). */
#define RPMSG_NOTIFY_POLL_NS 100000L

struct rpmsg_chan;

struct rpmsg_endpoint {
	struct rpmsg_virtio_device *rvdev;
	struct rpmsg_channel *rpdev;
	/* The channel it was made on. A default endpoint is its channel's (no reference: the
	 * channel outlives it); any other holds a reference, so that rpdev stays valid memory
	 * for its callbacks however long the user keeps it. */
	struct rpmsg_chan *chan;
	bool is_default;
	uint32_t addr;
	rpmsg_rx_cb_t cb;
	void *priv;
	uint32_t timeout_ms;
	unsigned int busy; /* its callback is running; guarded by ept_lock */
	unsigned int rx_held; /* receive buffers it holds; guarded by rx_lock */
	unsigned int tx_out;  /* zero-copy transmit buffers it has out; guarded by tx_lock */
	bool dead;         /* destroyed: no more callbacks; atomic (read without ept_lock) */
	bool free_on_done; /* destroyed from its own callback: freed when that returns */
};

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
	char name[64];
	struct virtio_device *vdev; /* the device driven; the transport's until removal */
	const struct virtio_config_ops *vops; /* its ops, which outlive it (release_bufs) */
	struct virtio_buf_hold *hold;         /* the pool kept past removal (vops->hold_bufs) */
	struct rpmsg_cfg_vdev *own;           /* rpmsg_virtio_add()'s device, freed with us */
	bool polled;          /* no doorbells: neither arm nor kick (virtio_device.polled) */
	void *parent;         /* the virtio device's, for rpmsg_for_each_channel_on() */
	unsigned int index;   /* the virtio device's */
	uint32_t features;    /* negotiated */
	uint64_t buf_da;
	/* Delivered buffers of the batch being drained, not given back yet. Notification
	 * context only: a callback that waits for a transmit buffer gives them back first. */
	void *repost[RPMSG_RX_BATCH];
	unsigned int num_repost;
	unsigned int refs; /* the device's own, one per endpoint and per channel; atomic */
	bool going;        /* about to be removed (a crash reported, a stop begun), or being
			    * removed: sends no longer wait for buffers; atomic */
	bool removed;      /* atomic */

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
	/* The message being delivered, and its endpoint (notification thread only). */
	const void *delivering;
	const struct rpmsg_endpoint *delivering_ept;
	bool deliver_held;

	struct amp_mutex tx_lock;
	struct amp_cond tx_cond;
	unsigned int next_tx;      /* never-used transmit buffers start here */
	unsigned int *tx_free;     /* transmit buffers released unused */
	unsigned int num_tx_free;
	unsigned int tx_num_out;   /* transmit buffers handed out for zero-copy */
	unsigned int tx_waiters;

	struct amp_mutex ept_lock;
	struct amp_cond ept_cond;
	struct rpmsg_ept_table epts;
	struct rpmsg_endpoint *ns_ept;

	struct rpmsg_chan *channels; /* guarded by rpmsg_bus_lock */
	unsigned int num_channels;
	bool unlisted;               /* being removed: no channel is added; rpmsg_bus_lock */
	bool broken_reported;
	uint32_t broken_mask; /* atomic: bit per vring the remote broke */
	/* After removal: buffers the users still hold; the pool is released when none is. */
	unsigned int bufs_left;    /* atomic */
	bool bufs_released;        /* atomic */
	struct rpmsg_stats stats;       /* atomic counters */
	struct rpmsg_virtio_device *next;
};

/*
 * A channel and what the bus keeps of it; users see the first member. Its memory lives as long
 * as a reference: the bus's while it is listed, its creator's (rpmsg_create_channel()), one
 * per rpmsg_channel_find() or rpmsg_channel_get(), one per endpoint made on it. Each holds a
 * reference to its device in turn.
 */
struct rpmsg_chan {
	struct rpmsg_channel ch;
	struct amp_mutex lock;             /* serialises binding: see the top of the file */
	unsigned int refs;                 /* atomic */
	const struct rpmsg_driver *driver; /* written under lock and rpmsg_bus_lock both */
	uint32_t timeout_ms;               /* the default endpoint's send timeout; atomic */
	bool announce;                     /* set at creation */
	bool gone;                         /* off the bus: found by no lookup, bound by no driver;
					    * written under rpmsg_bus_lock */
	bool dead;                         /* gone and unbound: operations fail; atomic */
	bool watched;                      /* the watch heard it come; guarded by lock */
	struct rpmsg_chan *next;           /* guarded by rpmsg_bus_lock */
};

static struct amp_mutex rpmsg_bus_lock = AMP_MUTEX_INITIALIZER;
/* guarded by rpmsg_bus_lock */
static struct rpmsg_driver *rpmsg_drivers;
static struct rpmsg_virtio_device *rpmsg_devices;
static struct amp_mutex rpmsg_watch_lock = AMP_MUTEX_INITIALIZER;
/* guarded by rpmsg_watch_lock */
static rpmsg_channel_watch_t rpmsg_watch_fn;
static void *rpmsg_watch_priv;
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
	amp_cond_destroy(&rvdev->ept_cond);
	amp_cond_destroy(&rvdev->tx_cond);
	amp_mutex_destroy(&rvdev->ept_lock);
	amp_mutex_destroy(&rvdev->tx_lock);
	amp_mutex_destroy(&rvdev->rx_lock);
	free(rvdev->epts.slots);
	free(rvdev->rvq_state);
	free(rvdev->svq_state);
	free(rvdev->holder);
	free(rvdev->tx_free);
	free(rvdev->own);
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
	amp_log(AMP_LOG_ERR, "%s: %s broken by the remote (%s); its traffic stopped", rvdev->name,
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

static struct rpmsg_chan *chan_of(const struct rpmsg_channel *rpdev)
{
	return AMP_CONTAINER_OF(rpdev, struct rpmsg_chan, ch);
}

static void rpmsg_chan_get(struct rpmsg_chan *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
}

static void rpmsg_chan_put(struct rpmsg_chan *c)
{
	struct rpmsg_virtio_device *rvdev;

	/* Acquire-release: what was done through other references happens before the free. */
	if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	rvdev = c->ch.rvdev;
	amp_mutex_destroy(&c->lock);
	free(c);
	rvdev_put(rvdev);
}

static bool rpmsg_chan_dead(const struct rpmsg_chan *c)
{
	return __atomic_load_n(&c->dead, __ATOMIC_ACQUIRE);
}

static void rpmsg_ept_free(struct rpmsg_endpoint *ept)
{
	struct rpmsg_virtio_device *rvdev = ept->rvdev;
	struct rpmsg_chan *chan = ept->is_default ? NULL : ept->chan;

	free(ept);
	if (chan)
		rpmsg_chan_put(chan);
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
	rvdev->delivering_ept = ept;
	rvdev->deliver_held = false;
	/* Counted before the callback: what the callback makes happen sees the count. */
	STAT_INC(rvdev, rx_msgs);
	if (!rpmsg_ept_dead(ept) && ept->cb)
		ept->cb(ept->rpdev, (void *)(uintptr_t)msg.data, msg.len, ept->priv, msg.src);
	rvdev->delivering = NULL;
	rvdev->delivering_ept = NULL;
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
			if (rpmsg_notify_dev == rvdev)
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
	__atomic_add_fetch(&rvdev->refs, 1, __ATOMIC_RELAXED);
	buf = rpmsg_get_tx_buf(rvdev, timeout_ms, NULL, &err);
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

/* A new endpoint at @addr on @rvdev; made on channel @chan (NULL for the name service's), as
 * its default endpoint when @is_default. */
static struct rpmsg_endpoint *rpmsg_ept_new(struct rpmsg_virtio_device *rvdev,
					    struct rpmsg_chan *chan, bool is_default,
					    rpmsg_rx_cb_t cb, void *priv, uint32_t addr)
{
	struct rpmsg_endpoint *ept = calloc(1, sizeof(*ept));
	int ret = 0;

	if (!ept)
		return NULL;
	ept->rvdev = rvdev;
	ept->rpdev = chan ? &chan->ch : NULL;
	ept->chan = chan;
	ept->is_default = is_default;
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
	if (chan && !is_default)
		rpmsg_chan_get(chan);
	return ept;
}

struct rpmsg_endpoint *rpmsg_create_ept(struct rpmsg_channel *rpdev, rpmsg_rx_cb_t cb, void *priv,
					u32 addr)
{
	if (!rpdev || !rpdev->rvdev || rpmsg_chan_dead(chan_of(rpdev)))
		return NULL;
	return rpmsg_ept_new(rpdev->rvdev, chan_of(rpdev), false, cb, priv, addr);
}

static void rpmsg_ept_give_back(struct rpmsg_endpoint *ept);

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
	/* Dead: nothing new is held by it (a hold or a hand-out checks, under the lock that
	 * guards it); what it holds goes back now, not when its own callback returns. */
	rpmsg_ept_give_back(ept);
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
	/* The channel's sends read it there: the default endpoint may go while they run. */
	if (ept->is_default)
		__atomic_store_n(&ept->chan->timeout_ms, timeout_ms, __ATOMIC_RELAXED);
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

/* The channel's source address: a driver binding it may set it meanwhile (probe). */
static uint32_t rpmsg_chan_src(const struct rpmsg_channel *rpdev)
{
	return __atomic_load_n(&rpdev->src, __ATOMIC_RELAXED);
}

/* Every send on a channel: its default endpoint's timeout, or 0 for the try variants. A dead
 * channel sends nothing (its remote withdrew it, or its device went). */
static int rpmsg_chan_send(struct rpmsg_channel *rpdev, uint32_t src, uint32_t dst,
			   const void *data, int len, bool wait)
{
	struct rpmsg_chan *c;

	if (!rpdev || !rpdev->rvdev)
		return -AMP_EINVAL;
	c = chan_of(rpdev);
	if (rpmsg_chan_dead(c))
		return -AMP_ENODEV;
	return rpmsg_send_common(rpdev->rvdev, src, dst, data, len,
				 wait ? __atomic_load_n(&c->timeout_ms, __ATOMIC_RELAXED) : 0);
}

int rpmsg_send(struct rpmsg_channel *rpdev, const void *data, int len)
{
	return rpmsg_chan_send(rpdev, rpdev ? rpmsg_chan_src(rpdev) : 0, rpdev ? rpdev->dst : 0,
			       data, len, true);
}

int rpmsg_sendto(struct rpmsg_channel *rpdev, const void *data, int len, u32 dst)
{
	return rpmsg_chan_send(rpdev, rpdev ? rpmsg_chan_src(rpdev) : 0, dst, data, len, true);
}

int rpmsg_send_offchannel(struct rpmsg_channel *rpdev, u32 src, u32 dst, const void *data,
			  int len)
{
	return rpmsg_chan_send(rpdev, src, dst, data, len, true);
}

int rpmsg_trysend(struct rpmsg_channel *rpdev, const void *data, int len)
{
	return rpmsg_chan_send(rpdev, rpdev ? rpmsg_chan_src(rpdev) : 0, rpdev ? rpdev->dst : 0,
			       data, len, false);
}

int rpmsg_trysendto(struct rpmsg_channel *rpdev, const void *data, int len, u32 dst)
{
	return rpmsg_chan_send(rpdev, rpdev ? rpmsg_chan_src(rpdev) : 0, dst, data, len, false);
}

int rpmsg_trysend_offchannel(struct rpmsg_channel *rpdev, u32 src, u32 dst, const void *data,
			     int len)
{
	return rpmsg_chan_send(rpdev, src, dst, data, len, false);
}

void *rpmsg_get_tx_buffer(struct rpmsg_endpoint *ept, uint32_t *len, uint32_t timeout_ms)
{
	struct rpmsg_virtio_device *rvdev = ept->rvdev;
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

int rpmsg_send_nocopy(struct rpmsg_endpoint *ept, u32 dst, void *payload, int len)
{
	struct rpmsg_virtio_device *rvdev = ept->rvdev;
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

void rpmsg_release_tx_buffer(struct rpmsg_endpoint *ept, void *payload)
{
	rpmsg_give_back_held(ept, payload, false);
}

int rpmsg_hold_rx_buffer(struct rpmsg_endpoint *ept, void *data)
{
	struct rpmsg_virtio_device *rvdev = ept->rvdev;
	long i;

	if (rpmsg_notify_dev != rvdev || data != rvdev->delivering ||
	    ept != rvdev->delivering_ept || rpmsg_ept_dead(ept))
		return -AMP_EINVAL;
	i = rpmsg_rx_index(rvdev, data);
	if (i < 0)
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
	struct rpmsg_virtio_device *rvdev = ept->rvdev;
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

void rpmsg_release_rx_buffer(struct rpmsg_endpoint *ept, void *data)
{
	rpmsg_give_back_held(ept, data, true);
}

/* What a destroyed endpoint holds goes back: its receive buffers to the ring (the remote has
 * them again), its zero-copy transmit buffers to the free list. Its callback has returned. */
static void rpmsg_ept_give_back(struct rpmsg_endpoint *ept)
{
	struct rpmsg_virtio_device *rvdev = ept->rvdev;
	unsigned int i;

	amp_mutex_lock(&rvdev->rx_lock);
	for (i = 0; ept->rx_held && i < rvdev->num_rx; i++) {
		if (rvdev->holder[i] != ept)
			continue;
		if (rpmsg_notify_dev == rvdev && rvdev->delivering_ept == ept &&
		    rpmsg_rx_index(rvdev, rvdev->delivering) == (long)i) {
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

/* --- channels and drivers ---------------------------------------------------------------- */

static bool rpmsg_driver_matches(const struct rpmsg_driver *drv, const char *name)
{
	const struct rpmsg_device_id *id;

	for (id = drv->id_table; id->name[0]; id++)
		if (!strncmp(id->name, name, RPMSG_NAME_SIZE))
			return true;
	return false;
}

/* rpmsg_bus_lock held. */
static bool rpmsg_driver_listed(const struct rpmsg_driver *drv)
{
	const struct rpmsg_driver *d;

	for (d = rpmsg_drivers; d && d != drv; d = d->next)
		;
	return d != NULL;
}

/* Tell the watch that @c came or goes. c->lock held: per channel, the watch hears UP and DOWN
 * in that order, UP after the probe and DOWN before the remove. */
static void rpmsg_watch(struct rpmsg_chan *c, enum rpmsg_channel_event ev)
{
	amp_mutex_lock(&rpmsg_watch_lock);
	if (rpmsg_watch_fn)
		rpmsg_watch_fn(&c->ch, ev, rpmsg_watch_priv);
	amp_mutex_unlock(&rpmsg_watch_lock);
}

/* A blocking send of up to RPMSG_SEND_TIMEOUT_MS: under c->lock only, so that a remote that
 * returns no buffers holds up this channel, and nothing another channel or processor needs. */
static void rpmsg_announce(struct rpmsg_chan *c, bool destroy)
{
	struct rpmsg_virtio_device *rvdev = c->ch.rvdev;
	uint8_t msg[sizeof(struct rpmsg_ns_msg)];
	uint32_t src = rpmsg_chan_src(&c->ch);
	int ret;

	if (!c->announce || !(rvdev->features & (1u << VIRTIO_RPMSG_F_NS)))
		return;
	rpmsg_ns_write(msg, c->ch.name, src, destroy);
	ret = rpmsg_send_common(rvdev, src, RPMSG_NS_ADDR, msg, sizeof(msg), RPMSG_SEND_TIMEOUT_MS);
	if (ret && ret != -AMP_ENODEV)
		amp_log(AMP_LOG_WARN, "%s: could not announce channel %s (%s)", rvdev->name,
			c->ch.name, amp_errname(ret));
}

static void rpmsg_chan_set_driver(struct rpmsg_chan *c, const struct rpmsg_driver *drv)
{
	amp_mutex_lock(&rpmsg_bus_lock);
	c->driver = drv;
	amp_mutex_unlock(&rpmsg_bus_lock);
}

/* Bind @c, claimed for @drv, to it: default endpoint, probe, announce. c->lock held. */
static int rpmsg_channel_bind(struct rpmsg_chan *c, const struct rpmsg_driver *drv)
{
	struct rpmsg_virtio_device *rvdev = c->ch.rvdev;
	struct rpmsg_endpoint *ept;
	int ret;

	ept = rpmsg_ept_new(rvdev, c, true, drv->callback, NULL, rpmsg_chan_src(&c->ch));
	if (!ept) {
		amp_log(AMP_LOG_WARN, "%s: channel %s: no endpoint at 0x%x for driver %s", rvdev->name,
			c->ch.name, rpmsg_chan_src(&c->ch), drv->name ? drv->name : "?");
		rpmsg_chan_set_driver(c, NULL);
		return -AMP_ENOMEM;
	}
	__atomic_store_n(&c->ch.src, ept->addr, __ATOMIC_RELAXED);
	__atomic_store_n(&c->timeout_ms, RPMSG_SEND_TIMEOUT_MS, __ATOMIC_RELAXED);
	__atomic_store_n(&c->ch.ept, ept, __ATOMIC_RELEASE);
	ret = drv->probe(&c->ch);
	if (ret) {
		amp_log(AMP_LOG_WARN, "%s: channel %s: driver %s probe failed (%s)", rvdev->name,
			c->ch.name, drv->name ? drv->name : "?", amp_errname(ret));
		__atomic_store_n(&c->ch.ept, NULL, __ATOMIC_RELEASE);
		rpmsg_destroy_ept(ept);
		rpmsg_chan_set_driver(c, NULL);
		return ret;
	}
	rpmsg_announce(c, false);
	return 0;
}

/* Bind @c to @drv if @drv is still registered and @c on the bus and unbound: the check and the
 * claim are one under rpmsg_bus_lock, against unregister_rpmsg_driver(). c->lock held. */
static void rpmsg_channel_probe(struct rpmsg_chan *c, const struct rpmsg_driver *drv)
{
	bool claimed;

	amp_mutex_lock(&rpmsg_bus_lock);
	claimed = !c->gone && !c->driver && rpmsg_driver_listed(drv);
	if (claimed)
		c->driver = drv;
	amp_mutex_unlock(&rpmsg_bus_lock);
	if (claimed)
		rpmsg_channel_bind(c, drv);
}

/* Drivers a new channel is offered to, in registration order, before it is left unbound. */
#define RPMSG_MATCH_TRIES 8

/* Bind @c to the first registered driver that matches and accepts it. c->lock held. */
static void rpmsg_channel_match(struct rpmsg_chan *c)
{
	const struct rpmsg_driver *tried[RPMSG_MATCH_TRIES];
	const struct rpmsg_driver *drv;
	unsigned int n = 0, i;

	while (n < RPMSG_MATCH_TRIES) {
		amp_mutex_lock(&rpmsg_bus_lock);
		for (drv = c->gone || c->driver ? NULL : rpmsg_drivers; drv; drv = drv->next) {
			for (i = 0; i < n && tried[i] != drv; i++)
				;
			if (i == n && rpmsg_driver_matches(drv, c->ch.name))
				break;
		}
		if (drv)
			c->driver = drv; /* claimed, as in rpmsg_channel_probe() */
		amp_mutex_unlock(&rpmsg_bus_lock);
		if (!drv || rpmsg_channel_bind(c, drv) == 0)
			return;
		tried[n++] = drv;
	}
}

/* Unbind @c from its driver: announce, remove(), default endpoint destroyed. c->lock held. */
static void rpmsg_channel_unbind(struct rpmsg_chan *c)
{
	const struct rpmsg_driver *drv = c->driver;
	struct rpmsg_endpoint *ept = c->ch.ept;

	if (!drv)
		return;
	rpmsg_announce(c, true);
	if (drv->remove)
		drv->remove(&c->ch);
	__atomic_store_n(&c->ch.ept, NULL, __ATOMIC_RELEASE);
	/* Waits for a callback running in another thread: c->lock is held, not the bus lock,
	 * so that callback may look channels up meanwhile. */
	rpmsg_destroy_ept(ept);
	/* Last: unregister_rpmsg_driver() is done with @c once it sees no driver. */
	rpmsg_chan_set_driver(c, NULL);
}

/* rpmsg_bus_lock held. */
static struct rpmsg_chan *rpmsg_channel_lookup(struct rpmsg_virtio_device *rvdev,
					       const char *name, uint32_t src, uint32_t dst)
{
	struct rpmsg_chan *c;

	for (c = rvdev->channels; c; c = c->next)
		if (!c->gone && !strncmp(c->ch.name, name, RPMSG_NAME_SIZE) &&
		    (src == RPMSG_ADDR_ANY || rpmsg_chan_src(&c->ch) == src) && c->ch.dst == dst)
			return c;
	return NULL;
}

/* A new channel, listed, offered to the drivers, announced to the watch. Returns it with a
 * reference for the caller, or NULL (device going, duplicate, too many, no memory). */
static struct rpmsg_chan *rpmsg_channel_add(struct rpmsg_virtio_device *rvdev, const char *name,
					    uint32_t src, uint32_t dst, bool announce)
{
	struct rpmsg_chan *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	snprintf(c->ch.name, sizeof(c->ch.name), "%s", name);
	c->ch.src = src;
	c->ch.dst = dst;
	c->ch.rvdev = rvdev;
	c->announce = announce && src != RPMSG_ADDR_ANY;
	c->timeout_ms = RPMSG_SEND_TIMEOUT_MS;
	c->refs = 2; /* the bus's and the caller's */
	amp_mutex_init(&c->lock);

	amp_mutex_lock(&rpmsg_bus_lock);
	if (rvdev->unlisted || rpmsg_channel_lookup(rvdev, name, src, dst) ||
	    rvdev->num_channels >= RPMSG_MAX_CHANNELS) {
		amp_mutex_unlock(&rpmsg_bus_lock);
		amp_mutex_destroy(&c->lock);
		free(c);
		return NULL;
	}
	__atomic_add_fetch(&rvdev->refs, 1, __ATOMIC_RELAXED);
	c->next = rvdev->channels;
	rvdev->channels = c;
	rvdev->num_channels++;
	amp_mutex_unlock(&rpmsg_bus_lock);

	/* Listed first, bound next (as Linux adds a device, then probes it): a lookup meanwhile
	 * finds it unbound. Whoever takes it off the bus waits for the lock and undoes this. */
	amp_mutex_lock(&c->lock);
	rpmsg_channel_match(c);
	rpmsg_watch(c, RPMSG_CHANNEL_UP);
	c->watched = true;
	amp_mutex_unlock(&c->lock);
	return c;
}

/*
 * Take @c off the bus: no lookup finds it and no driver binds it from now; the watch hears it
 * go; its driver is unbound (in this thread, after any probe or remove in progress in another);
 * then it is dead (sends fail) and unlisted. Idempotent: whoever comes second waits for the
 * first to finish. The caller holds a reference. Any thread but @c's own callbacks.
 */
static void rpmsg_channel_del(struct rpmsg_chan *c)
{
	struct rpmsg_virtio_device *rvdev = c->ch.rvdev;
	struct rpmsg_chan **pp;
	bool listed = false;

	amp_mutex_lock(&rpmsg_bus_lock);
	c->gone = true;
	amp_mutex_unlock(&rpmsg_bus_lock);

	amp_mutex_lock(&c->lock);
	if (c->watched)
		rpmsg_watch(c, RPMSG_CHANNEL_DOWN);
	c->watched = false;
	rpmsg_channel_unbind(c);
	__atomic_store_n(&c->dead, true, __ATOMIC_RELEASE);
	amp_mutex_unlock(&c->lock);

	/* Unlisted only now: unregister_rpmsg_driver() finds a channel bound to its driver on
	 * the lists until its unbinding is over. */
	amp_mutex_lock(&rpmsg_bus_lock);
	for (pp = &rvdev->channels; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			rvdev->num_channels--;
			listed = true;
			break;
		}
	}
	amp_mutex_unlock(&rpmsg_bus_lock);
	if (listed)
		rpmsg_chan_put(c); /* the bus's reference */
}

/* The name service: the remote announces (CREATE) and withdraws (DESTROY) its services. */
static void rpmsg_ns_cb(struct rpmsg_channel *unused, void *data, int len, void *priv, u32 src)
{
	struct rpmsg_virtio_device *rvdev = priv;
	struct rpmsg_ns_info ns;
	struct rpmsg_chan *c;

	(void)unused;
	(void)src;
	if (rpmsg_ns_parse(data, (uint32_t)len, &ns)) {
		STAT_INC(rvdev, ns_bad);
		amp_log(AMP_LOG_WARN, "%s: malformed name-service message (%d bytes) dropped",
			rvdev->name, len);
		return;
	}
	if (ns.destroy) {
		amp_mutex_lock(&rpmsg_bus_lock);
		c = rpmsg_channel_lookup(rvdev, ns.name, RPMSG_ADDR_ANY, ns.addr);
		if (c)
			rpmsg_chan_get(c);
		amp_mutex_unlock(&rpmsg_bus_lock);
		if (c) {
			rpmsg_channel_del(c);
			rpmsg_chan_put(c);
		}
		return;
	}
	c = rpmsg_channel_add(rvdev, ns.name, RPMSG_ADDR_ANY, ns.addr, false);
	if (c) {
		rpmsg_chan_put(c);
		return;
	}
	STAT_INC(rvdev, ns_refused);
	amp_log(AMP_LOG_WARN, "%s: channel %s at 0x%x refused (duplicate, or over %u)", rvdev->name,
		ns.name, ns.addr, RPMSG_MAX_CHANNELS);
}

int register_rpmsg_driver(struct rpmsg_driver *drv)
{
	struct rpmsg_virtio_device *rvdev;
	struct rpmsg_chan *c, **found;
	unsigned int n = 0, i;

	if (!drv || !drv->id_table || !drv->probe)
		return -AMP_EINVAL;
	amp_mutex_lock(&rpmsg_bus_lock);
	if (rpmsg_driver_listed(drv)) {
		amp_mutex_unlock(&rpmsg_bus_lock);
		return -AMP_EBUSY;
	}
	for (rvdev = rpmsg_devices; rvdev; rvdev = rvdev->next)
		n += rvdev->num_channels;
	/* The channels to offer it, each with a reference: probed without the bus lock. */
	found = malloc(sizeof(*found) * (n ? n : 1));
	if (!found) {
		amp_mutex_unlock(&rpmsg_bus_lock);
		return -AMP_ENOMEM;
	}
	n = 0;
	for (rvdev = rpmsg_devices; rvdev; rvdev = rvdev->next) {
		for (c = rvdev->channels; c; c = c->next) {
			if (c->gone || c->driver || !rpmsg_driver_matches(drv, c->ch.name))
				continue;
			rpmsg_chan_get(c);
			found[n++] = c;
		}
	}
	drv->next = rpmsg_drivers;
	rpmsg_drivers = drv;
	amp_mutex_unlock(&rpmsg_bus_lock);

	for (i = 0; i < n; i++) {
		amp_mutex_lock(&found[i]->lock);
		rpmsg_channel_probe(found[i], drv);
		amp_mutex_unlock(&found[i]->lock);
		rpmsg_chan_put(found[i]);
	}
	free(found);
	return 0;
}

/* A channel bound to @drv (probing or probed), with a reference; NULL when none is left. */
static struct rpmsg_chan *rpmsg_channel_bound_to(const struct rpmsg_driver *drv)
{
	struct rpmsg_virtio_device *rvdev;
	struct rpmsg_chan *c = NULL;

	amp_mutex_lock(&rpmsg_bus_lock);
	for (rvdev = rpmsg_devices; rvdev && !c; rvdev = rvdev->next)
		for (c = rvdev->channels; c && c->driver != drv; c = c->next)
			;
	if (c)
		rpmsg_chan_get(c);
	amp_mutex_unlock(&rpmsg_bus_lock);
	return c;
}

void unregister_rpmsg_driver(struct rpmsg_driver *drv)
{
	struct rpmsg_driver **pp;
	struct rpmsg_chan *c;

	amp_mutex_lock(&rpmsg_bus_lock);
	for (pp = &rpmsg_drivers; *pp; pp = &(*pp)->next) {
		if (*pp == drv) {
			*pp = drv->next;
			break;
		}
	}
	amp_mutex_unlock(&rpmsg_bus_lock);
	/* No channel is bound to it from now on; unbind those that are, one at a time (each
	 * after any probe or remove of it in progress elsewhere). Every round unbinds one. */
	while ((c = rpmsg_channel_bound_to(drv))) {
		amp_mutex_lock(&c->lock);
		if (c->driver == drv)
			rpmsg_channel_unbind(c);
		amp_mutex_unlock(&c->lock);
		rpmsg_chan_put(c);
	}
}

struct rpmsg_channel *rpmsg_create_channel(struct rpmsg_virtio_device *rvdev, const char *name,
					   u32 src, u32 dst)
{
	struct rpmsg_chan *c;

	if (!rvdev || !name || !*name || strlen(name) >= RPMSG_NAME_SIZE)
		return NULL;
	c = rpmsg_channel_add(rvdev, name, src, dst, true);
	return c ? &c->ch : NULL;
}

void rpmsg_release_channel(struct rpmsg_channel *rpdev)
{
	if (!rpdev)
		return;
	rpmsg_channel_del(chan_of(rpdev));
	rpmsg_chan_put(chan_of(rpdev)); /* the creator's reference */
}

struct rpmsg_channel *rpmsg_channel_find(struct rpmsg_virtio_device *rvdev, const char *name)
{
	struct rpmsg_chan *c;

	if (!rvdev || !name)
		return NULL;
	amp_mutex_lock(&rpmsg_bus_lock);
	for (c = rvdev->channels; c && (c->gone || strncmp(c->ch.name, name, RPMSG_NAME_SIZE));
	     c = c->next)
		;
	if (c)
		rpmsg_chan_get(c);
	amp_mutex_unlock(&rpmsg_bus_lock);
	return c ? &c->ch : NULL;
}

struct rpmsg_channel *rpmsg_channel_get(struct rpmsg_channel *rpdev)
{
	if (rpdev)
		rpmsg_chan_get(chan_of(rpdev));
	return rpdev;
}

void rpmsg_channel_put(struct rpmsg_channel *rpdev)
{
	if (rpdev)
		rpmsg_chan_put(chan_of(rpdev));
}

bool rpmsg_channel_is_dead(const struct rpmsg_channel *rpdev)
{
	return rpmsg_chan_dead(chan_of(rpdev));
}

const char *rpmsg_channel_driver(const struct rpmsg_channel *rpdev, char *buf, size_t len)
{
	const struct rpmsg_driver *drv;

	if (!len)
		return buf;
	/* A driver bound is registered, or being unregistered by a thread that waits for the
	 * unbinding, which clears this under the lock: its name is valid memory here. */
	amp_mutex_lock(&rpmsg_bus_lock);
	drv = chan_of(rpdev)->driver;
	snprintf(buf, len, "%s", drv ? (drv->name ? drv->name : "?") : "");
	amp_mutex_unlock(&rpmsg_bus_lock);
	return buf;
}

struct rpmsg_chan_walk {
	void (*fn)(struct rpmsg_channel *rpdev, unsigned int index, void *arg);
	unsigned int index;
	void *arg;
};

static void rpmsg_chan_walk_one(struct rpmsg_channel *rpdev, void *arg)
{
	struct rpmsg_chan_walk *w = arg;

	w->fn(rpdev, w->index, w->arg);
}

void rpmsg_for_each_channel(struct rpmsg_virtio_device *rvdev,
			    void (*fn)(struct rpmsg_channel *rpdev, void *arg), void *arg)
{
	/* A snapshot with references: @fn runs without the bus lock, and may call rpmsg. */
	struct rpmsg_chan *found[RPMSG_MAX_CHANNELS], *c;
	unsigned int n = 0, i;

	amp_mutex_lock(&rpmsg_bus_lock);
	for (c = rvdev->channels; c && n < RPMSG_MAX_CHANNELS; c = c->next) {
		if (c->gone)
			continue;
		rpmsg_chan_get(c);
		found[n++] = c;
	}
	amp_mutex_unlock(&rpmsg_bus_lock);
	for (i = 0; i < n; i++) {
		fn(&found[i]->ch, arg);
		rpmsg_chan_put(found[i]);
	}
}

void rpmsg_for_each_channel_on(const void *parent,
				void (*fn)(struct rpmsg_channel *rpdev, unsigned int index,
					   void *arg),
				void *arg)
{
	struct rpmsg_virtio_device *rvdev, **found;
	unsigned int n = 0, i;

	/* A snapshot with references, as rpmsg_for_each_channel() takes of the channels. */
	amp_mutex_lock(&rpmsg_bus_lock);
	for (rvdev = rpmsg_devices; rvdev; rvdev = rvdev->next)
		n += parent && rvdev->parent == parent;
	found = malloc(sizeof(*found) * (n ? n : 1));
	n = 0;
	for (rvdev = rpmsg_devices; found && rvdev; rvdev = rvdev->next) {
		if (!parent || rvdev->parent != parent)
			continue;
		__atomic_add_fetch(&rvdev->refs, 1, __ATOMIC_RELAXED);
		found[n++] = rvdev;
	}
	amp_mutex_unlock(&rpmsg_bus_lock);
	/* Oldest first (the list is newest first): vdev 0 before vdev 1. */
	for (i = n; i--;) {
		struct rpmsg_chan_walk w = {fn, found[i]->index, arg};

		rpmsg_for_each_channel(found[i], rpmsg_chan_walk_one, &w);
	}
	for (i = 0; i < n; i++)
		rvdev_put(found[i]);
	free(found);
}

void rpmsg_set_channel_watch(rpmsg_channel_watch_t fn, void *priv)
{
	amp_mutex_lock(&rpmsg_watch_lock);
	rpmsg_watch_fn = fn;
	rpmsg_watch_priv = priv;
	amp_mutex_unlock(&rpmsg_watch_lock);
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
	amp_mutex_lock(&rvdev->rx_lock);
	s->rx_held = rvdev->rx_num_held;
	amp_mutex_unlock(&rvdev->rx_lock);
	amp_mutex_lock(&rvdev->tx_lock);
	s->tx_waiting = rvdev->tx_waiters;
	s->tx_out = rvdev->tx_num_out;
	amp_mutex_unlock(&rvdev->tx_lock);
}

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
	snprintf(rvdev->name, sizeof(rvdev->name), "%s", vdev->name ? vdev->name : "rpmsg");
	rvdev->vdev = vdev;
	rvdev->vops = vdev->config;
	rvdev->polled = vdev->polled;
	rvdev->parent = vdev->parent;
	rvdev->index = vdev->index;
	rvdev->features = vdev->features;
	rvdev->refs = 1;
	rvdev->bufs = vdev->buf_va;
	rvdev->buf_da = vdev->buf_da;
	rvdev->buf_size = vdev->buf_size;
	rvdev->num_bufs = vdev->num_bufs;
	rvdev->num_rx = vdev->num_bufs / 2;
	rvdev->next_tx = rvdev->num_rx;
	rvdev->rx_ring_num = vdev->vring[0].num;
	amp_mutex_init(&rvdev->rx_lock);
	amp_mutex_init(&rvdev->tx_lock);
	amp_mutex_init(&rvdev->ept_lock);
	amp_cond_init(&rvdev->tx_cond);
	amp_cond_init(&rvdev->ept_cond);

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
	rvdev->epts.slots = calloc(RPMSG_EPT_SLOTS_MIN, sizeof(*rvdev->epts.slots));
	if (!rvdev->holder || !rvdev->tx_free || !rvdev->epts.slots)
		goto out_free;
	rpmsg_ept_table_init(&rvdev->epts, rvdev->epts.slots, RPMSG_EPT_SLOTS_MIN);

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

	if (rvdev->features & (1u << VIRTIO_RPMSG_F_NS)) {
		rvdev->ns_ept = rpmsg_ept_new(rvdev, NULL, false, rpmsg_ns_cb, rvdev, RPMSG_NS_ADDR);
		if (!rvdev->ns_ept) {
			ret = -AMP_ENOMEM;
			goto out_free;
		}
	}
	amp_mutex_lock(&rpmsg_bus_lock);
	rvdev->next = rpmsg_devices;
	rpmsg_devices = rvdev;
	amp_mutex_unlock(&rpmsg_bus_lock);

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

/*
 * The device goes. Buffers the users still hold keep pointing into the pool: it is kept (the
 * transport's hold_bufs) until the last comes back, and a restart of the device meanwhile gets
 * other memory. Released at once if none is.
 */
static void rpmsg_dev_remove(struct rpmsg_virtio_device *rvdev)
{
	struct rpmsg_virtio_device **pp;
	struct rpmsg_chan *c;
	uint32_t i;

	if (rvdev->vops->hold_bufs)
		rvdev->hold = rvdev->vops->hold_bufs(rvdev->vdev);

	/* Channels first, while sends still work (without waiting: the remote may be dead), so
	 * that drivers may say goodbye in remove(). */
	rpmsg_going(rvdev, true);
	amp_mutex_lock(&rpmsg_bus_lock);
	rvdev->unlisted = true;
	for (c = rvdev->channels; c; c = c->next)
		c->gone = true;
	amp_mutex_unlock(&rpmsg_bus_lock);
	for (;;) {
		amp_mutex_lock(&rpmsg_bus_lock);
		c = rvdev->channels;
		if (c)
			rpmsg_chan_get(c);
		amp_mutex_unlock(&rpmsg_bus_lock);
		if (!c)
			break;
		rpmsg_channel_del(c); /* unlists it: the loop moves on */
		rpmsg_chan_put(c);
	}
	amp_mutex_lock(&rpmsg_bus_lock);
	for (pp = &rpmsg_devices; *pp; pp = &(*pp)->next) {
		if (*pp == rvdev) {
			*pp = rvdev->next;
			break;
		}
	}
	amp_mutex_unlock(&rpmsg_bus_lock);

	/* From here nothing touches the rings: every path checks this under its lock. Buffers
	 * users hold are counted under the same locks: the pool is released when the last is
	 * back (the users keep their pointers until then). */
	amp_mutex_lock(&rvdev->rx_lock);
	amp_mutex_lock(&rvdev->tx_lock);
	__atomic_store_n(&rvdev->bufs_left, rvdev->rx_num_held + rvdev->tx_num_out,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&rvdev->removed, true, __ATOMIC_RELEASE);
	amp_cond_broadcast(&rvdev->tx_cond);
	amp_mutex_unlock(&rvdev->tx_lock);
	amp_mutex_unlock(&rvdev->rx_lock);
	if (!__atomic_load_n(&rvdev->bufs_left, __ATOMIC_ACQUIRE))
		rpmsg_release_bufs(rvdev);

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
