/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The virtio driver registry and the binding of a device to its driver: what stands between a
 * transport (remoteproc's vdevs) and the drivers (the rpmsg bus), so that neither knows the
 * other. Host layer.
 */
#include <stdlib.h>

#include <amp/errno.h>
#include <amp/virtio.h>
#include <amp/virtqueue.h>
#include <amp/wire/rsc_table.h>
#include <amp/wire/vring.h>

#include "os/os.h"
#include "virtio/virtio_internal.h"

#define VIRTIO_MAX_DRIVERS 8

/* Feature bits that belong to the transport, not to a device type (virtio 1.x, 2.2), which our
 * virtqueues implement: kept when the device offers them, whatever the driver's table says, as
 * Linux's vring_transport_features() does. */
#define VIRTIO_TRANSPORT_FEATURES (1u << VIRTIO_RING_F_EVENT_IDX)

static struct amp_mutex virtio_lock = AMP_MUTEX_INITIALIZER;
static const struct virtio_driver *virtio_drivers[VIRTIO_MAX_DRIVERS]; /* virtio_lock */

int virtio_register_driver(const struct virtio_driver *drv)
{
	unsigned int i, slot = VIRTIO_MAX_DRIVERS;
	int ret = 0;

	if (!drv || !drv->probe || !drv->remove || !drv->notify ||
	    (drv->feature_table_size && !drv->feature_table))
		return -AMP_EINVAL;
	amp_mutex_lock(&virtio_lock);
	for (i = 0; i < VIRTIO_MAX_DRIVERS; i++) {
		if (virtio_drivers[i] && virtio_drivers[i]->id == drv->id)
			ret = -AMP_EEXIST;
		else if (!virtio_drivers[i] && slot == VIRTIO_MAX_DRIVERS)
			slot = i;
	}
	if (!ret && slot == VIRTIO_MAX_DRIVERS)
		ret = -AMP_ENOMEM;
	if (!ret)
		virtio_drivers[slot] = drv;
	amp_mutex_unlock(&virtio_lock);
	return ret;
}

void virtio_unregister_driver(const struct virtio_driver *drv)
{
	unsigned int i;

	amp_mutex_lock(&virtio_lock);
	for (i = 0; i < VIRTIO_MAX_DRIVERS; i++)
		if (virtio_drivers[i] == drv)
			virtio_drivers[i] = NULL;
	amp_mutex_unlock(&virtio_lock);
}

const struct virtio_driver *virtio_find_driver(uint32_t id)
{
	const struct virtio_driver *drv = NULL;
	unsigned int i;

	amp_mutex_lock(&virtio_lock);
	for (i = 0; i < VIRTIO_MAX_DRIVERS && !drv; i++)
		if (virtio_drivers[i] && virtio_drivers[i]->id == id)
			drv = virtio_drivers[i];
	amp_mutex_unlock(&virtio_lock);
	for (i = 0; !drv && virtio_builtin_drivers[i]; i++)
		if (virtio_builtin_drivers[i]->id == id)
			drv = virtio_builtin_drivers[i];
	return drv;
}

/* What the device offers of what @drv understands, and of the transport's features. */
static uint32_t virtio_negotiate(struct virtio_device *vdev, const struct virtio_driver *drv)
{
	uint32_t offered = vdev->config->get_features(vdev), wanted = VIRTIO_TRANSPORT_FEATURES;
	unsigned int i;

	for (i = 0; i < drv->feature_table_size; i++)
		if (drv->feature_table[i] < 32)
			wanted |= 1u << drv->feature_table[i];
	return offered & wanted;
}

int virtio_dev_probe(struct virtio_device *vdev, const struct virtio_driver *drv)
{
	int ret;

	/* Linux's sequence: reset, ACKNOWLEDGE, DRIVER, features; DRIVER_OK is the driver's to
	 * set. A legacy device (no VIRTIO_F_VERSION_1, as every vdev) gets no FEATURES_OK. */
	vdev->config->reset(vdev);
	vdev->config->set_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	vdev->config->set_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	vdev->features = virtio_negotiate(vdev, drv);
	vdev->poll_skip = 0;
	vdev->priv = NULL;
	ret = vdev->config->finalize_features(vdev);
	if (!ret) {
		vdev->driver = drv;
		ret = drv->probe(vdev);
	}
	if (ret) {
		vdev->driver = NULL;
		vdev->config->set_status(vdev, VIRTIO_CONFIG_S_FAILED);
	}
	return ret;
}

void virtio_dev_remove(struct virtio_device *vdev)
{
	const struct virtio_driver *drv = vdev->driver;

	if (!drv)
		return;
	drv->remove(vdev);
	vdev->driver = NULL;
	vdev->config->reset(vdev);
}

int virtio_find_vqs(struct virtio_device *vdev, unsigned int nvqs, struct virtqueue *vqs[],
		    struct virtqueue_desc_state *states[], const char *const names[])
{
	unsigned int i;
	int ret;

	if (nvqs > vdev->num_vrings)
		return -AMP_EINVAL;
	for (i = 0; i < nvqs; i++) {
		struct virtqueue_config vc = {
			.role = VIRTQUEUE_DRIVER,
			.num = vdev->vring[i].num,
			.align = vdev->vring[i].align,
			.ring = vdev->vring[i].va,
			.ring_len = vdev->vring[i].len,
			.state = states[i],
			.event_idx = virtio_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX),
			/* Polled: nobody listens for doorbells; the queue never rings one. */
			.notify = vdev->polled ? NULL : vdev->config->notify,
			.priv = vdev,
			.name = names[i],
			.index = i,
		};

		ret = virtqueue_init(vqs[i], &vc);
		if (ret)
			return ret;
	}
	return 0;
}
