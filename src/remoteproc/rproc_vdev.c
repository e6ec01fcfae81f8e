/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtio devices of a processor: each vdev of the resource table is handed to the virtio driver
 * registered for its id (the rpmsg bus for id 7) while the core runs, and the core's kicks are
 * routed to it by notify id. Host layer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <amp/errno.h>
#include <amp/log.h>
#include <amp/rpmsg.h>
#include <amp/wire/rsc_table.h>
#include <amp/wire/vring.h>

#include "remoteproc/remoteproc_internal.h"
#include "rpmsg/rpmsg_internal.h"

#define RPROC_MAX_VIRTIO_DRIVERS 8

static struct amp_mutex rproc_virtio_lock = AMP_MUTEX_INITIALIZER;
static const struct rproc_virtio_driver *rproc_virtio_drivers[RPROC_MAX_VIRTIO_DRIVERS];

int rproc_virtio_register_driver(const struct rproc_virtio_driver *drv)
{
	unsigned int i, slot = RPROC_MAX_VIRTIO_DRIVERS;
	int ret = 0;

	if (!drv || !drv->probe || !drv->remove || !drv->notify)
		return -AMP_EINVAL;
	amp_mutex_lock(&rproc_virtio_lock);
	for (i = 0; i < RPROC_MAX_VIRTIO_DRIVERS; i++) {
		if (rproc_virtio_drivers[i] && rproc_virtio_drivers[i]->id == drv->id)
			ret = -AMP_EEXIST;
		else if (!rproc_virtio_drivers[i] && slot == RPROC_MAX_VIRTIO_DRIVERS)
			slot = i;
	}
	if (!ret && slot == RPROC_MAX_VIRTIO_DRIVERS)
		ret = -AMP_ENOMEM;
	if (!ret)
		rproc_virtio_drivers[slot] = drv;
	amp_mutex_unlock(&rproc_virtio_lock);
	return ret;
}

void rproc_virtio_unregister_driver(const struct rproc_virtio_driver *drv)
{
	unsigned int i;

	amp_mutex_lock(&rproc_virtio_lock);
	for (i = 0; i < RPROC_MAX_VIRTIO_DRIVERS; i++)
		if (rproc_virtio_drivers[i] == drv)
			rproc_virtio_drivers[i] = NULL;
	amp_mutex_unlock(&rproc_virtio_lock);
}

static const struct rproc_virtio_driver *rproc_virtio_find(uint32_t id)
{
	const struct rproc_virtio_driver *drv = NULL;
	unsigned int i;

	amp_mutex_lock(&rproc_virtio_lock);
	for (i = 0; i < RPROC_MAX_VIRTIO_DRIVERS && !drv; i++)
		if (rproc_virtio_drivers[i] && rproc_virtio_drivers[i]->id == id)
			drv = rproc_virtio_drivers[i];
	amp_mutex_unlock(&rproc_virtio_lock);
	/* The rpmsg bus is built in: it drives rpmsg vdevs unless a driver was registered. */
	if (!drv && id == VIRTIO_ID_RPMSG)
		drv = &rpmsg_rproc_virtio_driver;
	return drv;
}

static struct rproc_vdev *rproc_vdev_of(struct rproc_virtio_device *dev)
{
	return AMP_CONTAINER_OF(dev, struct rproc_vdev, dev);
}

/* The vdev entry in the table in use (live in device memory while running). */
static struct fw_rsc_vdev *rproc_vdev_rsc(struct rproc_private *p, const struct rproc_vdev *vdev)
{
	if (!p->table_ptr)
		return NULL;
	return (struct fw_rsc_vdev *)(void *)((uint8_t *)p->table_ptr + vdev->rsc_offset +
					       sizeof(struct fw_rsc_hdr));
}

void rproc_virtio_set_status(struct rproc_virtio_device *dev, uint8_t status)
{
	struct rproc_vdev *vdev = rproc_vdev_of(dev);
	struct fw_rsc_vdev *rsc = rproc_vdev_rsc(vdev->owner, vdev);

	/* A single byte that is ours to write; the remote only reads it. Release: the rings and
	 * buffers set up before DRIVER_OK are visible to a remote that sees it. */
	if (rsc)
		__atomic_store_n(&rsc->status, status, __ATOMIC_RELEASE);
}

