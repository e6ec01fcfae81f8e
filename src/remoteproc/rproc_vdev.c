/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtio devices of a processor: remoteproc as a virtio transport (<amp/virtio.h>). Each vdev of
 * the resource table becomes a struct virtio_device whose config ops read and write its entry in
 * the live table; while the core runs it is bound to the virtio driver registered for its id,
 * and the core's kicks are routed to that driver by notify id. Host layer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <amp/errno.h>
#include <amp/log.h>
#include <amp/virtio.h>
#include <amp/virtqueue.h>
#include <amp/wire/rsc_table.h>
#include <amp/wire/vring.h>

#include "remoteproc/remoteproc_internal.h"

static struct rproc_vdev *rproc_vdev_of(struct virtio_device *dev)
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

/* --- the config ops: what a virtio driver asks of a vdev --------------------------------- */

static uint32_t rproc_vdev_get_features(struct virtio_device *dev)
{
	/* As the table said when it was handled (and checked): the remote may have rewritten
	 * the live copy since. */
	return rproc_vdev_of(dev)->dfeatures;
}

static int rproc_vdev_finalize_features(struct virtio_device *dev)
{
	struct rproc_vdev *vdev = rproc_vdev_of(dev);
	struct fw_rsc_vdev *rsc = rproc_vdev_rsc(vdev->owner, vdev);

	/* Ours to write, before DRIVER_OK: a remote reads it once it sees that (the release
	 * store of the status publishes it). A plain store: the entry is packed. */
	if (rsc)
		rsc->gfeatures = dev->features;
	return 0;
}

static uint8_t rproc_vdev_get_status(struct virtio_device *dev)
{
	struct rproc_vdev *vdev = rproc_vdev_of(dev);
	struct fw_rsc_vdev *rsc = rproc_vdev_rsc(vdev->owner, vdev);

	return rsc ? __atomic_load_n(&rsc->status, __ATOMIC_ACQUIRE) : 0;
}

static void rproc_vdev_set_status(struct virtio_device *dev, uint8_t status)
{
	struct rproc_vdev *vdev = rproc_vdev_of(dev);
	struct fw_rsc_vdev *rsc = rproc_vdev_rsc(vdev->owner, vdev);

	/* A single byte that is ours to write; the remote only reads it. Release: the rings and
	 * buffers set up before DRIVER_OK are visible to a remote that sees it. */
	if (rsc)
		__atomic_store_n(&rsc->status, status, __ATOMIC_RELEASE);
}

static void rproc_vdev_reset(struct virtio_device *dev)
{
	rproc_vdev_set_status(dev, 0);
}

/* The config space: after the vrings in the entry; its length as the table said when it was
 * handled (rsc_table_check() found the entry's config inside the table). */
static uint8_t *rproc_vdev_config(struct virtio_device *dev, unsigned int offset, unsigned int len)
{
	struct rproc_vdev *vdev = rproc_vdev_of(dev);
	struct fw_rsc_vdev *rsc = rproc_vdev_rsc(vdev->owner, vdev);

	if (!rsc || offset > vdev->config_len || len > vdev->config_len - offset)
		return NULL;
	return (uint8_t *)(rsc + 1) + sizeof(struct fw_rsc_vdev_vring) * vdev->num_vrings + offset;
}

static int rproc_vdev_get_config(struct virtio_device *dev, unsigned int offset, void *buf,
				 unsigned int len)
{
	const uint8_t *cfg = rproc_vdev_config(dev, offset, len);

	if (!cfg)
		return -AMP_EINVAL;
	memcpy(buf, cfg, len);
	return 0;
}

static int rproc_vdev_set_config(struct virtio_device *dev, unsigned int offset, const void *buf,
				 unsigned int len)
{
	uint8_t *cfg = rproc_vdev_config(dev, offset, len);

	if (!cfg)
		return -AMP_EINVAL;
	memcpy(cfg, buf, len);
	return 0;
}

