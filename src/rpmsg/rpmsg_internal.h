/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the host's rpmsg bus (rpmsg_core.c) and its virtio transport (rpmsg_virtio.c) share, as
 * Linux's rpmsg_internal.h between rpmsg_core.c and virtio_rpmsg_bus.c. Host layer.
 *
 * The bus keeps drivers, channels, endpoints and the name service's meaning; a transport keeps
 * the buffers and moves them. A transport's device (the public struct rpmsg_virtio_device, opaque
 * to users) begins with a struct rpmsg_dev, the bus's view of it, and gives the bus an ops table.
 */
#ifndef AMP_RPMSG_INTERNAL_H
#define AMP_RPMSG_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <amp/rpmsg.h>
#include <amp/virtio.h>

#include "os/os.h"
#include "rpmsg/rpmsg_proto.h"

struct rpmsg_chan;
struct rpmsg_dev;

struct rpmsg_endpoint {
	struct rpmsg_dev *dev;
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
	unsigned int rx_held; /* the transport's receive buffers it holds; under its rx_lock */
	unsigned int tx_out;  /* its zero-copy transmit buffers out; under its tx_lock */
	bool dead;         /* destroyed: no more callbacks; atomic (read without ept_lock) */
	bool muted;        /* no callback starts, sends still work (its channel is being
			    * unbound); atomic */
	bool free_on_done; /* destroyed from its own callback: freed when that returns */
};

/*
 * What a transport does for the bus (Linux's rpmsg_device_ops and rpmsg_endpoint_ops in one).
 * Each is called from the public function of the same name, after the bus's own checks, with no
 * bus lock held; each may block as that function's documentation says.
 */
struct rpmsg_dev_ops {
	/* A message of @len bytes from @src to @dst, waiting up to @timeout_ms for a buffer. */
	int (*send)(struct rpmsg_dev *dev, uint32_t src, uint32_t dst, const void *data, int len,
		    uint32_t timeout_ms);
	void *(*get_tx_buffer)(struct rpmsg_endpoint *ept, uint32_t *len, uint32_t timeout_ms);
	int (*send_nocopy)(struct rpmsg_endpoint *ept, uint32_t dst, void *payload, int len);
	void (*release_tx_buffer)(struct rpmsg_endpoint *ept, void *payload);
	/* The message being delivered to @ept (the bus checked that) is kept past its callback. */
	int (*hold_rx_buffer)(struct rpmsg_endpoint *ept, void *data);
	void (*release_rx_buffer)(struct rpmsg_endpoint *ept, void *data);
	/* @ept is destroyed and its callback has returned: what it holds goes back. */
	void (*ept_gone)(struct rpmsg_endpoint *ept);
	/* The counters only the transport knows: broken, rx_held, tx_waiting, tx_out. */
	void (*get_stats)(struct rpmsg_dev *dev, struct rpmsg_stats *stats);
	/* The last reference went: free the device (after rpmsg_dev_cleanup()). */
	void (*release)(struct rpmsg_dev *dev);
};

/* An rpmsg bus instance, as the bus sees it: the first member of a transport's device. */
struct rpmsg_dev {
	char name[64];
	const struct rpmsg_dev_ops *ops;
	void *parent;       /* for rpmsg_for_each_channel_on() */
	unsigned int index; /* likewise */
	bool ns;            /* the name service is on (VIRTIO_RPMSG_F_NS negotiated) */
	uint32_t mtu;       /* payload bytes per message */
	unsigned int refs;  /* the device's own, one per endpoint and per channel; atomic */
	/* The transport stopped moving buffers; written by it under its ring locks, then the
	 * endpoint table is emptied (rpmsg_dev_drop_epts()). Atomic. */
	bool removed;

	struct amp_mutex ept_lock;
	struct amp_cond ept_cond;
	struct rpmsg_ept_table epts;
	struct rpmsg_endpoint *ns_ept;
	/* The message being delivered, and its endpoint (notification context only). */
	const void *delivering;
	const struct rpmsg_endpoint *delivering_ept;