void rproc_virtio_kick(struct rproc_virtio_device *dev, unsigned int vqid)
{
	struct rproc_vdev *vdev = rproc_vdev_of(dev);

	if (vqid < vdev->num_vrings)
		vdev->owner->ops->kick(vdev->owner->rproc, vdev->vring[vqid].notifyid);
}

/* Both vrings' used rings are the remote's to write: what it consumed (host -> remote) and what
 * it sent (remote -> host). Their index moving is what a polled processor's poller watches. */
static uint16_t rproc_vring_used_idx(const struct rproc_vring *vr)
{
	struct vring ring;

	vring_init(&ring, vr->num, vr->mem.va, vr->align);
	return __atomic_load_n(&ring.used->idx, __ATOMIC_RELAXED);
}

/*
 * Run the driver of vdev @i on vring @j until it has nothing left. notify_lock is held on entry
 * and on return, and let go between rounds, so that a stop or a walk of the channels gets in
 * even while a remote refills its ring as fast as it is drained. The vdev array may be
 * replaced meanwhile (a stop frees it under notify_lock): it is found again by index.
 */
static void rproc_vring_notify(struct rproc_private *p, unsigned int i, unsigned int j)
{
	for (;;) {
		struct rproc_vdev *vdev = i < p->num_vdevs ? &p->vdevs[i] : NULL;

		if (!vdev || !vdev->driver || j >= vdev->num_vrings ||
		    !vdev->driver->notify(&vdev->dev, j))
			return;
		amp_mutex_unlock(&p->notify_lock);
		amp_yield();
		amp_mutex_lock(&p->notify_lock);
	}
}

