/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtio devices and their drivers on the host: the interface between a transport that finds
 * virtio devices (remoteproc, for each vdev entry of a resource table) and the drivers that
 * drive them (the rpmsg bus for device id 7, or yours), in the spirit of Linux's
 * struct virtio_config_ops and struct virtio_driver.
 *
 * A transport fills a struct virtio_device: its id, the geometry of its vrings (plain shared
 * memory, split-ring layout), the buffer memory it reserved for the driver, and a table of
 * config ops (features, status, config space, notify, and what the driver reports back). It
 * then binds the device to the driver registered for its id (virtio_find_driver(),
 * virtio_dev_probe()), routes the remote's kicks to the driver's @notify, and unbinds it
 * (virtio_dev_remove()) when the device goes.
 *
 * A driver registers for a device id (virtio_register_driver()). In probe() it reads the
 * negotiated features, sets its virtqueues up on the vrings (virtio_find_vqs()), posts what it
 * needs and sets DRIVER_OK; from then on @notify runs for each kick, until remove().
 *
 * Nothing here knows a particular transport or driver: remoteproc knows no rpmsg, and rpmsg
 * knows no remoteproc. docs/porting.md walks through writing a driver.
 */
#ifndef AMP_VIRTIO_H
#define AMP_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <amp/compiler.h>

struct virtio_device;
struct virtio_driver;
struct virtqueue;
struct virtqueue_desc_state;

/* Vrings per device a transport describes (rpmsg uses two). */
#define VIRTIO_MAX_VRINGS 2

/* An opaque hold on a device's buffer memory, past remove() (virtio_config_ops.hold_bufs). */
struct virtio_buf_hold;

/**
 * struct virtio_config_ops - what a transport does for the devices it made
 * @get_features:      the features the device offers (for a vdev: the table's dfeatures).
 *                     Required.
 * @finalize_features: tell the device which features the driver accepted: @vdev->features,
 *                     already masked by virtio_dev_probe() (for a vdev: written to gfeatures).
 *                     Required. Return 0 or a negative errno (the probe fails).
 * @get_status:        the device's status byte (VIRTIO_CONFIG_S_*). Required.
 * @set_status:        write the status byte; setting DRIVER_OK publishes everything the driver
 *                     set up before (a release store). Required.
 * @reset:             reset the device (status 0). Required.
 * @get_config:        copy @len bytes of the device's config space from @offset into @buf.
 *                     Optional: without it, -EOPNOTSUPP. Return 0; -EINVAL when the range
 *                     lies past the config space. The remote may write it at any time: check
 *                     what you copied.
 * @set_config:        write @len bytes of @buf at @offset of the config space. Optional, as
 *                     @get_config.
 * @notify:            ring the other side's doorbell for @vq (vq->index is the vring's index
 *                     in the device, vq->priv the device). Required; virtio_find_vqs() makes
 *                     it each virtqueue's notify hook. Any thread; never blocks.
 * @broken:            optional: the driver found that the remote broke vring @vqid (an index
 *                     or a descriptor no correct device writes). remoteproc reports a crash,
 *                     so that recovery can restart the remote. Called from the notification
 *                     context or a driver's sending thread, perhaps with the driver's own
 *                     locks held: it must not block nor call into the driver.
 * @hold_bufs:         optional: keep the device's buffer memory (@buf_va) past remove(), for a
 *                     driver whose users may still hold buffers there when the device goes.
 *                     Until @release_bufs, the memory is neither given back nor handed to a
 *                     later run of the device. Called only from the driver's remove(); returns
 *                     the hold (never NULL; asked again in the same remove(), the same one).
 * @release_bufs:      with @hold_bufs: the driver no longer touches the memory it kept. Any
 *                     context, callbacks too; never blocks. The device may be gone: keep the
 *                     ops pointer, not the device.
 *
 * The table is the transport's, static and constant; it outlives every device that points to
 * it. Unless stated, ops are called from the driver's probe() and remove() only.
 */
struct virtio_config_ops {
	uint32_t (*get_features)(struct virtio_device *vdev);
	int (*finalize_features)(struct virtio_device *vdev);
	uint8_t (*get_status)(struct virtio_device *vdev);
	void (*set_status)(struct virtio_device *vdev, uint8_t status);
	void (*reset)(struct virtio_device *vdev);
	int (*get_config)(struct virtio_device *vdev, unsigned int offset, void *buf,
			  unsigned int len);
	int (*set_config)(struct virtio_device *vdev, unsigned int offset, const void *buf,
			  unsigned int len);
	void (*notify)(struct virtqueue *vq);
	void (*broken)(struct virtio_device *vdev, unsigned int vqid);
	struct virtio_buf_hold *(*hold_bufs)(struct virtio_device *vdev);
	void (*release_bufs)(struct virtio_buf_hold *hold);
};

