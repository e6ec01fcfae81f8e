/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rpmsg on the remote (the virtio device side), for firmware: the same protocol as the host's
 * bus, with endpoints in storage the firmware provides and no allocation. The remote takes the
 * host's buffers from vring 0 to send and from vring 1 to receive, as Linux's peers do.
 *
 * The host may be ours, Linux's or OpenAMP's: the remote returns each consumed host buffer with
 * its whole length as the used length (OpenAMP's host takes it as the buffer's capacity), uses
 * only the features it offered and the host accepted, and expects no kick when the host sets
 * DRIVER_OK (OpenAMP's sets it silently: see rpmsg_remote_ready()).
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

/* The virtio features this implementation can offer: the name service and event indexes. */
#define RPMSG_REMOTE_FEATURES ((1u << VIRTIO_RPMSG_F_NS) | (1u << VIRTIO_RING_F_EVENT_IDX))

/* A message for @ept from @src; @data is valid until the callback returns. */
typedef void (*rpmsg_remote_cb_t)(struct rpmsg_remote_ept *ept, const void *data, size_t len,
				  uint32_t src, void *priv);

/*
 * The host announced one of its endpoints, @name at @addr (@destroy false), or withdrew it
 * (@destroy true). @name is NUL-terminated and valid until the callback returns.
 */
typedef void (*rpmsg_remote_ns_cb_t)(struct rpmsg_remote_device *rdev, const char *name,
				     uint32_t addr, bool destroy, void *priv);

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
 * @features:  the virtio features this device offers, within RPMSG_REMOTE_FEATURES: exactly
 *             what the dfeatures of @vdev say of those bits (other bits are not the remote's
 *             business). The remote uses a feature only when it offered it and the
 *             host accepted it (gfeatures): a host that sets a bit it was not offered changes
 *             nothing. Offer VIRTIO_RING_F_EVENT_IDX only to hosts whose rings implement it
 *             (Linux's and ours do); OpenAMP's host accepts every offered feature but its rings
 *             never use event indexes, so a device meant for it offers the name service only.
 * @da_to_va:  map a whole device-address range to a pointer, or NULL (checked on every buffer)
 * @kick:      ring the host's doorbell with @notifyid; NULL for polling mode (no kicks, no
 *             notification arming: the firmware calls rpmsg_remote_poll() in a loop)
 * @ctx:       for @da_to_va, @kick and @now_ns
 * @state:     two arrays of @state_num entries, for the two vrings
 * @state_num: their length: at least each vring's num
 * @slots:     endpoint table storage, @num_slots entries (a power of two; 3/4 usable)
 * @now_ns:    any monotonic clock in nanoseconds, for @busy_poll_ns; may be NULL when that is 0
 * @busy_poll_ns: with @kick, after rpmsg_remote_poll() delivered two messages or more in one
 *             call (the host is streaming), look at the receive ring for up to this long
 *             before asking the host for a kick and returning. A host that sends again within
 *             that time need not kick, and we need not sleep and wake: the cost of an interrupt
 *             is saved per message of a stream, at the price of this much spinning when the
 *             stream ends. A single message (a request, an echo) never spins. 0: never, as
 *             Linux's vhost without busyloop_timeout; keep it well under a round trip through
 *             the doorbells, or an exchange of requests could keep the core spinning.
 */
struct rpmsg_remote_config {
	struct fw_rsc_vdev *vdev;
	uint32_t features;
	void *(*da_to_va)(void *ctx, uint64_t da, size_t len);
	void (*kick)(void *ctx, uint32_t notifyid);
	void *ctx;
	struct virtqueue_desc_state *state[2];
	unsigned int state_num;
	struct rpmsg_ept_slot *slots;
	unsigned int num_slots;
	uint64_t (*now_ns)(void *ctx);
	uint32_t busy_poll_ns;
};

/**
 * struct rpmsg_remote_stats - what the remote counted
 * @rx_msgs:   messages delivered to an endpoint
 * @rx_bad:    host buffers dropped for a bad header or an address outside our memory
 * @rx_no_ept: messages to an address nobody listens on
 * @ns_msgs:   the host's name-service announcements (of its own endpoints), well formed
 * @ns_bad:    malformed ones (wrong size, empty or unterminated name), dropped
 * @tx_msgs:   messages sent
 * @tx_no_buf: sends that found no host buffer (-ENOMEM)
 * @busy_polls: busy polls (@busy_poll_ns) that found a message: interrupts the host was spared
 * @busy_poll_misses: busy polls that found none in time (then the host was asked to kick)
 * @ns_deferred: our announcements that found no host buffer and went out later
 * @ns_lost:   DESTROY announcements dropped: more than RPMSG_REMOTE_NS_GONE waited at once
 */
struct rpmsg_remote_stats {
	uint32_t rx_msgs, rx_bad, rx_no_ept, tx_msgs, tx_no_buf;
	uint32_t ns_msgs, ns_bad;
	uint32_t busy_polls, busy_poll_misses;
	uint32_t ns_deferred, ns_lost;
};

/* DESTROY announcements of endpoints already gone that can wait for a host buffer at once. */
#define RPMSG_REMOTE_NS_GONE 4

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
	rpmsg_remote_ns_cb_t ns_cb;
	void *ns_priv;
	struct rpmsg_ept_table epts;
	struct rpmsg_remote_stats stats;
	uint16_t tx_unpublished; /* sends not yet published, or not yet decided on a kick for */
	bool in_cb;              /* a callback of ours runs: polls are refused (no nesting) */
	/* Announcements that found no host buffer, sent by the next poll or flush that finds
	 * one (the host is asked to kick when it returns one): CREATEs of endpoints in the
	 * table (@ns_retry), and DESTROYs of endpoints gone, oldest first, which go before any
	 * CREATE (a name may come back at the same address). */
	bool ns_retry, ns_armed;
	uint8_t ns_gone_n;
	struct {
		char name[RPMSG_NAME_SIZE];
		uint32_t addr;
	} ns_gone[RPMSG_REMOTE_NS_GONE];
};

