/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rpmsg on the remote (the virtio device side), for firmware: the same protocol as the host's
 * bus, with endpoints in storage the firmware provides and no allocation. The remote takes the
 * host's buffers from vring 0 to send and from vring 1 to receive, as Linux's peers do.
 *
 * Portable core. Not thread-safe: one context (the firmware's main loop) calls these.
 */
#ifndef AMP_RPMSG_REMOTE_H
#define AMP_RPMSG_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <amp/compiler.h>
#include <amp/virtqueue.h>
#include <amp/wire/rpmsg.h>
#include <amp/wire/rsc_table.h>

struct rpmsg_remote_device;
struct rpmsg_remote_ept;

/*
 * The endpoint table both sides use (address -> endpoint, O(1)): open addressing over caller
 * storage. Declare an array of struct rpmsg_ept_slot for rpmsg_remote_config. Fields private.
 */
struct rpmsg_ept_slot {
	uint32_t addr;
	void *ept; /* NULL: free */
};

struct rpmsg_ept_table {
	struct rpmsg_ept_slot *slots;
	uint32_t cap;
	uint32_t count;
	uint32_t next_dynamic;
};

/* A message for @ept from @src; @data is valid until the callback returns. */
typedef void (*rpmsg_remote_cb_t)(struct rpmsg_remote_ept *ept, const void *data, size_t len,
				  uint32_t src, void *priv);

/**
 * struct rpmsg_remote_ept - an endpoint, in the firmware's storage
 * @name:      announced through the name service
 * @addr:      the local address
 * @dest_addr: where rpmsg_remote_send() sends with dst RPMSG_ADDR_ANY: learnt from the first
 *             message received (the host's address), or set by the firmware
 */
struct rpmsg_remote_ept {
	char name[RPMSG_NAME_SIZE];
	uint32_t addr;
	uint32_t dest_addr;
	/* private: */
	rpmsg_remote_cb_t cb;
	void *priv;
	struct rpmsg_remote_device *rdev;
	bool announced;
};

/**
 * struct rpmsg_remote_config - what the remote side needs
 * @vdev:      the rpmsg vdev entry of the *loaded* resource table, in device memory (the host
 *             writes its status, features and vring addresses there)
 * @da_to_va:  map a whole device-address range to a pointer, or NULL (checked on every buffer)
 * @kick:      ring the host's doorbell with @notifyid; NULL for polling mode (no kicks, no
 *             notification arming: the firmware calls rpmsg_remote_poll() in a loop)
 * @ctx:       for @da_to_va and @kick
 * @state:     two arrays of @state_num entries, for the two vrings
 * @state_num: their length: at least each vring's num
 * @slots:     endpoint table storage, @num_slots entries (a power of two; 3/4 usable)
 */
struct rpmsg_remote_config {
	struct fw_rsc_vdev *vdev;
	void *(*da_to_va)(void *ctx, uint64_t da, size_t len);
	void (*kick)(void *ctx, uint32_t notifyid);
	void *ctx;
	struct virtqueue_desc_state *state[2];
	unsigned int state_num;
	struct rpmsg_ept_slot *slots;
	unsigned int num_slots;
};

/**
 * struct rpmsg_remote_stats - what the remote counted
 */
struct rpmsg_remote_stats {
	uint32_t rx_msgs, rx_bad, rx_no_ept, tx_msgs, tx_no_buf;
};

/* The device, in the firmware's storage; fields are private. */
struct rpmsg_remote_device {
	/* private: */
	struct rpmsg_remote_config cfg;
	struct virtqueue txq; /* vring 0: remote -> host */
	struct virtqueue rxq; /* vring 1: host -> remote */
	uint32_t notifyid[2];
	uint32_t buf_size;    /* learnt from the host's buffers; 0 until seen */
	bool ready;
	bool ns;
	struct rpmsg_ept_table epts;
	struct rpmsg_remote_stats stats;
};

/**
 * rpmsg_remote_init() - set up @rdev (storage the firmware owns) from @cfg (copied)
 * Context: firmware. Return: 0; -EINVAL (no vdev, a vdev that is not rpmsg or lacks two vrings,
 * slots not a power of two).
 */
AMP_API int rpmsg_remote_init(struct rpmsg_remote_device *rdev,
			      const struct rpmsg_remote_config *cfg);

/**
 * rpmsg_remote_ready() - whether the host has set DRIVER_OK; the first time it has, the vrings
 * are taken from the table (their addresses checked through da_to_va) and endpoints created
 * before are announced.
 * Context: firmware. Return: 0 when ready; -EAGAIN not yet (wait for an interrupt and call
 * again); -EINVAL for vrings the host wrote that do not fit (bad address or size).
 */
AMP_API int rpmsg_remote_ready(struct rpmsg_remote_device *rdev);

/**
 * rpmsg_remote_create_ept() - an endpoint at @addr (RPMSG_ADDR_ANY: a dynamic one from 1024),
 * announced as @name when the host offered the name service (now if ready, else once ready).
 * @ept is the firmware's storage, in use until rpmsg_remote_destroy_ept().
 * Return: 0; -EEXIST; -ENOSPC (table full); -EINVAL.
 */
AMP_API int rpmsg_remote_create_ept(struct rpmsg_remote_device *rdev, struct rpmsg_remote_ept *ept,
				    const char *name, uint32_t addr, rpmsg_remote_cb_t cb,
				    void *priv);

/** rpmsg_remote_destroy_ept() - announce DESTROY (if announced) and remove the endpoint. */
AMP_API void rpmsg_remote_destroy_ept(struct rpmsg_remote_ept *ept);

/**
 * rpmsg_remote_send() - send @len bytes from @ept to @dst (RPMSG_ADDR_ANY: ept->dest_addr) in
 * a buffer taken from the host
 * Return: 0; -ENOMEM when the host has no free buffer posted (poll, wait, retry); -EMSGSIZE;
 * -ENOTCONN when no destination is known yet; -EAGAIN before ready; -EIO when the host broke
 * the ring; -EFAULT when the host posted a buffer outside our memory (it is returned unused).
 */
AMP_API int rpmsg_remote_send(struct rpmsg_remote_ept *ept, uint32_t dst, const void *data,
			      size_t len);

/**
 * rpmsg_remote_poll() - process what the host sent: each message is delivered to its endpoint
 * and its buffer returned (with a kick, which a Linux host blocked on sending waits for).
 * Returned buffers are published in batches (used->idx moves once per 32 messages, and when the
 * ring is empty) and before any rpmsg_remote_send() says -ENOMEM, so that a callback that
 * waits for a host buffer never holds back buffers the host waits for.
 * Context: the firmware's loop, after an interrupt (or continuously in polling mode).
 * Return: messages delivered (>= 0); -EAGAIN before ready; -EIO when the ring is broken.
 */
AMP_API int rpmsg_remote_poll(struct rpmsg_remote_device *rdev);

/** rpmsg_remote_get_stats() - the counters. */
AMP_API void rpmsg_remote_get_stats(const struct rpmsg_remote_device *rdev,
				    struct rpmsg_remote_stats *stats);

#endif /* AMP_RPMSG_REMOTE_H */