/**
 * struct virtio_vring_info - one vring as the transport placed it
 * @va:    the host's mapping, zeroed before probe
 * @da:    its address as the remote sees it
 * @len:   bytes mapped at @va (at least vring_size(@num, @align))
 * @num:   descriptors
 * @align: alignment of the used ring
 */
struct virtio_vring_info {
	void *va;
	uint64_t da;
	size_t len;
	unsigned int num;
	unsigned int align;
};

/**
 * struct virtio_device - a virtio device as its driver sees it
 * @name:       for messages: "<processor>/vdev<index>" for a remoteproc vdev
 * @id:         virtio device id (VIRTIO_ID_RPMSG...)
 * @index:      the device's number within its transport (for a vdev: among the table's vdevs)
 * @features:   the negotiated features, valid from probe()
 * @config:     the transport's ops
 * @num_vrings: entries in @vring
 * @vring:      where each vring lies
 * @buf_va, @buf_da, @buf_len: device memory the transport reserved for the driver's buffers:
 *              @num_bufs of @buf_size bytes (remoteproc: rproc_set_vdev_buffers(), by default
 *              Linux's rpmsg geometry); the driver's until its remove() returns, or until it
 *              releases it if it kept it (@config->hold_bufs)
 * @buf_size, @num_bufs: that geometry
 * @polled:     nobody rings doorbells: the transport polls the rings and calls @notify when a
 *              used index moves (remoteproc: rproc_set_polled()). The driver then neither arms
 *              notifications nor kicks. Set before probe.
 * @poll_skip:  with @polled: bit j set in probe when the driver has nothing to do when the
 *              remote moves vring j's used index (rpmsg's transmit ring: its senders look for
 *              returned buffers themselves), so that the poller neither calls @notify for it
 *              nor counts it as work. 0 before probe.
 * @parent:     the transport's object this device belongs to (remoteproc: its struct rproc),
 *              so that a driver can tell which devices belong together; not for the driver to
 *              dereference
 * @driver:     the driver bound (set by virtio_dev_probe(), cleared by virtio_dev_remove())
 * @priv:       the driver's, set in probe
 *
 * The transport's memory: valid from the driver's probe() until its remove() returns.
 */
struct virtio_device {
	const char *name;
	uint32_t id;
	unsigned int index;
	uint32_t features;
	const struct virtio_config_ops *config;
	unsigned int num_vrings;
	struct virtio_vring_info vring[VIRTIO_MAX_VRINGS];
	void *buf_va;
	uint64_t buf_da;
	size_t buf_len;
	unsigned int buf_size;
	unsigned int num_bufs;
	bool polled;
	uint32_t poll_skip;
	void *parent;
	const struct virtio_driver *driver;
	void *priv;
};

/**
 * struct virtio_driver - what drives devices of one virtio id
 * @name:               for messages
 * @id:                 the device id it drives
 * @feature_table:      the feature bits it understands (device-specific ones, 0..23); the
 *                      transport features the virtqueues implement (VIRTIO_RING_F_EVENT_IDX)
 *                      are added by virtio_dev_probe(). May be NULL when @feature_table_size
 *                      is 0.
 * @feature_table_size: entries in @feature_table
 * @probe:  a device with @id came up: set the virtqueues up (virtio_find_vqs()), post what the
 *          remote needs, then set DRIVER_OK (@config->set_status). Return 0 or a negative
 *          errno: the device is marked FAILED and, for remoteproc, the boot fails. Called from
 *          the thread that starts the transport's device (remoteproc: the booting thread, with
 *          the processor's lock held): it may block briefly, and must not call back into the
 *          transport beyond @config.
 * @remove: the device goes (shutdown, crash, detach): stop touching its memory before
 *          returning. Called from the thread that stops it (the processor's lock held). Never
 *          concurrently with @notify.
 * @notify: the remote kicked vring @vqid (or, polled, moved its used index): the virtqueue
 *          callback. Runs in the transport's notification context (remoteproc: the platform's
 *          thread that calls rproc_vq_interrupt() or rproc_poll()), one at a time per
 *          transport object, never concurrently with @remove. Do a bounded amount of work (a
 *          ring's worth) and return true when some is left: the transport calls again at
 *          once, after letting a stop in, so that a remote that keeps its ring full cannot
 *          keep it out. Return false when done (and armed for the next kick).
 * @going:  optional: the device is about to be removed (a crash was reported, or a stop
 *          begins): stop waiting for the remote now, so that nothing holds up the removal,
 *          which follows. Called at least once before @remove in those cases, from any
 *          context (a platform's thread, the notification context inside @notify, the driver's
 *          own thread through @config->broken with its locks held, the stopping thread): it
 *          must not block nor take a lock it may be called with.
 *
 * The driver is kept by pointer from registration until it is unregistered, and by every
 * device bound to it until that device's remove() returns.
 */