/**
 * rpmsg_remote_init() - set up @rdev (storage the firmware owns) from @cfg (copied)
 * Context: firmware. Return: 0; -EINVAL (no vdev, slots not a power of two, @cfg->features
 * outside RPMSG_REMOTE_FEATURES or not what the vdev's dfeatures offer of them, @busy_poll_ns
 * without @now_ns).
 */
AMP_API int rpmsg_remote_init(struct rpmsg_remote_device *rdev,
			      const struct rpmsg_remote_config *cfg);

/**
 * rpmsg_remote_ready() - whether the host has set DRIVER_OK; the first time it has, the vrings
 * are taken from the table (their addresses checked through da_to_va), the features fixed
 * (the host's gfeatures within what we offered) and endpoints created before are announced.
 *
 * A host need not kick when it sets DRIVER_OK (Linux's and ours do, OpenAMP's does not): until
 * this returns 0, call it again after an interrupt *or* a bounded wait (a timer of a few
 * milliseconds), never only after an interrupt. amp_fw_rpmsg_wait() does so for firmware.
 *
 * Context: firmware. Return: 0 when ready; -EAGAIN not yet; -EINVAL for a vdev that is not
 * rpmsg or lacks two vrings, or vrings the host wrote that do not fit (bad address or size).
 */
AMP_API int rpmsg_remote_ready(struct rpmsg_remote_device *rdev);

/**
 * rpmsg_remote_create_ept() - an endpoint at @addr (RPMSG_ADDR_ANY: a dynamic one from 1024),
 * announced as @name when the host offered the name service (now if ready, else once ready;
 * without a free host buffer, by the first rpmsg_remote_poll() or rpmsg_remote_flush() that
 * finds one, the host being asked to kick when it returns one).
 * @ept is the firmware's storage, in use until rpmsg_remote_destroy_ept().
 * Context: firmware (its main loop or an endpoint callback).
 * Return: 0; -EEXIST; -ENOSPC (table full); -EINVAL.
 */
AMP_API int rpmsg_remote_create_ept(struct rpmsg_remote_device *rdev, struct rpmsg_remote_ept *ept,
				    const char *name, uint32_t addr, rpmsg_remote_cb_t cb,
				    void *priv);

