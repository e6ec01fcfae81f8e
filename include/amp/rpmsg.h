/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rpmsg on the host: a bus of named channels over a virtio rpmsg device, drivers matched to
 * channels by name, endpoints, and the seed's send family, wire-compatible with Linux's virtio
 * rpmsg bus.
 *
 * Contexts. Receive callbacks, probe() and remove() of channels announced by the remote run in
 * the device's notification context: the platform's thread that handles the remote's kicks (or
 * the caller of rproc_poll() in polling mode). From a callback you may send (any variant; a
 * blocking send that finds no free buffer there polls the ring instead of sleeping, since the
 * kick that would wake it is handled by this very thread), create and destroy endpoints
 * (including the callback's own), hold the received buffer, and look channels up and drop
 * references. You may not register or unregister drivers, create or release channels, nor
 * boot or shut down processors.
 *
 * Everything else is callable from any thread unless stated. A sender blocked when the device
 * goes is woken with -ENODEV; an endpoint must not be used after rpmsg_destroy_ept().
 *
 * Channels are reference-counted, as Linux counts its rpmsg devices: the remote may withdraw
 * a channel at any time, and a channel stays valid memory as long as someone holds a
 * reference. A driver may use its channel without one from probe() until remove() returns;
 * rpmsg_channel_find() and rpmsg_create_channel() return a reference, rpmsg_channel_get()
 * takes one, rpmsg_channel_put() drops it. Operations on a channel that has gone (withdrawn,
 * released, or its device gone) fail with -ENODEV, or return NULL.
 *
 * No lock of the bus is held while a driver's probe() or remove() runs, nor across an
 * announcement (a blocking send): only the channel concerned waits meanwhile, so a remote that
 * stops returning buffers holds up neither lookups nor any other processor's name service.
 */
#ifndef AMP_RPMSG_H
#define AMP_RPMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <amp/compiler.h>
#include <amp/wire/rpmsg.h>

#ifndef AMP_NO_LINUX_TYPES
/* The seed's code spells 32-bit values the kernel's way. Define AMP_NO_LINUX_TYPES to opt out. */
typedef uint32_t u32;
#endif

struct rpmsg_channel;
struct rpmsg_endpoint;
struct rpmsg_virtio_device;
struct virtio_device;
struct rproc;

/* Default wait of a blocking send for a free buffer, as Linux's (which cannot be changed). */
#define RPMSG_SEND_TIMEOUT_MS 15000u
/* Channels one device accepts from its remote's announcements; more are refused and counted. */
#define RPMSG_MAX_CHANNELS 256u

/**
 * rpmsg_rx_cb_t - a message arrived for an endpoint
 * @rpdev: the endpoint's channel
 * @data:  the payload, in the shared buffer: valid until the callback returns (or until
 *         rpmsg_release_rx_buffer() if the callback called rpmsg_hold_rx_buffer()); the remote
 *         could still write it, so copy what you check
 * @len:   payload bytes (checked against the buffer)
 * @priv:  the endpoint's private pointer
 * @src:   the sender's address
 */
typedef void (*rpmsg_rx_cb_t)(struct rpmsg_channel *rpdev, void *data, int len, void *priv,
			      u32 src);

/* struct rpmsg_device_id - a channel name a driver handles; tables end with an empty name. */
struct rpmsg_device_id {
	char name[RPMSG_NAME_SIZE];
};

/**
 * struct rpmsg_channel - a channel on the bus (Linux now calls it rpmsg_device)
 * @name:  the service name
 * @src:   our address (the default endpoint's; set when a driver binds a channel the remote
 *         announced)
 * @dst:   the remote's address
 * @ept:   the default endpoint, created before probe() with the driver's callback; valid from
 *         probe() until remove() returns
 * @priv:  the driver's, free to use
 * Read-only to users except @priv. Valid memory from probe() until remove() returns, and for
 * as long as a reference is held (see the top of this file).
 */
struct rpmsg_channel {
	char name[RPMSG_NAME_SIZE];
	u32 src;
	u32 dst;
	struct rpmsg_endpoint *ept;
	void *priv;
	/* private: */
	struct rpmsg_virtio_device *rvdev;
};

/**
 * struct rpmsg_driver - a driver for channels with names in @id_table
 * @name:     for messages
 * @id_table: the names it handles, ending with an entry whose name is empty
 * @probe:    a matching channel appeared; its default endpoint exists. Return 0 to bind.
 * @remove:   the channel goes (name-service DESTROY, the device stopped or crashed, or the
 *            driver is unregistered). From its call on, no callback for the channel's
 *            default endpoint starts; one already running in another thread may still run
 *            meanwhile, and has returned when the unbinding (unregister_rpmsg_driver(),
 *            rpmsg_release_channel(), the processor's stop or crash) is over, as on Linux.
 *            Sends still work in remove().
 * @callback: messages to the channel's default endpoint
 *
 * probe() and remove() of one channel never run concurrently, and run with that channel's
 * lock held (no lock of the bus): they may send (blocking too), create and destroy endpoints
 * and look channels up; they must not register or unregister drivers, create or release
 * channels, boot or shut down processors, nor wait for an rx callback of their channel.
 */
struct rpmsg_driver {
	const char *name;
	const struct rpmsg_device_id *id_table;
	int (*probe)(struct rpmsg_channel *rpdev);
	void (*remove)(struct rpmsg_channel *rpdev);
	rpmsg_rx_cb_t callback;
	/* private: */
	struct rpmsg_driver *next;
};

/**
 * register_rpmsg_driver() - bind @drv to every present and future channel it matches (exact
 * name compare within 32 bytes)
 * @drv: kept by pointer until unregistered
 *
 * probe() runs in this thread for channels already present, in the notification context for
 * those that appear later (or in the thread of rpmsg_create_channel()).
 * Context: any thread except callbacks, probe() and remove(). Return: 0; -EINVAL (no id table
 * or probe); -EBUSY (already registered); -ENOMEM.
 */
AMP_API int register_rpmsg_driver(struct rpmsg_driver *drv);

/**
 * unregister_rpmsg_driver() - unbind @drv: remove() for each of its channels, in this thread
 * (or, for a channel another thread is removing at that moment, in that thread: this waits for
 * it). When it returns, no probe(), remove() or callback of @drv runs.
 * Context: any thread except callbacks, probe() and remove().
 */
AMP_API void unregister_rpmsg_driver(struct rpmsg_driver *drv);

/**
 * rpmsg_create_ept() - an endpoint on @rpdev's device
 * @rpdev: the channel whose device the endpoint lives on
 * @cb:    called for each message to the endpoint's address
 * @priv:  handed to @cb
 * @addr:  the local address; RPMSG_ADDR_ANY for a dynamic one (from 1024 up)
 *
 * Context: any thread, including callbacks.
 * Return: the endpoint (the caller's until rpmsg_destroy_ept()), or NULL when @addr is taken,
 * the device is gone, or memory runs out.
 */
AMP_API struct rpmsg_endpoint *rpmsg_create_ept(struct rpmsg_channel *rpdev, rpmsg_rx_cb_t cb,
						void *priv, u32 addr);

/**
 * rpmsg_destroy_ept() - remove an endpoint. When it returns, no callback of it runs any more
 * and @priv is not touched again (from its own callback: once that callback returns). What it
 * holds goes back: receive buffers it held (rpmsg_hold_rx_buffer()) to the remote, zero-copy
 * transmit buffers it had out (rpmsg_get_tx_buffer()) to the free list; pointers to them are
 * the caller's no more.
 * Context: any thread, including callbacks.
 */
AMP_API void rpmsg_destroy_ept(struct rpmsg_endpoint *ept);

/** rpmsg_ept_addr() - the endpoint's local address. Context: any. */
AMP_API u32 rpmsg_ept_addr(const struct rpmsg_endpoint *ept);

/**
 * rpmsg_set_timeout() - how long blocking sends on @ept wait for a free buffer (default
 * RPMSG_SEND_TIMEOUT_MS; 0 makes them fail at once like the try variants).
 * Context: any thread.
 */
AMP_API void rpmsg_set_timeout(struct rpmsg_endpoint *ept, uint32_t timeout_ms);

/*
 * The seed's send family. Blocking variants wait for a free transmit buffer up to the default
 * endpoint's timeout; try variants never wait. @data is copied before return.
 * Context: any thread, including callbacks.
 * Return: 0 once the message is in the ring; -ENOMEM (try) or -ETIMEDOUT (blocking) when no
 * buffer is free; -EMSGSIZE over the MTU; -EINVAL for a src or dst of RPMSG_ADDR_ANY (no
 * broadcast) or a negative length; -ENODEV when the remote has stopped or crashed; -EIO when the
 * remote broke the ring.
 */
AMP_API int rpmsg_send(struct rpmsg_channel *rpdev, const void *data, int len);
AMP_API int rpmsg_sendto(struct rpmsg_channel *rpdev, const void *data, int len, u32 dst);
AMP_API int rpmsg_send_offchannel(struct rpmsg_channel *rpdev, u32 src, u32 dst,
				  const void *data, int len);
AMP_API int rpmsg_trysend(struct rpmsg_channel *rpdev, const void *data, int len);
AMP_API int rpmsg_trysendto(struct rpmsg_channel *rpdev, const void *data, int len, u32 dst);
AMP_API int rpmsg_trysend_offchannel(struct rpmsg_channel *rpdev, u32 src, u32 dst,
				     const void *data, int len);

/**
 * rpmsg_ept_sendto() - send from endpoint @ept to @dst, waiting up to @timeout_ms for a buffer
 * (0: do not wait, as trysend; UINT32_MAX: forever).
 * Context and Return: as rpmsg_send().
 */
AMP_API int rpmsg_ept_sendto(struct rpmsg_endpoint *ept, u32 dst, const void *data, int len,
			     uint32_t timeout_ms);

/** rpmsg_get_mtu() - the largest payload a message may carry (496 with 512-byte buffers). */
AMP_API int rpmsg_get_mtu(struct rpmsg_endpoint *ept);

/*
 * Zero-copy transmit: take a buffer for an endpoint, write up to *@len payload bytes into it,
 * then send it with rpmsg_send_nocopy() or give it back with rpmsg_release_tx_buffer(), on the
 * same endpoint. The buffer is the caller's until one of those, or until the endpoint is
 * destroyed. Context: any thread, including callbacks.
 */

/**
 * rpmsg_get_tx_buffer() - a free transmit buffer's payload area
 * @len:        set to the payload bytes it holds (the MTU)
 * @timeout_ms: as rpmsg_ept_sendto()
 * Return: the payload pointer, or NULL (no buffer in time, device gone).
 */
AMP_API void *rpmsg_get_tx_buffer(struct rpmsg_endpoint *ept, uint32_t *len, uint32_t timeout_ms);

/**
 * rpmsg_send_nocopy() - send @len bytes already written at @buf (from rpmsg_get_tx_buffer() on
 * @ept) from @ept to @dst. Return: 0; -EMSGSIZE; -EINVAL (not a buffer handed out to @ept, or
 * dst ANY); -ENODEV. On error the buffer is still the caller's.
 */
AMP_API int rpmsg_send_nocopy(struct rpmsg_endpoint *ept, u32 dst, void *buf, int len);

/** rpmsg_release_tx_buffer() - give back a buffer rpmsg_get_tx_buffer() handed out to @ept,
 * unused; anything else is ignored. */
AMP_API void rpmsg_release_tx_buffer(struct rpmsg_endpoint *ept, void *buf);

/**
 * rpmsg_hold_rx_buffer() - keep the buffer @data (as given to @ept's callback) past the
 * callback; it is not returned to the remote until rpmsg_release_rx_buffer() or
 * rpmsg_destroy_ept(). Held buffers are receive buffers the remote cannot use meanwhile: hold
 * few, briefly.
 * Context: @ept's callback. Return: 0; -EINVAL when @data is not the message being delivered
 * to @ept, @ept was destroyed, or this delivery's buffer was held already (once per callback,
 * released or not).
 */
AMP_API int rpmsg_hold_rx_buffer(struct rpmsg_endpoint *ept, void *data);

/** rpmsg_release_rx_buffer() - give back a buffer @ept holds; anything else is ignored.
 * Context: any thread. */
AMP_API void rpmsg_release_rx_buffer(struct rpmsg_endpoint *ept, void *data);

/**
 * rpmsg_create_channel() - a local channel on @rvdev, announced to the remote through the name
 * service (when negotiated) if @src is not RPMSG_ADDR_ANY; drivers matching @name are probed
 * (in this thread).
 * Context: any thread except callbacks, probe() and remove().
 * Return: the channel with a reference for the caller (dropped by rpmsg_release_channel()), or
 * NULL (bad name, duplicate, device gone, no memory).
 */
AMP_API struct rpmsg_channel *rpmsg_create_channel(struct rpmsg_virtio_device *rvdev,
						   const char *name, u32 src, u32 dst);

/**
 * rpmsg_release_channel() - remove a channel made by rpmsg_create_channel() (its driver's
 * remove(), DESTROY announced) if it is still there, and drop the reference the creation gave.
 * Context: any thread except callbacks, probe() and remove().
 */
AMP_API void rpmsg_release_channel(struct rpmsg_channel *rpdev);

/**
 * struct rpmsg_stats - what a device's receive path counted
 * @rx_msgs:      messages delivered to an endpoint
 * @rx_bad:       buffers dropped for a bad header (length past the buffer)
 * @rx_no_ept:    messages to an address nobody listens on (dropped, buffer returned)
 * @ns_bad:       malformed name-service messages (wrong size, unterminated name)
 * @ns_refused:   announcements refused: a duplicate channel, or over RPMSG_MAX_CHANNELS
 * @tx_msgs:      messages sent
 * @tx_timeouts:  blocking sends that found no buffer in time
 * @tx_waiting:   senders blocked now, waiting for a buffer
 * @rx_held:      receive buffers held by endpoints now (rpmsg_hold_rx_buffer())
 * @tx_out:       zero-copy transmit buffers handed out now (rpmsg_get_tx_buffer())
 * @broken:       bit n set: the remote broke vring n (an impossible ring value); its traffic has
 *                stopped for good on this device (a recovery makes a new one)
 */
struct rpmsg_stats {
	uint64_t rx_msgs, rx_bad, rx_no_ept, ns_bad, ns_refused, tx_msgs, tx_timeouts;
	uint64_t tx_waiting, rx_held, tx_out;
	uint32_t broken;
};

/** rpmsg_get_stats() - a snapshot of @rvdev's counters. Context: any thread. */
AMP_API void rpmsg_get_stats(struct rpmsg_virtio_device *rvdev, struct rpmsg_stats *stats);

/**
 * enum rpmsg_channel_event - what rpmsg_set_channel_watch()'s callback is told
 * @RPMSG_CHANNEL_UP:   a channel appeared (the remote announced it, or rpmsg_create_channel()),
 *                      after any matching driver was probed
 * @RPMSG_CHANNEL_DOWN: a channel goes (name-service DESTROY, its device stopped or crashed, or
 *                      rpmsg_release_channel()), before its driver's remove()
 */
enum rpmsg_channel_event {
	RPMSG_CHANNEL_UP,
	RPMSG_CHANNEL_DOWN,
};

typedef void (*rpmsg_channel_watch_t)(struct rpmsg_channel *rpdev, enum rpmsg_channel_event ev,
				      void *priv);

/**
 * rpmsg_set_channel_watch() - call @fn for every channel that comes or goes on any device, as
 * a udev monitor sees rpmsg devices on Linux; NULL stops it. One watcher: a later call replaces
 * the earlier, and once it returns the earlier is not running nor called again. Channels
 * present before the call are not replayed (rpmsg_for_each_channel() lists them).
 * @fn runs in the thread that adds or removes the channel (the notification thread for
 * announcements; the booting or stopping thread, with the processor's locks held, for a
 * device's coming and going; callers of rpmsg_create_channel() and rpmsg_release_channel()),
 * with the channel's lock and the watch's held (not the bus lock): it must be quick, may read
 * @rpdev (rpmsg_device_name() too) and take a reference (rpmsg_channel_get()), and must not
 * call anything else of rpmsg or remoteproc. Per channel, UP comes before DOWN.
 * Context: any thread except callbacks.
 */
AMP_API void rpmsg_set_channel_watch(rpmsg_channel_watch_t fn, void *priv);

/**
 * rpmsg_device_name() - the name of the device @rpdev is on: "<processor>/vdev<n>" for a
 * remoteproc vdev, which tells apart channels of the same name on different processors.
 * Context: any, while the channel is valid (in its probe, callbacks and remove, or with a
 * reference).
 */
AMP_API const char *rpmsg_device_name(const struct rpmsg_channel *rpdev);

/**
 * rpmsg_channel_find() - the channel named @name on @rvdev, with a reference
 * Return: the channel (drop the reference with rpmsg_channel_put()), or NULL when none is on
 * the bus. The remote may withdraw it at any time after: sends on it then fail with -ENODEV.
 * Context: any thread, including callbacks, probe() and remove(); takes the bus lock briefly.
 */
AMP_API struct rpmsg_channel *rpmsg_channel_find(struct rpmsg_virtio_device *rvdev,
						 const char *name);

/**
 * rpmsg_channel_get() - take another reference to @rpdev (one from rpmsg_channel_find(), or a
 * channel given to a probe(), a callback, a watch or rpmsg_for_each_channel()'s @fn, valid
 * for the call). Context: any. Return: @rpdev.
 */
AMP_API struct rpmsg_channel *rpmsg_channel_get(struct rpmsg_channel *rpdev);

/**
 * rpmsg_channel_put() - drop a reference; the last one frees the channel. NULL is ignored.
 * Context: any thread, including callbacks. Never blocks.
 */
AMP_API void rpmsg_channel_put(struct rpmsg_channel *rpdev);

/**
 * rpmsg_channel_is_dead() - whether @rpdev has gone (withdrawn by the remote, released, or its
 * device gone): operations on it fail. Context: any, with a reference. A snapshot.
 */
AMP_API bool rpmsg_channel_is_dead(const struct rpmsg_channel *rpdev);

/**
 * rpmsg_channel_driver() - the name of the driver bound to @rpdev (a snapshot: it may be
 * unbound at any time), copied into @buf of @len bytes, truncated and NUL-terminated; "" when
 * none is bound. Context: any, while the channel is valid. Return: @buf.
 */
AMP_API const char *rpmsg_channel_driver(const struct rpmsg_channel *rpdev, char *buf,
					 size_t len);

/**
 * rpmsg_for_each_channel() - call @fn for every channel of @rvdev (for topology dumps), in
 * this thread. The channels are taken with references first and @fn runs without any lock of
 * the bus: it may call rpmsg (a channel may go meanwhile: operations on it then fail).
 * Context: any thread except callbacks.
 */
AMP_API void rpmsg_for_each_channel(struct rpmsg_virtio_device *rvdev,
				    void (*fn)(struct rpmsg_channel *rpdev, void *arg), void *arg);

/**
 * rpmsg_for_each_channel_on() - call @fn for every channel of every rpmsg device whose virtio
 * device has @parent (virtio_device.parent: for remoteproc's vdevs, the struct rproc), with
 * @index that virtio device's, in this thread. The devices and their channels are taken with
 * references first and @fn runs without any lock of the bus: it may call rpmsg (a channel may
 * go meanwhile: operations on it then fail with -ENODEV, or return NULL), and must not wait
 * for that processor's notification context.
 * Context: any thread except callbacks.
 */
AMP_API void rpmsg_for_each_channel_on(const void *parent,
				       void (*fn)(struct rpmsg_channel *rpdev, unsigned int index,
						  void *arg),
				       void *arg);

/**
 * rproc_for_each_channel() - call @fn for every rpmsg channel of every bound rpmsg vdev of
 * @rproc (for topology dumps), with @index the vdev's: rpmsg_for_each_channel_on(@rproc).
 * rpmsg knows the processor only as its vdevs' parent pointer.
 * Context: any thread except callbacks.
 */
static inline void rproc_for_each_channel(struct rproc *rproc,
					  void (*fn)(struct rpmsg_channel *ch, unsigned int index,
						     void *arg),
					  void *arg)
{
	rpmsg_for_each_channel_on(rproc, fn, arg);
}

/**
 * rpmsg_virtio_device_of() - the rpmsg device the built-in rpmsg driver made on @vdev (as
 * rproc_get_vdev() returns it), or NULL when @vdev is NULL or bound to another driver.
 * Context: any, while @vdev is valid.
 */
AMP_API struct rpmsg_virtio_device *rpmsg_virtio_device_of(struct virtio_device *vdev);

/* --- the transport, for platforms and tests (the remoteproc core uses it for rpmsg vdevs) --- */

/**
 * struct rpmsg_virtio_config - an rpmsg virtio device's memory and hooks
 * @name:        for messages, e.g. "rproc0/vdev0"
 * @vring_va:    the two rings (0: remote -> host, 1: host -> remote), zeroed, as the host maps them
 * @vring_num, @vring_align, @vring_len: their geometry and mapped size
 * @buf_va, @buf_da, @buf_len: the buffer pool, host mapping and device address
 * @buf_size:    bytes per buffer (512 talks to Linux-style peers)
 * @num_bufs:    buffers in all; half receive, half transmit
 * @features:    negotiated: bit VIRTIO_RPMSG_F_NS, bit VIRTIO_RING_F_EVENT_IDX
 * @kick:        ring the remote's doorbell for vring @vqid; NULL for polling mode (no kicks,
 *               no notification arming: the platform calls rpmsg_virtio_notify() in a loop
 *               for vring 0; a sender waiting for a transmit buffer looks for one itself,
 *               yielding the CPU between looks, so vring 1 needs no notification)
 * @ready:       set DRIVER_OK; called once the receive buffers are posted, before the first kick
 * @release_bufs: optional: the buffer pool is no longer used: called once, after
 *               rpmsg_virtio_remove(), as soon as no buffer of it is held by a user (zero-copy
 *               transmit buffers handed out, receive buffers held): from rpmsg_virtio_remove()
 *               itself when none is, else from the thread that gives the last one back (any
 *               thread, a callback too, with rpmsg's locks held: it must not block nor call
 *               into rpmsg). Until then the pool must stay mapped and must not be handed to
 *               anyone else; without it, the pool must outlive every buffer the users hold.
 * @bufs_priv:   for @release_bufs
 * @broken:      optional: the remote broke vring @vqid (called once per device, from the
 *               notification context or a sender's thread, with rpmsg's ring locks held: it
 *               must not call back into rpmsg); the remoteproc glue reports a crash
 *               (rproc_report_crash() only queues work), so that recovery can follow
 * @priv:        for @kick and @ready
 */
struct rpmsg_virtio_config {
	const char *name;
	void *vring_va[2];
	unsigned int vring_num[2];
	unsigned int vring_align[2];
	size_t vring_len[2];
	void *buf_va;
	uint64_t buf_da;
	size_t buf_len;
	unsigned int buf_size;
	unsigned int num_bufs;
	uint32_t features;
	void (*kick)(void *priv, unsigned int vqid);
	void (*ready)(void *priv);
	void (*broken)(void *priv, unsigned int vqid);
	void (*release_bufs)(void *bufs_priv);
	void *bufs_priv;
	void *priv;
};

/**
 * rpmsg_virtio_add() - bring up an rpmsg bus instance: rings set up, receive buffers posted,
 * DRIVER_OK set, the remote kicked.
 * Context: any thread except callbacks. Return: 0 and *@out; -EINVAL for a geometry that does
 * not fit; -ENOMEM.
 */
AMP_API int rpmsg_virtio_add(const struct rpmsg_virtio_config *cfg,
			     struct rpmsg_virtio_device **out);

/**
 * rpmsg_virtio_notify() - the remote kicked vring @vqid: drain received messages (callbacks run
 * here) or wake senders waiting for transmit buffers. At most a ring's worth of messages per
 * call: a remote that refills the ring as fast as it is drained would otherwise keep the caller
 * here for ever.
 * Context: the device's notification context, one thread at a time.
 * Return: true when messages are left (call again; the device is not armed for a kick), false
 * when the ring is empty and armed.
 */
AMP_API bool rpmsg_virtio_notify(struct rpmsg_virtio_device *rvdev, unsigned int vqid);

/**
 * rpmsg_virtio_going() - the device is about to be removed (its remote crashed, or it is being
 * stopped): blocked senders return -ENODEV now, including one polling in the notification
 * context, and new ones do not wait for a buffer; nothing else changes. rpmsg_virtio_remove()
 * must follow (a sender caught at that instant between its check and its sleep is woken by it).
 * Context: any, including the notification context and @broken (rpmsg's ring locks held).
 * Never blocks.
 */
AMP_API void rpmsg_virtio_going(struct rpmsg_virtio_device *rvdev);

/**
 * rpmsg_virtio_remove() - the device goes: channels removed (drivers' remove()), endpoints
 * destroyed, blocked senders woken with -ENODEV; nothing touches the rings after it returns.
 * Endpoints the user made stay valid until destroyed, and so do the buffers they hold (their
 * memory is not reused while held, see @release_bufs): sending one fails with -ENODEV,
 * releasing it is accepted.
 * Context: any thread except callbacks, never concurrently with rpmsg_virtio_notify().
 */
AMP_API void rpmsg_virtio_remove(struct rpmsg_virtio_device *rvdev);

#endif /* AMP_RPMSG_H */
