/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host's rpmsg bus: drivers, channels and their binding, endpoints and their addresses,
 * delivery to callbacks, the channel watch, and what the name service's announcements do. It
 * moves no buffer: a transport does (rpmsg_virtio.c, through struct rpmsg_dev_ops), as Linux's
 * rpmsg_core.c leaves virtio_rpmsg_bus.c the rings. Host layer.
 *
 * Locks, outermost first (docs/architecture.md has the whole order, with the transport's and
 * remoteproc's):
 *  - chan->lock, one per channel: serialises binding it (probe(), remove(), the name-service
 *    announcements, the watch's calls for it). Held across user code and blocking sends, as
 *    Linux holds a device's lock around probe and remove: only that channel waits meanwhile.
 *  - rpmsg_watch_lock: held across the watch's quick callback only.
 *  - rpmsg_bus_lock: list membership only (drivers, devices, each device's channels, which
 *    driver a channel is bound to); held for short walks, never across user code or a wait.
 *  - dev->ept_lock (the endpoint table, callbacks in flight), then the transport's own.
 * No lock is held while an rx callback runs.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <amp/errno.h>
#include <amp/log.h>
#include <amp/rpmsg.h>

#include "os/os.h"
#include "rpmsg/rpmsg_internal.h"
#include "rpmsg/rpmsg_proto.h"

#define RPMSG_EPT_SLOTS_MIN 64u

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
static struct rpmsg_dev *rpmsg_devices;
static struct amp_mutex rpmsg_watch_lock = AMP_MUTEX_INITIALIZER;
/* guarded by rpmsg_watch_lock */
static rpmsg_channel_watch_t rpmsg_watch_fn;
static void *rpmsg_watch_priv;
/* The device whose notification context this thread is running (its callbacks), or NULL. */
static _Thread_local struct rpmsg_dev *rpmsg_notify_dev;

struct rpmsg_dev *rpmsg_notify_swap(struct rpmsg_dev *dev)
{
	struct rpmsg_dev *outer = rpmsg_notify_dev;

	rpmsg_notify_dev = dev;
	return outer;
}

bool rpmsg_in_notify(const struct rpmsg_dev *dev)
{
	return rpmsg_notify_dev == dev;
}

/* --- delivery ---------------------------------------------------------------------------- */

static struct rpmsg_endpoint *rpmsg_ept_get(struct rpmsg_dev *dev, uint32_t addr)
{
	struct rpmsg_endpoint *ept;

	amp_mutex_lock(&dev->ept_lock);
	ept = rpmsg_ept_table_lookup(&dev->epts, addr);
	if (ept)
		ept->busy++;
	amp_mutex_unlock(&dev->ept_lock);
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
	struct rpmsg_dev *dev;

	/* Acquire-release: what was done through other references happens before the free. */
	if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	dev = rpmsg_dev_of(c->ch.rvdev);
	amp_mutex_destroy(&c->lock);
	free(c);
	rpmsg_dev_put(dev);
}

static bool rpmsg_chan_dead(const struct rpmsg_chan *c)
{
	return __atomic_load_n(&c->dead, __ATOMIC_ACQUIRE);
}

static void rpmsg_ept_free(struct rpmsg_endpoint *ept)
{
	struct rpmsg_dev *dev = ept->dev;
	struct rpmsg_chan *chan = ept->is_default ? NULL : ept->chan;

	free(ept);
	if (chan)
		rpmsg_chan_put(chan);
	rpmsg_dev_put(dev);
}

static void rpmsg_ept_done(struct rpmsg_endpoint *ept)
{
	struct rpmsg_dev *dev = ept->dev;
	bool free_it;

	amp_mutex_lock(&dev->ept_lock);
	ept->busy--;
	free_it = ept->free_on_done && !ept->busy;
	amp_cond_broadcast(&dev->ept_cond);
	amp_mutex_unlock(&dev->ept_lock);
	if (free_it)
		rpmsg_ept_free(ept);
}

void rpmsg_rx_run_end(struct rpmsg_rx_run *run)
{
	if (run->ept)
		rpmsg_ept_done(run->ept);
	run->ept = NULL;
}

void rpmsg_dev_deliver(struct rpmsg_dev *dev, struct rpmsg_rx_run *run,
		       const struct rpmsg_rx_msg *msg)
{
	struct rpmsg_endpoint *ept;

	if (run->ept && (run->addr != msg->dst || rpmsg_ept_dead(run->ept)))
		rpmsg_rx_run_end(run);
	if (!run->ept) {
		run->ept = rpmsg_ept_get(dev, msg->dst);
		run->addr = msg->dst;
	}
	ept = run->ept;
	if (!ept) {
		RPMSG_STAT_INC(dev, rx_no_ept);
		return;
	}
	dev->delivering = msg->data;
	dev->delivering_ept = ept;
	/* Counted before the callback: what the callback makes happen sees the count. */
	RPMSG_STAT_INC(dev, rx_msgs);
	if (!rpmsg_ept_dead(ept) && !__atomic_load_n(&ept->muted, __ATOMIC_RELAXED) && ept->cb)
		ept->cb(ept->rpdev, (void *)(uintptr_t)msg->data, msg->len, ept->priv, msg->src);
	dev->delivering = NULL;
	dev->delivering_ept = NULL;
}

/* --- endpoints --------------------------------------------------------------------------- */

/* Grow the table when full: a new slot array twice as large, every entry moved. ept_lock held. */
static int rpmsg_ept_table_grow(struct rpmsg_dev *dev)
{
	struct rpmsg_ept_table old = dev->epts, grown;
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
	dev->epts = grown;
	return 0;
}

/* A new endpoint at @addr on @dev; made on channel @chan (NULL for the name service's), as
 * its default endpoint when @is_default. */
static struct rpmsg_endpoint *rpmsg_ept_new(struct rpmsg_dev *dev,
					    struct rpmsg_chan *chan, bool is_default,
					    rpmsg_rx_cb_t cb, void *priv, uint32_t addr)
{
	struct rpmsg_endpoint *ept = calloc(1, sizeof(*ept));
	int ret = 0;

	if (!ept)
		return NULL;
	ept->dev = dev;
	ept->rpdev = chan ? &chan->ch : NULL;
	ept->chan = chan;
	ept->is_default = is_default;
	ept->cb = cb;
	ept->priv = priv;
	ept->timeout_ms = RPMSG_SEND_TIMEOUT_MS;
	amp_mutex_lock(&dev->ept_lock);
	if (rpmsg_dev_removed(dev))
		ret = -AMP_ENODEV;
	if (!ret && rpmsg_ept_table_full(&dev->epts))
		ret = rpmsg_ept_table_grow(dev);
	if (!ret && addr == RPMSG_ADDR_ANY)
		ret = rpmsg_ept_table_alloc_addr(&dev->epts, &addr);
	if (!ret)
		ret = rpmsg_ept_table_insert(&dev->epts, addr, ept);
	amp_mutex_unlock(&dev->ept_lock);
	if (ret) {
		free(ept);
		return NULL;
	}
	ept->addr = addr;
	rpmsg_dev_get(dev);
	if (chan && !is_default)
		rpmsg_chan_get(chan);
	return ept;
}

struct rpmsg_endpoint *rpmsg_create_ept(struct rpmsg_channel *rpdev, rpmsg_rx_cb_t cb, void *priv,
					u32 addr)
{
	if (!rpdev || !rpdev->rvdev || rpmsg_chan_dead(chan_of(rpdev)))
		return NULL;
	return rpmsg_ept_new(rpmsg_dev_of(rpdev->rvdev), chan_of(rpdev), false, cb, priv, addr);
}

void rpmsg_destroy_ept(struct rpmsg_endpoint *ept)
{
	struct rpmsg_dev *dev;
	bool free_now;

	if (!ept)
		return;
	dev = ept->dev;
	amp_mutex_lock(&dev->ept_lock);
	if (rpmsg_ept_table_lookup(&dev->epts, ept->addr) == ept)
		rpmsg_ept_table_remove(&dev->epts, ept->addr);
	__atomic_store_n(&ept->dead, true, __ATOMIC_RELAXED);
	/* From another thread, wait for its callback to finish; from this device's notification
	 * thread the running callback is its own (one runs at a time): free it when it returns. */
	while (ept->busy && !rpmsg_in_notify(dev))
		amp_cond_wait(&dev->ept_cond, &dev->ept_lock);
	free_now = !ept->busy;
	ept->free_on_done = !free_now;
	amp_mutex_unlock(&dev->ept_lock);
	/* Dead: nothing new is held by it (a hold or a hand-out checks, under the lock that
	 * guards it); what it holds goes back now, not when its own callback returns. */
	dev->ops->ept_gone(ept);
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
	return (int)ept->dev->mtu;
}

int rpmsg_ept_sendto(struct rpmsg_endpoint *ept, u32 dst, const void *data, int len,
		     uint32_t timeout_ms)
{
	if (!ept)
		return -AMP_EINVAL;
	return ept->dev->ops->send(ept->dev, ept->addr, dst, data, len, timeout_ms);
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
	struct rpmsg_dev *dev;

	if (!rpdev || !rpdev->rvdev)
		return -AMP_EINVAL;
	c = chan_of(rpdev);
	if (rpmsg_chan_dead(c))
		return -AMP_ENODEV;
	dev = rpmsg_dev_of(rpdev->rvdev);
	return dev->ops->send(dev, src, dst, data, len,
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


/* --- zero-copy: the transport's buffers, lent to an endpoint ---------------------------- */

void *rpmsg_get_tx_buffer(struct rpmsg_endpoint *ept, uint32_t *len, uint32_t timeout_ms)
{
	return ept->dev->ops->get_tx_buffer(ept, len, timeout_ms);
}

int rpmsg_send_nocopy(struct rpmsg_endpoint *ept, u32 dst, void *payload, int len)
{
	return ept->dev->ops->send_nocopy(ept, dst, payload, len);
}

void rpmsg_release_tx_buffer(struct rpmsg_endpoint *ept, void *payload)
{
	ept->dev->ops->release_tx_buffer(ept, payload);
}

int rpmsg_hold_rx_buffer(struct rpmsg_endpoint *ept, void *data)
{
	struct rpmsg_dev *dev = ept->dev;

	/* Only the message being delivered to @ept, from its own callback. */
	if (!rpmsg_in_notify(dev) || data != dev->delivering || ept != dev->delivering_ept ||
	    rpmsg_ept_dead(ept))
		return -AMP_EINVAL;
	return dev->ops->hold_rx_buffer(ept, data);
}

void rpmsg_release_rx_buffer(struct rpmsg_endpoint *ept, void *data)
{
	ept->dev->ops->release_rx_buffer(ept, data);
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
	struct rpmsg_dev *dev = rpmsg_dev_of(c->ch.rvdev);
	uint8_t msg[sizeof(struct rpmsg_ns_msg)];
	uint32_t src = rpmsg_chan_src(&c->ch);
	int ret;

	if (!c->announce || !dev->ns)
		return;
	rpmsg_ns_write(msg, c->ch.name, src, destroy);
	ret = dev->ops->send(dev, src, RPMSG_NS_ADDR, msg, sizeof(msg), RPMSG_SEND_TIMEOUT_MS);
	if (ret && ret != -AMP_ENODEV)
		amp_log(AMP_LOG_WARN, "%s: could not announce channel %s (%s)", dev->name,
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
	struct rpmsg_dev *dev = rpmsg_dev_of(c->ch.rvdev);
	struct rpmsg_endpoint *ept;
	int ret;

	ept = rpmsg_ept_new(dev, c, true, drv->callback, NULL, rpmsg_chan_src(&c->ch));
	if (!ept) {
		amp_log(AMP_LOG_WARN, "%s: channel %s: no endpoint at 0x%x for driver %s", dev->name,
			c->ch.name, rpmsg_chan_src(&c->ch), drv->name ? drv->name : "?");
		rpmsg_chan_set_driver(c, NULL);
		return -AMP_ENOMEM;
	}
	__atomic_store_n(&c->ch.src, ept->addr, __ATOMIC_RELAXED);
	__atomic_store_n(&c->timeout_ms, RPMSG_SEND_TIMEOUT_MS, __ATOMIC_RELAXED);
	__atomic_store_n(&c->ch.ept, ept, __ATOMIC_RELEASE);
	ret = drv->probe(&c->ch);
	if (ret) {
		amp_log(AMP_LOG_WARN, "%s: channel %s: driver %s probe failed (%s)", dev->name,
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

/* Unbind @c from its driver: announce, callbacks stopped, remove(), default endpoint destroyed.
 * c->lock held. */
static void rpmsg_channel_unbind(struct rpmsg_chan *c)
{
	const struct rpmsg_driver *drv = c->driver;
	struct rpmsg_endpoint *ept = c->ch.ept;

	if (!drv)
		return;
	rpmsg_announce(c, true);
	/* No callback starts from here on: a message that comes while remove() runs, or after,
	 * until the endpoint is destroyed, would reach a driver half gone. One running already
	 * may finish meanwhile (the destroy below waits for it), as on Linux. */
	if (ept)
		__atomic_store_n(&ept->muted, true, __ATOMIC_RELAXED);
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
static struct rpmsg_chan *rpmsg_channel_lookup(struct rpmsg_dev *dev,
					       const char *name, uint32_t src, uint32_t dst)
{
	struct rpmsg_chan *c;

	for (c = dev->channels; c; c = c->next)
		if (!c->gone && !strncmp(c->ch.name, name, RPMSG_NAME_SIZE) &&
		    (src == RPMSG_ADDR_ANY || rpmsg_chan_src(&c->ch) == src) && c->ch.dst == dst)
			return c;
	return NULL;
}

/* A new channel, listed, offered to the drivers, announced to the watch. Returns it with a
 * reference for the caller, or NULL (device going, duplicate, too many, no memory). */
static struct rpmsg_chan *rpmsg_channel_add(struct rpmsg_dev *dev, const char *name,
					    uint32_t src, uint32_t dst, bool announce)
{
	struct rpmsg_chan *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	snprintf(c->ch.name, sizeof(c->ch.name), "%s", name);
	c->ch.src = src;
	c->ch.dst = dst;
	c->ch.rvdev = rpmsg_dev_handle(dev);
	c->announce = announce && src != RPMSG_ADDR_ANY;
	c->timeout_ms = RPMSG_SEND_TIMEOUT_MS;
	c->refs = 2; /* the bus's and the caller's */
	amp_mutex_init(&c->lock);

	amp_mutex_lock(&rpmsg_bus_lock);
	if (dev->unlisted || rpmsg_channel_lookup(dev, name, src, dst) ||
	    dev->num_channels >= RPMSG_MAX_CHANNELS) {
		amp_mutex_unlock(&rpmsg_bus_lock);
		amp_mutex_destroy(&c->lock);
		free(c);
		return NULL;
	}
	rpmsg_dev_get(dev);
	c->next = dev->channels;
	dev->channels = c;
	dev->num_channels++;
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
	struct rpmsg_dev *dev = rpmsg_dev_of(c->ch.rvdev);
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
	for (pp = &dev->channels; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			dev->num_channels--;
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
	struct rpmsg_dev *dev = priv;
	struct rpmsg_ns_info ns;
	struct rpmsg_chan *c;

	(void)unused;
	(void)src;
	if (rpmsg_ns_parse(data, (uint32_t)len, &ns)) {
		RPMSG_STAT_INC(dev, ns_bad);
		amp_log(AMP_LOG_WARN, "%s: malformed name-service message (%d bytes) dropped",
			dev->name, len);
		return;
	}
	if (ns.destroy) {
		amp_mutex_lock(&rpmsg_bus_lock);
		c = rpmsg_channel_lookup(dev, ns.name, RPMSG_ADDR_ANY, ns.addr);
		if (c)
			rpmsg_chan_get(c);
		amp_mutex_unlock(&rpmsg_bus_lock);
		if (c) {
			rpmsg_channel_del(c);
			rpmsg_chan_put(c);
		}
		return;
	}
	c = rpmsg_channel_add(dev, ns.name, RPMSG_ADDR_ANY, ns.addr, false);
	if (c) {
		rpmsg_chan_put(c);
		return;
	}
	RPMSG_STAT_INC(dev, ns_refused);
	amp_log(AMP_LOG_WARN, "%s: channel %s at 0x%x refused (duplicate, or over %u)", dev->name,
		ns.name, ns.addr, RPMSG_MAX_CHANNELS);
}

int register_rpmsg_driver(struct rpmsg_driver *drv)
{
	struct rpmsg_dev *dev;
	struct rpmsg_chan *c, **found;
	unsigned int n = 0, i;

	if (!drv || !drv->id_table || !drv->probe)
		return -AMP_EINVAL;
	amp_mutex_lock(&rpmsg_bus_lock);
	if (rpmsg_driver_listed(drv)) {
		amp_mutex_unlock(&rpmsg_bus_lock);
		return -AMP_EBUSY;
	}
	for (dev = rpmsg_devices; dev; dev = dev->next)
		n += dev->num_channels;
	/* The channels to offer it, each with a reference: probed without the bus lock. */
	found = malloc(sizeof(*found) * (n ? n : 1));
	if (!found) {
		amp_mutex_unlock(&rpmsg_bus_lock);
		return -AMP_ENOMEM;
	}
	n = 0;
	for (dev = rpmsg_devices; dev; dev = dev->next) {
		for (c = dev->channels; c; c = c->next) {
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
	struct rpmsg_dev *dev;
	struct rpmsg_chan *c = NULL;

	amp_mutex_lock(&rpmsg_bus_lock);
	for (dev = rpmsg_devices; dev && !c; dev = dev->next)
		for (c = dev->channels; c && c->driver != drv; c = c->next)
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
	c = rpmsg_channel_add(rpmsg_dev_of(rvdev), name, src, dst, true);
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
	for (c = rpmsg_dev_of(rvdev)->channels; c && (c->gone || strncmp(c->ch.name, name, RPMSG_NAME_SIZE));
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

static void rpmsg_dev_for_each_channel(struct rpmsg_dev *dev,
				       void (*fn)(struct rpmsg_channel *rpdev, void *arg), void *arg)
{
	/* A snapshot with references: @fn runs without the bus lock, and may call rpmsg. */
	struct rpmsg_chan *found[RPMSG_MAX_CHANNELS], *c;
	unsigned int n = 0, i;

	amp_mutex_lock(&rpmsg_bus_lock);
	for (c = dev->channels; c && n < RPMSG_MAX_CHANNELS; c = c->next) {
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

void rpmsg_for_each_channel(struct rpmsg_virtio_device *rvdev,
			    void (*fn)(struct rpmsg_channel *rpdev, void *arg), void *arg)
{
	rpmsg_dev_for_each_channel(rpmsg_dev_of(rvdev), fn, arg);
}

void rpmsg_for_each_channel_on(const void *parent,
				void (*fn)(struct rpmsg_channel *rpdev, unsigned int index,
					   void *arg),
				void *arg)
{
	struct rpmsg_dev *dev, **found;
	unsigned int n = 0, i;

	/* A snapshot with references, as rpmsg_for_each_channel() takes of the channels. */
	amp_mutex_lock(&rpmsg_bus_lock);
	for (dev = rpmsg_devices; dev; dev = dev->next)
		n += parent && dev->parent == parent;
	found = malloc(sizeof(*found) * (n ? n : 1));
	n = 0;
	for (dev = rpmsg_devices; found && dev; dev = dev->next) {
		if (!parent || dev->parent != parent)
			continue;
		rpmsg_dev_get(dev);
		found[n++] = dev;
	}
	amp_mutex_unlock(&rpmsg_bus_lock);
	/* Oldest first (the list is newest first): vdev 0 before vdev 1. */
	for (i = n; i--;) {
		struct rpmsg_chan_walk w = {fn, found[i]->index, arg};

		rpmsg_dev_for_each_channel(found[i], rpmsg_chan_walk_one, &w);
	}
	for (i = 0; i < n; i++)
		rpmsg_dev_put(found[i]);
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
	return rpmsg_dev_of(rpdev->rvdev)->name;
}

void rpmsg_get_stats(struct rpmsg_virtio_device *rvdev, struct rpmsg_stats *s)
{
	struct rpmsg_dev *dev = rpmsg_dev_of(rvdev);

	s->rx_msgs = __atomic_load_n(&dev->stats.rx_msgs, __ATOMIC_RELAXED);
	s->rx_bad = __atomic_load_n(&dev->stats.rx_bad, __ATOMIC_RELAXED);
	s->rx_no_ept = __atomic_load_n(&dev->stats.rx_no_ept, __ATOMIC_RELAXED);
	s->ns_bad = __atomic_load_n(&dev->stats.ns_bad, __ATOMIC_RELAXED);
	s->ns_refused = __atomic_load_n(&dev->stats.ns_refused, __ATOMIC_RELAXED);
	s->tx_msgs = __atomic_load_n(&dev->stats.tx_msgs, __ATOMIC_RELAXED);
	s->tx_timeouts = __atomic_load_n(&dev->stats.tx_timeouts, __ATOMIC_RELAXED);
	dev->ops->get_stats(dev, s);
}

/* --- a device on the bus ---------------------------------------------------------------- */

int rpmsg_dev_init(struct rpmsg_dev *dev, const struct rpmsg_dev_ops *ops, const char *name,
		   void *parent, unsigned int index, bool ns, uint32_t mtu)
{
	struct rpmsg_ept_slot *slots = calloc(RPMSG_EPT_SLOTS_MIN, sizeof(*slots));

	if (!slots)
		return -AMP_ENOMEM;
	snprintf(dev->name, sizeof(dev->name), "%s", name ? name : "rpmsg");
	dev->ops = ops;
	dev->parent = parent;
	dev->index = index;
	dev->ns = ns;
	dev->mtu = mtu;
	dev->refs = 1;
	amp_mutex_init(&dev->ept_lock);
	amp_cond_init(&dev->ept_cond);
	rpmsg_ept_table_init(&dev->epts, slots, RPMSG_EPT_SLOTS_MIN);
	return 0;
}

void rpmsg_dev_cleanup(struct rpmsg_dev *dev)
{
	amp_cond_destroy(&dev->ept_cond);
	amp_mutex_destroy(&dev->ept_lock);
	free(dev->epts.slots);
}

int rpmsg_dev_register(struct rpmsg_dev *dev)
{
	if (dev->ns) {
		dev->ns_ept = rpmsg_ept_new(dev, NULL, false, rpmsg_ns_cb, dev, RPMSG_NS_ADDR);
		if (!dev->ns_ept)
			return -AMP_ENOMEM;
	}
	amp_mutex_lock(&rpmsg_bus_lock);
	dev->next = rpmsg_devices;
	rpmsg_devices = dev;
	amp_mutex_unlock(&rpmsg_bus_lock);
	return 0;
}

void rpmsg_dev_unregister(struct rpmsg_dev *dev)
{
	struct rpmsg_dev **pp;
	struct rpmsg_chan *c;

	amp_mutex_lock(&rpmsg_bus_lock);
	dev->unlisted = true;
	for (c = dev->channels; c; c = c->next)
		c->gone = true;
	amp_mutex_unlock(&rpmsg_bus_lock);
	for (;;) {
		amp_mutex_lock(&rpmsg_bus_lock);
		c = dev->channels;
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
		if (*pp == dev) {
			*pp = dev->next;
			break;
		}
	}
	amp_mutex_unlock(&rpmsg_bus_lock);
}

void rpmsg_dev_drop_epts(struct rpmsg_dev *dev)
{
	uint32_t i;

	if (dev->ns_ept)
		rpmsg_destroy_ept(dev->ns_ept);
	/* Endpoints the user still holds stay valid (sends fail with -ENODEV) until destroyed;
	 * drop them from the table so that nothing is delivered. */
	amp_mutex_lock(&dev->ept_lock);
	for (i = 0; i < dev->epts.cap; i++)
		dev->epts.slots[i].ept = NULL;
	dev->epts.count = 0;
	amp_mutex_unlock(&dev->ept_lock);
}