/**
 * rpmsg_remote_destroy_ept() - announce DESTROY (if its CREATE went out) and remove the
 * endpoint; its storage is the firmware's again on return. Without a free host buffer the
 * DESTROY waits as a CREATE does (up to RPMSG_REMOTE_NS_GONE of them; past that it is dropped
 * and counted in @ns_lost). Destroying an endpoint twice, or one whose create failed, touches
 * no other endpoint. Context: firmware (its main loop or an endpoint callback).
 */
AMP_API void rpmsg_remote_destroy_ept(struct rpmsg_remote_ept *ept);

/**
 * rpmsg_remote_send() - send @len bytes from @ept to @dst (RPMSG_ADDR_ANY: ept->dest_addr) in
 * a buffer taken from the host
 * Without a kick (polling mode) the message is published to the host with the next 31, or
 * when rpmsg_remote_poll() returns, or by rpmsg_remote_flush(), whichever comes first: a
 * firmware that sends outside a callback calls one of those two before it waits
 * (amp_fw_rpmsg_wait() flushes). With a kick it is published, and the host kicked if it asked,
 * at once.
 * Return: 0; -ENOMEM when the host has no free buffer posted (poll, wait, retry); -EMSGSIZE;
 * -ENOTCONN when no destination is known yet; -EAGAIN before ready; -EIO when the host broke
 * the ring; -EFAULT when the host posted a buffer outside our memory (it is returned unused).
 * Context: firmware (its main loop or an endpoint callback), one thread per device.
 */
AMP_API int rpmsg_remote_send(struct rpmsg_remote_ept *ept, uint32_t dst, const void *data,
			      size_t len);

/**
 * rpmsg_remote_send_more() - rpmsg_remote_send() when more messages follow at once (a stream):
 * the send takes no kick decision, which costs a full fence and a read of a line the host
 * writes, as Linux's network drivers skip the doorbell while xmit_more says more are coming.
 * The message is published, and the host kicked if it asked, with the next
 * rpmsg_remote_send(), the 32nd message since the last decision, rpmsg_remote_flush(), when
 * rpmsg_remote_poll() finds its ring empty or returns, or when a send says -ENOMEM, whichever
 * comes first. The last message of a stream goes with rpmsg_remote_send(), or the stream is
 * followed by rpmsg_remote_flush() (amp_fw_rpmsg_wait() flushes): a host that sleeps hears of
 * at most 31 messages late until then. Without a kick (polling mode) it is rpmsg_remote_send().
 * Context and return: as rpmsg_remote_send().
 */
AMP_API int rpmsg_remote_send_more(struct rpmsg_remote_ept *ept, uint32_t dst, const void *data,
				   size_t len);

/**
 * rpmsg_remote_flush() - publish to the host what polled sends, rpmsg_remote_send_more() and
 * polls left unpublished (used->idx of both vrings), and kick the host if it asked for what
 * rpmsg_remote_send_more() sent. Nothing before ready. Context: firmware.
 */
AMP_API void rpmsg_remote_flush(struct rpmsg_remote_device *rdev);

/**
 * rpmsg_remote_poll() - process what the host sent: each message is delivered to its endpoint
 * and its buffer returned (with a kick, which a Linux host blocked on sending waits for).
 * Returned buffers are published in batches (used->idx moves once per quarter ring, 32 messages
 * at most, and when the ring is empty; with a kick, each batch kicks a host that asked) and
 * before any rpmsg_remote_send() says -ENOMEM, so that a callback that waits for a host buffer
 * never holds back buffers the host waits for. With a kick, returns
 * once the ring is empty and armed (the host kicks for the next message); after two messages or
 * more it first looks for a next one for up to @busy_poll_ns.
 *
 * Callbacks never nest: from a callback (its own device's), this delivers nothing and says
 * -EBUSY. Each endpoint thus sees its messages one at a time and in order, and what callbacks
 * send goes out in the order they ran (a poll inside a callback that waits for a buffer would
 * run the next messages' callbacks first, and send their replies before its own), and the
 * stack stays one callback deep, as on Linux, OpenAMP and RPMsg-Lite.
 * Context: the firmware's loop, after an interrupt (or continuously in polling mode); not
 * from one of @rdev's callbacks.
 * Return: messages delivered (>= 0); -EAGAIN before ready; -EINVAL when the host's vdev or
 * vrings do not fit (rpmsg_remote_ready()); -EIO when the ring is broken; -EBUSY from a
 * callback.
 */