struct virtio_driver {
	const char *name;
	uint32_t id;
	const unsigned int *feature_table;
	unsigned int feature_table_size;
	int (*probe)(struct virtio_device *vdev);
	void (*remove)(struct virtio_device *vdev);
	bool (*notify)(struct virtio_device *vdev, unsigned int vqid);
	void (*going)(struct virtio_device *vdev);
};

/* --- for drivers --------------------------------------------------------------------------- */

/**
 * virtio_register_driver() - drive every device of @drv->id that comes up from now on
 * @drv: kept by pointer until unregistered; needs @probe, @remove and @notify
 *
 * A registered driver takes precedence over the one built into the library for the same id
 * (the rpmsg bus for VIRTIO_ID_RPMSG).
 * Context: any thread, before the transports whose devices it should drive start them.
 * Return: 0; -EINVAL for a driver without a required hook; -EEXIST when a driver for the id
 * is registered; -ENOMEM when the registry is full (8 drivers).
 */
AMP_API int virtio_register_driver(const struct virtio_driver *drv);

/**
 * virtio_unregister_driver() - forget @drv: devices that come up from now on are not bound to
 * it. Devices already bound stay bound until they go: @drv must stay valid memory until then.
 * Context: any thread.
 */
AMP_API void virtio_unregister_driver(const struct virtio_driver *drv);

/**
 * virtio_find_vqs() - set up @nvqs virtqueues, driver role, on @vdev's vrings 0..@nvqs-1
 * @vqs:    the caller's virtqueues, initialised here (vq->priv is @vdev, vq->index the vring)
 * @states: per virtqueue, an array of vring[i].num entries of private bookkeeping, the
 *          caller's, which must outlive the virtqueue
 * @names:  per virtqueue, a name for diagnostics, kept by pointer
 *
 * Each queue's notify hook is @vdev->config->notify (none when @vdev->polled);
 * VIRTIO_RING_F_EVENT_IDX is used when it was negotiated. The vrings must be zeroed (they are at probe).
 * Context: the driver's probe(). Return: 0; -EINVAL when @nvqs exceeds the device's vrings or
 * a vring's geometry is not one virtqueue_init() accepts.
 */
AMP_API int virtio_find_vqs(struct virtio_device *vdev, unsigned int nvqs, struct virtqueue *vqs[],
			    struct virtqueue_desc_state *states[], const char *const names[]);

/** virtio_has_feature() - whether feature bit @bit was negotiated. Context: any, from probe. */
static inline bool virtio_has_feature(const struct virtio_device *vdev, unsigned int bit)
{
	return bit < 32 && (vdev->features >> bit & 1);
}

/* --- for transports ------------------------------------------------------------------------ */

/**
 * virtio_find_driver() - the driver for device id @id: the one registered, else the one built
 * into the library (the rpmsg bus for VIRTIO_ID_RPMSG), else NULL (the device stays unbound).
 * Context: any thread.
 */
AMP_API const struct virtio_driver *virtio_find_driver(uint32_t id);

/**
 * virtio_dev_probe() - bind @vdev to @drv, as Linux's virtio_dev_probe(): reset, ACKNOWLEDGE,
 * DRIVER; @vdev->features set to what the device offers of what @drv understands (and of the
 * transport features the virtqueues implement), finalize_features; then @drv->probe. On
 * failure the status is FAILED and @vdev is unbound.
 * Context: the transport's starting thread; not concurrently with any other call on @vdev.
 * Return: 0 (@vdev->driver is @drv); finalize_features' or probe's error.
 */
AMP_API int virtio_dev_probe(struct virtio_device *vdev, const struct virtio_driver *drv);

/**
 * virtio_dev_remove() - unbind @vdev: its driver's remove(), then a reset of the device.
 * Nothing if it is not bound. Context: the transport's stopping thread, once the transport
 * no longer calls @notify for it.
 */
AMP_API void virtio_dev_remove(struct virtio_device *vdev);

#endif /* AMP_VIRTIO_H */