static int rproc_vdev_start(struct rproc_private *p, struct rproc_vdev *vdev)
{
	const struct rproc_virtio_driver *drv = rproc_virtio_find(vdev->id);
	struct rproc_virtio_device *dev = &vdev->dev;
	unsigned int j;
	int ret;

	if (!drv) {
		amp_log(AMP_LOG_WARN, "%s: vdev %u: no driver for virtio id %u: left unbound",
			p->name, vdev->index, vdev->id);
		return 0;
	}
	/* Ready before the driver runs: rproc_virtio_hold_bufs() cannot fail. */
	if (!vdev->hold)
		vdev->hold = calloc(1, sizeof(*vdev->hold));
	if (!vdev->hold)
		return rproc_fail(p, -AMP_ENOMEM, "vdev %u: out of memory", vdev->index);
	memset(dev, 0, sizeof(*dev));
	dev->rproc = p->rproc;
	dev->index = vdev->index;
	dev->id = vdev->id;
	dev->features = vdev->gfeatures;
	dev->num_vrings = vdev->num_vrings;
	for (j = 0; j < vdev->num_vrings; j++) {
		dev->vring[j].va = vdev->vring[j].mem.va;
		dev->vring[j].da = vdev->vring[j].mem.da;
		dev->vring[j].len = vdev->vring[j].mem.len;
		dev->vring[j].num = vdev->vring[j].num;
		dev->vring[j].align = vdev->vring[j].align;
	}
	dev->buf_va = vdev->bufs.va;
	dev->buf_da = vdev->bufs.da;
	dev->buf_len = vdev->bufs.len;
	dev->buf_size = vdev->buf_size;
	dev->num_bufs = vdev->num_bufs;

	/* Linux's sequence: reset, ACKNOWLEDGE, DRIVER; DRIVER_OK is the driver's to set. */
	rproc_virtio_set_status(dev, 0);
	rproc_virtio_set_status(dev, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	ret = drv->probe(dev);
	if (ret) {
		rproc_virtio_set_status(dev, VIRTIO_CONFIG_S_FAILED);
		return rproc_fail(p, ret, "vdev %u: driver %s refused it", vdev->index, drv->name);
	}
	/* The remote may have kicked between DRIVER_OK (set in probe) and this hook-up, and
	 * that kick found no driver: look at every vring once, as if kicked. */
	amp_mutex_lock(&p->notify_lock);
	amp_mutex_lock(&p->going_lock);
	vdev->driver = drv;
	amp_mutex_unlock(&p->going_lock);
	for (j = 0; j < vdev->num_vrings; j++) {
		/* Polled: what this look handles is seen; a move after it is news. A value left
		 * from before a recovery could equal the new ring's index and hide a message. */
		vdev->vring[j].poll_seen = rproc_vring_used_idx(&vdev->vring[j]);
		rproc_vring_notify(p, (unsigned int)(vdev - p->vdevs), j);
	}
	amp_mutex_unlock(&p->notify_lock);
	rproc_event_locked(p, RPROC_EVENT_VDEV_UP);
	return 0;
}

static void rproc_vdev_stop(struct rproc_private *p, struct rproc_vdev *vdev)
{
	const struct rproc_virtio_driver *drv;

	/* Unhook first: once notify_lock is released no notification runs on this vdev, and no
	 * new one finds it. */
	amp_mutex_lock(&p->notify_lock);
	amp_mutex_lock(&p->going_lock);
	drv = vdev->driver;
	vdev->driver = NULL;
	amp_mutex_unlock(&p->going_lock);
	amp_mutex_unlock(&p->notify_lock);
	if (!drv)
		return;
	drv->remove(&vdev->dev);
	rproc_virtio_set_status(&vdev->dev, 0);
	rproc_event_locked(p, RPROC_EVENT_VDEV_DOWN);
}

int rproc_start_vdevs(struct rproc_private *p)
{
	unsigned int i;
	int ret;

	for (i = 0; i < p->num_vdevs; i++) {
		ret = rproc_vdev_start(p, &p->vdevs[i]);
		if (ret) {
			while (i--)
				rproc_vdev_stop(p, &p->vdevs[i]);
			return ret;
		}
	}
	return 0;
}

void rproc_vdevs_going(struct rproc_private *p, unsigned int run)
{
	unsigned int i;

	amp_mutex_lock(&p->going_lock);
	/* The vdevs hooked now are those of the current run: a later run hooks its own after
	 * moving the count, under this lock. A report for an earlier run must not touch them. */
	for (i = 0; __atomic_load_n(&p->run, __ATOMIC_ACQUIRE) == run && i < p->num_vdevs; i++)
		if (p->vdevs[i].driver && p->vdevs[i].driver->going)
			p->vdevs[i].driver->going(&p->vdevs[i].dev);
	amp_mutex_unlock(&p->going_lock);
}

void rproc_stop_vdevs(struct rproc_private *p)
{
	unsigned int i = p->num_vdevs;

	/* All of them first: unhooking one waits for the notification path, which a sender
	 * blocked in a callback of another would otherwise hold up. */
	rproc_vdevs_going(p, __atomic_load_n(&p->run, __ATOMIC_ACQUIRE));
	while (i--)
		rproc_vdev_stop(p, &p->vdevs[i]);
}

int rproc_reset_vdev_memory(struct rproc_private *p)
{
	unsigned int i, j;
	int ret;

	/* Buffers the last run's users still hold keep their memory, and their contents: the
	 * vdevs concerned get other memory. */
	ret = rproc_renew_held_bufs(p);
	if (ret)
		return ret;
	for (i = 0; i < p->num_vdevs; i++) {
		for (j = 0; j < p->vdevs[i].num_vrings; j++)
			memset(p->vdevs[i].vring[j].mem.va, 0, p->vdevs[i].vring[j].mem.len);
		memset(p->vdevs[i].bufs.va, 0, p->vdevs[i].bufs.len);
	}
	return 0;
}

struct rproc_buf_hold *rproc_virtio_hold_bufs(struct rproc_virtio_device *dev)
{
	struct rproc_vdev *vdev = rproc_vdev_of(dev);
	struct rproc_buf_hold *h = vdev->hold;

	if (vdev->held)
		return vdev->held; /* asked twice: the same hold */
	vdev->hold = NULL;
	h->mem = vdev->bufs;
	h->refs = 2; /* the core's and the driver's */
	h->next = NULL;
	vdev->held = h;
	return h;
}

void rproc_virtio_release_bufs(struct rproc_buf_hold *h)
{
	/* The core gives the memory back at its next transition (rproc_reap_held_bufs()); only
	 * when it has already (the processor was freed) is the struct ours to free. */
	if (h && __atomic_sub_fetch(&h->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(h);
}

int rproc_vq_interrupt(struct rproc *rproc, int notifyid)
{
	struct rproc_private *p = rproc_p(rproc);
	unsigned int i, j;
	int ret = -AMP_ENOENT;

	amp_mutex_lock(&p->notify_lock);
	/* A handful of vrings per processor: a scan is cheaper than any map. A kick without an
	 * id runs every vring; i is checked again, as the array may go while a ring is run. */
	for (i = 0; i < p->num_vdevs && (ret || notifyid == RPROC_NOTIFY_ANY); i++) {
		for (j = 0; i < p->num_vdevs && p->vdevs[i].driver && j < p->vdevs[i].num_vrings;
		     j++) {
			if (notifyid == RPROC_NOTIFY_ANY || p->vdevs[i].vring[j].notifyid == notifyid) {
				rproc_vring_notify(p, i, j);
				ret = 0;
				if (notifyid != RPROC_NOTIFY_ANY)
					break;
			}
		}
	}
	if (ret)
		p->unknown_notifies++;
	amp_mutex_unlock(&p->notify_lock);
	return ret;
}

int rproc_poll(struct rproc *rproc)
{
	struct rproc_private *p = rproc_p(rproc);
	unsigned int i, j;

	amp_mutex_lock(&p->notify_lock);
	for (i = 0; i < p->num_vdevs; i++)
		/* i is checked again: the array may have gone while the lock was let go. */
		for (j = 0; i < p->num_vdevs && p->vdevs[i].driver && j < p->vdevs[i].num_vrings;
		     j++)
			if (!(p->vdevs[i].dev.poll_skip >> j & 1))
				rproc_vring_notify(p, i, j);
	amp_mutex_unlock(&p->notify_lock);
	return 0;
}

struct rproc_channel_walk {
	void (*fn)(struct rpmsg_channel *ch, unsigned int index, void *arg);
	unsigned int index;
	void *arg;
};

static void rproc_channel_walk_one(struct rpmsg_channel *ch, void *arg)
{
	struct rproc_channel_walk *w = arg;

	w->fn(ch, w->index, w->arg);
}

void rproc_for_each_channel(struct rproc *rproc,
			    void (*fn)(struct rpmsg_channel *ch, unsigned int index, void *arg),
			    void *arg)
{
	struct rproc_private *p = rproc_p(rproc);
	struct rproc_channel_walk w = {fn, 0, arg};
	unsigned int i;

	/* notify_lock keeps every vdev hooked up (unhooking takes it), and is taken before the
	 * bus lock, as on the notification path. */
	amp_mutex_lock(&p->notify_lock);
	for (i = 0; i < p->num_vdevs; i++) {
		if (!p->vdevs[i].driver || p->vdevs[i].id != VIRTIO_ID_RPMSG)
			continue;
		w.index = p->vdevs[i].index;
		rpmsg_for_each_channel(p->vdevs[i].dev.driver_priv, rproc_channel_walk_one, &w);
	}
	amp_mutex_unlock(&p->notify_lock);
}

void rproc_set_polled(struct rproc *rproc, bool polled)
{
	rproc_p(rproc)->polled = polled;
}

bool rproc_is_polled(const struct rproc *rproc)
{
	return rproc_p(rproc)->polled;
}

bool rproc_poll_pending(struct rproc *rproc)
{
	struct rproc_private *p = rproc_p(rproc);
	bool pending = false;
	unsigned int i, j;

	amp_mutex_lock(&p->notify_lock);
	for (i = 0; i < p->num_vdevs; i++) {
		for (j = 0; p->vdevs[i].driver && j < p->vdevs[i].num_vrings; j++) {
			struct rproc_vring *vr = &p->vdevs[i].vring[j];
			uint16_t idx;

			if (p->vdevs[i].dev.poll_skip >> j & 1)
				continue; /* its driver has nothing to do there */
			idx = rproc_vring_used_idx(vr);

			if (idx != vr->poll_seen) {
				vr->poll_seen = idx;
				pending = true;
			}
		}
	}
	amp_mutex_unlock(&p->notify_lock);
	return pending;
}

struct rproc_virtio_device *rproc_get_vdev(struct rproc *rproc, unsigned int index)
{
	struct rproc_private *p = rproc_p(rproc);
	struct rproc_virtio_device *dev = NULL;

	amp_mutex_lock(&p->notify_lock);
	if (index < p->num_vdevs && p->vdevs[index].driver)
		dev = &p->vdevs[index].dev;
	amp_mutex_unlock(&p->notify_lock);
	return dev;
}