AMP_API int rpmsg_remote_poll(struct rpmsg_remote_device *rdev);

/**
 * rpmsg_remote_set_ns_cb() - call @cb (NULL: none) for each name-service message the host sends
 * about its own endpoints (Linux's and OpenAMP's hosts announce the endpoints they create)
 *
 * Messages to the name-service address (53) are checked as the host's side checks ours: exactly
 * one struct rpmsg_ns_msg, a name NUL-terminated within RPMSG_NAME_SIZE and not empty. Well
 * formed ones are counted in ns_msgs and reach @cb; others are counted in ns_bad and dropped.
 * Without a callback they are counted and dropped. This applies once the name service was
 * negotiated and no endpoint of ours sits at address 53 (one that does gets the raw messages).
 * A callback that wants to talk to the announced endpoint sets some endpoint's dest_addr to
 * @addr, or sends to it.
 *
 * Context: firmware. @cb runs inside rpmsg_remote_poll(), as an endpoint callback does, and
 * may call what those may call.
 */
AMP_API void rpmsg_remote_set_ns_cb(struct rpmsg_remote_device *rdev, rpmsg_remote_ns_cb_t cb,
				    void *priv);

/**
 * rpmsg_remote_tx_wait_arm() - before sleeping for a transmit buffer (rpmsg_remote_send() said
 * -ENOMEM): ask the host to kick when it posts one, then look again
 *
 * The host kicks for posted buffers only while asked to, so a sender that keeps up costs it
 * nothing. Arming and looking again closes the race with a buffer posted in between: when this
 * returns true, the host *will* kick for the next buffer, and sleeping until an interrupt is
 * safe. The pattern:
 *
 *	while ((ret = rpmsg_remote_send(ept, dst, data, len)) == -ENOMEM) {
 *		if (rpmsg_remote_tx_wait_arm(rdev))
 *			sleep until an interrupt;
 *		rpmsg_remote_tx_wait_disarm(rdev);
 *	}
 *
 * Context: firmware, main loop or endpoint callback.
 * Return: true when no buffer is posted (sleep); false when one already is (send again at
 * once), and also before ready, on a broken ring (the send then says why) and in polling mode
 * (no kicks: watch rpmsg_remote_tx_available() instead).
 */
AMP_API bool rpmsg_remote_tx_wait_arm(struct rpmsg_remote_device *rdev);

/**
 * rpmsg_remote_tx_wait_disarm() - after the wait: stop asking the host to kick for posted
 * transmit buffers. Context: as rpmsg_remote_tx_wait_arm().
 */
AMP_API void rpmsg_remote_tx_wait_disarm(struct rpmsg_remote_device *rdev);

/**
 * rpmsg_remote_tx_available() - whether the host has posted a transmit buffer we have not
 * taken. One load of the ring's index; for polling mode, where nobody kicks.
 * Context: firmware. Return: false also before ready and on a broken ring.
 */
AMP_API bool rpmsg_remote_tx_available(const struct rpmsg_remote_device *rdev);

/**
 * rpmsg_remote_rx_pending() - whether the host has sent a message rpmsg_remote_poll() has not
 * taken yet. As rpmsg_remote_tx_available(), for the receive ring.
 */
AMP_API bool rpmsg_remote_rx_pending(const struct rpmsg_remote_device *rdev);

/**
 * rpmsg_remote_set_busy_poll() - change @busy_poll_ns of the config (0: never busy poll).
 * Context: firmware, outside rpmsg_remote_poll(). Return: 0; -EINVAL for a non-zero time on a
 * device set up without a clock (@now_ns).
 */
AMP_API int rpmsg_remote_set_busy_poll(struct rpmsg_remote_device *rdev, uint32_t busy_poll_ns);

/** rpmsg_remote_get_stats() - the counters. */
AMP_API void rpmsg_remote_get_stats(const struct rpmsg_remote_device *rdev,
				    struct rpmsg_remote_stats *stats);

#endif /* AMP_RPMSG_REMOTE_H */