/* The hot path of every kick: the virtqueue's notify hook (virtio_find_vqs()). */
static void rproc_vdev_notify(struct virtqueue *vq)
{
	struct rproc_vdev *vdev = rproc_vdev_of(vq->priv);

	if (vq->index < vdev->num_vrings)
		vdev->owner->ops->kick(vdev->owner->rproc, vdev->vring[vq->index].notifyid);
}

/* A remote that breaks its rings is as dead as one that faults: let recovery restart it. */
static void rproc_vdev_broken(struct virtio_device *dev, unsigned int vqid)
{
	(void)vqid;
	rproc_report_crash(rproc_vdev_of(dev)->owner->rproc, RPROC_FATAL_ERROR);
}

static struct virtio_buf_hold *rproc_vdev_hold_bufs(struct virtio_device *dev)
{
	struct rproc_vdev *vdev = rproc_vdev_of(dev);
	struct rproc_buf_hold *h = vdev->hold;

	if (!vdev->held) {
		vdev->hold = NULL;
		h->mem = vdev->bufs;
		h->refs = 2; /* the core's and the driver's */
		h->next = NULL;
		vdev->held = h;
	}
	/* Asked twice: the same hold. */
	return (struct virtio_buf_hold *)(void *)vdev->held;
}

static void rproc_vdev_release_bufs(struct virtio_buf_hold *hold)
{
	struct rproc_buf_hold *h = (struct rproc_buf_hold *)(void *)hold;

	/* The core gives the memory back at its next transition (rproc_reap_held_bufs()); only
	 * when it has already (the processor was freed) is the struct ours to free. */
	if (h && __atomic_sub_fetch(&h->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(h);
}

static const struct virtio_config_ops rproc_vdev_config_ops = {
	.get_features = rproc_vdev_get_features,
	.finalize_features = rproc_vdev_finalize_features,
	.get_status = rproc_vdev_get_status,
	.set_status = rproc_vdev_set_status,
	.reset = rproc_vdev_reset,
	.get_config = rproc_vdev_get_config,
	.set_config = rproc_vdev_set_config,
	.notify = rproc_vdev_notify,
	.broken = rproc_vdev_broken,
	.hold_bufs = rproc_vdev_hold_bufs,
	.release_bufs = rproc_vdev_release_bufs,
};

/* --- binding and notification routing ----------------------------------------------------- */

/* Both vrings' used rings are the remote's to write: what it consumed (host -> remote) and what
 * it sent (remote -> host). Their index moving is what a polled processor's poller watches. */
static const uint16_t *rproc_vring_used_idx(const struct rproc_vring *vr)
{
	struct vring ring;

	vring_init(&ring, vr->num, vr->mem.va, vr->align);
	return &ring.used->idx;
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
	const struct virtio_driver *drv = virtio_find_driver(vdev->id);
	struct virtio_device *dev = &vdev->dev;
	unsigned int j;
	int ret;

	if (!drv) {
		amp_log(AMP_LOG_WARN, "%s: vdev %u: no driver for virtio id %u: left unbound",
			p->name, vdev->index, vdev->id);
		return 0;
	}
	/* Ready before the driver runs: the hold_bufs op cannot fail. */
	if (!vdev->hold)
		vdev->hold = calloc(1, sizeof(*vdev->hold));
	if (!vdev->hold)
		return rproc_fail(p, -AMP_ENOMEM, "vdev %u: out of memory", vdev->index);
	memset(dev, 0, sizeof(*dev));
	dev->name = vdev->name;
	dev->id = vdev->id;
	dev->index = vdev->index;
	dev->config = &rproc_vdev_config_ops;
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
	dev->polled = p->polled;
	dev->parent = p->rproc;

	ret = virtio_dev_probe(dev, drv);
	if (ret)
		return rproc_fail(p, ret, "vdev %u: driver %s refused it", vdev->index, drv->name);
	/* The remote may have kicked between DRIVER_OK (set in probe) and this hook-up, and
	 * that kick found no driver: look at every vring once, as if kicked. */
	amp_mutex_lock(&p->notify_lock);
	amp_mutex_lock(&p->going_lock);
	vdev->driver = drv;
	amp_mutex_unlock(&p->going_lock);
	for (j = 0; j < vdev->num_vrings; j++) {
		struct rproc_vring *vr = &vdev->vring[j];

		/* Polled: what this look handles is seen; a move after it is news. A value left
		 * from before a recovery could equal the new ring's index and hide a message. */
		vr->used_idx = rproc_vring_used_idx(vr);
		__atomic_store_n(&vr->poll_seen, __atomic_load_n(vr->used_idx, __ATOMIC_RELAXED),
				 __ATOMIC_RELAXED);
		__atomic_store_n(&vr->watched, !(dev->poll_skip >> j & 1), __ATOMIC_RELEASE);
		rproc_vring_notify(p, (unsigned int)(vdev - p->vdevs), j);
	}
	amp_mutex_unlock(&p->notify_lock);
	rproc_event_locked(p, RPROC_EVENT_VDEV_UP);
	return 0;
}

static void rproc_vdev_stop(struct rproc_private *p, struct rproc_vdev *vdev)
{
	const struct virtio_driver *drv;

	/* Unhook first: once notify_lock is released no notification runs on this vdev, and no
	 * new one finds it. */
	amp_mutex_lock(&p->notify_lock);
	amp_mutex_lock(&p->going_lock);
	drv = vdev->driver;
	vdev->driver = NULL;
	for (unsigned int j = 0; j < vdev->num_vrings; j++)
		__atomic_store_n(&vdev->vring[j].watched, false, __ATOMIC_RELAXED);
	amp_mutex_unlock(&p->going_lock);
	amp_mutex_unlock(&p->notify_lock);
	if (!drv)
		return;
	virtio_dev_remove(&vdev->dev); /* the driver's remove(), then a reset */
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

void rproc_set_polled(struct rproc *rproc, bool polled)
{
	rproc_p(rproc)->polled = polled;
}

bool rproc_is_polled(const struct rproc *rproc)
{
	return rproc_p(rproc)->polled;
}

/*
 * The poller's spin: no lock, one acquire load of each watched used index, and of the flag
 * that says it may be read. Taking notify_lock on every spin cost each spin two atomic
 * read-modify-writes and two calls, which stretched the spins between the remote's batches.
 * The vdev array and the vrings' memory are set up before the platform's start hook (which
 * starts the poller) and released after its stop hook (which ends it), so the poller may walk
 * them; a vdev unbound meanwhile stops being watched, and a stale look only costs an
 * rproc_poll() that finds no driver.
 */
bool rproc_poll_pending(struct rproc *rproc)
{
	struct rproc_private *p = rproc_p(rproc);
	bool pending = false;
	unsigned int i, j;

	for (i = 0; i < p->num_vdevs; i++) {
		for (j = 0; j < p->vdevs[i].num_vrings; j++) {
			struct rproc_vring *vr = &p->vdevs[i].vring[j];
			uint16_t idx;

			if (!__atomic_load_n(&vr->watched, __ATOMIC_ACQUIRE))
				continue; /* unbound, or its driver has nothing to do there */
			idx = __atomic_load_n(vr->used_idx, __ATOMIC_ACQUIRE);
			if (idx != __atomic_load_n(&vr->poll_seen, __ATOMIC_RELAXED)) {
				__atomic_store_n(&vr->poll_seen, idx, __ATOMIC_RELAXED);
				pending = true;
			}
		}
	}
	return pending;
}

struct virtio_device *rproc_get_vdev(struct rproc *rproc, unsigned int index)
{
	struct rproc_private *p = rproc_p(rproc);
	struct virtio_device *dev = NULL;

	amp_mutex_lock(&p->notify_lock);
	if (index < p->num_vdevs && p->vdevs[index].driver)
		dev = &p->vdevs[index].dev;
	amp_mutex_unlock(&p->notify_lock);
	return dev;
}