	struct rpmsg_chan *channels; /* guarded by rpmsg_bus_lock */
	unsigned int num_channels;
	bool unlisted;               /* being removed: no channel is added; rpmsg_bus_lock */
	struct rpmsg_stats stats;    /* atomic counters, see RPMSG_STAT_INC() */
	struct rpmsg_dev *next;      /* guarded by rpmsg_bus_lock */
};

/* The public handle and the bus's view are one address (checked where a transport defines it). */
static inline struct rpmsg_dev *rpmsg_dev_of(struct rpmsg_virtio_device *rvdev)
{
	return (struct rpmsg_dev *)(void *)rvdev;
}

static inline struct rpmsg_virtio_device *rpmsg_dev_handle(struct rpmsg_dev *dev)
{
	return (struct rpmsg_virtio_device *)(void *)dev;
}

/* Each counter has one writer at a time (the notification context, one thread at a time, or
 * the holder of the transport's tx_lock): a load and a store, not a locked read-modify-write
 * per message. Atomic so that rpmsg_get_stats() may read them from any thread. */
#define RPMSG_STAT_INC(dev, field)                                                             \
	__atomic_store_n(&(dev)->stats.field,                                                   \
			 __atomic_load_n(&(dev)->stats.field, __ATOMIC_RELAXED) + 1,             \
			 __ATOMIC_RELAXED)

static inline bool rpmsg_dev_removed(const struct rpmsg_dev *dev)
{
	return __atomic_load_n(&dev->removed, __ATOMIC_ACQUIRE);
}

static inline void rpmsg_dev_get(struct rpmsg_dev *dev)
{
	__atomic_add_fetch(&dev->refs, 1, __ATOMIC_RELAXED);
}

static inline void rpmsg_dev_put(struct rpmsg_dev *dev)
{
	if (__atomic_sub_fetch(&dev->refs, 1, __ATOMIC_ACQ_REL) == 0)
		dev->ops->release(dev);
}

static inline bool rpmsg_ept_dead(const struct rpmsg_endpoint *ept)
{
	return __atomic_load_n(&ept->dead, __ATOMIC_RELAXED);
}

/* rpmsg_core.c: the bus's side of a device's life, called by its transport. */

/* Set up @dev (one reference, the caller's); -AMP_ENOMEM. Undone by rpmsg_dev_cleanup(). */
int rpmsg_dev_init(struct rpmsg_dev *dev, const struct rpmsg_dev_ops *ops, const char *name,
		   void *parent, unsigned int index, bool ns, uint32_t mtu);
void rpmsg_dev_cleanup(struct rpmsg_dev *dev);
/* On the bus: the name service's endpoint made, the device listed; -AMP_ENOMEM. */
int rpmsg_dev_register(struct rpmsg_dev *dev);
/* Off the bus: its channels taken off (drivers' remove() may still send), then unlisted. */
void rpmsg_dev_unregister(struct rpmsg_dev *dev);
/* After the transport set removed: nothing more is delivered to any endpoint. */
void rpmsg_dev_drop_epts(struct rpmsg_dev *dev);

/* This thread runs @dev's notification context (its callbacks) from now; returns the device it
 * ran before, to be given back when done. */
struct rpmsg_dev *rpmsg_notify_swap(struct rpmsg_dev *dev);
/* Whether this thread runs @dev's notification context. */
bool rpmsg_in_notify(const struct rpmsg_dev *dev);

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

/* Deliver @msg to its endpoint's callback. Notification context. */
void rpmsg_dev_deliver(struct rpmsg_dev *dev, struct rpmsg_rx_run *run,
		       const struct rpmsg_rx_msg *msg);
/* End @run (after the batch, before its buffers go back). */
void rpmsg_rx_run_end(struct rpmsg_rx_run *run);

/* rpmsg_virtio.c */
/* The virtio driver of rpmsg devices (VIRTIO_ID_RPMSG), built in (virtio_builtin.c). */
extern const struct virtio_driver rpmsg_virtio_driver;

#endif /* AMP_RPMSG_INTERNAL_H */
