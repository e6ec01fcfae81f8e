/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One virtqueue implementation for both roles of a virtio split ring.
 *
 * The driver role (the host, which owns the buffers) adds scatter-gather buffers and gets them
 * back used; the device role (the remote) takes available chains and returns them used. Both
 * roles share the notification API: after publishing, virtqueue_kick() tells the other side only
 * when it asked to be told (flags, or VIRTIO_RING_F_EVENT_IDX), and virtqueue_disable_cb() /
 * virtqueue_enable_cb() ask the other side to stop or resume telling us.
 *
 * The virtqueue never dereferences buffer addresses: descriptors carry addresses as the other
 * side sees them (device addresses), and translating them is the caller's business. It only reads
 * and writes the ring itself, inside the memory given at init.
 *
 * Everything read from the ring is treated as written by an adversary. Each shared field is read
 * once into a local, checked, and only the local is used. An impossible value (a head or next out
 * of range, a loop, a used id not in flight, an index that moves by more than the ring holds, a
 * length that overflows) marks the queue broken: the call that saw it returns -EIO, so does every
 * later call, and virtqueue_broken_diag() says what was seen. The driver role keeps its own copy
 * of every chain it posted and never reads its own writes back from the ring.
 *
 * Memory ordering: ring indexes are published with release stores and read with acquire loads; a
 * full fence separates publishing an index from reading the other side's suppression word.
 *
 * Not thread-safe: one thread at a time per virtqueue (the caller locks). The two roles of one
 * ring run on different processors, or in different threads, concurrently.
 */
#ifndef AMP_VIRTQUEUE_H
#define AMP_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <amp/compiler.h>
#include <amp/diag.h>
#include <amp/wire/vring.h>

enum virtqueue_role {
	VIRTQUEUE_DRIVER = 0, /* posts buffers, gets them back used (the host) */
	VIRTQUEUE_DEVICE = 1, /* takes available buffers, returns them used (the remote) */
};

struct virtqueue;

/* Tell the other side this queue changed (ring its doorbell). May be NULL: polling mode. */
typedef void (*virtqueue_notify_t)(struct virtqueue *vq);

/**
 * struct virtqueue_sg - one buffer of a scatter-gather list (driver role)
 * @addr: the buffer's address as the device sees it
 * @len:  its length in bytes
 */
struct virtqueue_sg {
	uint64_t addr;
	uint32_t len;
};

/**
 * struct virtqueue_buf - one descriptor of an available chain (device role), copied out of the
 * ring once and checked: @addr + @len does not overflow, @len is not zero-length-and-chained...
 * @addr:  the buffer's device address, untranslated; the caller checks it maps
 * @len:   its length
 * @write: true when the device may write it (an "in" buffer), false for read-only ("out")
 */
struct virtqueue_buf {
	uint64_t addr;
	uint32_t len;
	bool write;
};

/**
 * struct virtqueue_desc_state - private bookkeeping for one descriptor, never in shared memory.
 * The caller provides an array of @num of these (virtqueue_config.state) and keeps it alive as
 * long as the queue. Its fields are private.
 */
struct virtqueue_desc_state {
	/* private: */
	void *token;     /* driver: the caller's token on the head of a chain in flight */
	uint32_t in_len; /* driver: device-writable bytes of the chain, on its head */
	uint32_t total;  /* driver: all bytes of the chain, on its head */
	uint16_t next;   /* our own copy of the chain link / free-list link */
	uint16_t ndescs; /* on a head: descriptors in its chain while in flight, else 0 */
	uint8_t busy;    /* device: this descriptor belongs to a chain we hold */
	uint8_t used_known; /* device: @shadow.used holds what used->ring[this index] holds */
	/* What we last wrote to the shared ring at this index (descriptor, avail or used entry):
	 * a value already there is not written again, and nothing we own is read back. */
	union {
		struct {
			uint64_t addr;
			uint32_t len;
			uint16_t flags, next;
			uint16_t avail; /* avail->ring[this index] */
		} drv;
		struct {
			uint32_t id, len;
		} used;
	} shadow;
};

/**
 * struct virtqueue_config - what virtqueue_init() needs
 * @role:      VIRTQUEUE_DRIVER or VIRTQUEUE_DEVICE
 * @num:       descriptors in the ring: a power of two, 1..32768
 * @align:     alignment of the used ring: a power of two >= 4 (as the resource table gives it)
 * @ring:      the ring memory, shared with the other side, 16-byte aligned
 * @ring_len:  bytes available at @ring; at least vring_size(@num, @align)
 * @state:     @num entries of private bookkeeping (see struct virtqueue_desc_state)
 * @event_idx: VIRTIO_RING_F_EVENT_IDX was negotiated
 * @notify:    rings the other side's doorbell; NULL for polling mode
 * @priv:      the caller's, for @notify
 * @name:      for diagnostics; kept by pointer, must outlive the queue
 * @index:     the queue's index in its device, for diagnostics and for @notify
 */
struct virtqueue_config {
	enum virtqueue_role role;
	unsigned int num;
	unsigned int align;
	void *ring;
	size_t ring_len;
	struct virtqueue_desc_state *state;
	bool event_idx;
	virtqueue_notify_t notify;
	void *priv;
	const char *name;
	unsigned int index;
};

/**
 * struct virtqueue - one queue, either role. Visible so that firmware can allocate it statically;
 * only @priv, @name and @index are meant for the user.
 */
struct virtqueue {
	void *priv;
	const char *name;
	unsigned int index;
	/* private: */
	struct vring vr;
	struct virtqueue_desc_state *state;
	virtqueue_notify_t notify;
	uint16_t mask;
	uint8_t role;
	bool event_idx;
	bool broken;
	/* driver role */
	uint16_t free_head;
	uint16_t num_free;
	uint16_t avail_idx;   /* next avail->idx we will publish */
	uint16_t avail_pub;   /* avail->idx as last published */
	uint16_t num_added;   /* heads published since the last kick decision */
	uint16_t last_used;   /* next used entry we will consume */
	uint16_t used_seen;   /* used->idx as last read: entries up to it need no new load */
	uint16_t in_flight;   /* chains posted and not yet returned */
	uint16_t avail_flags; /* our copy of avail->flags */
	/* device role */
	uint16_t last_avail;  /* next available entry we will take */
	uint16_t avail_seen;  /* avail->idx as last read */
	uint16_t used_idx;    /* next used->idx we will publish */
	uint16_t used_pub;    /* used->idx as last published */
	uint16_t held;        /* chains taken and not yet returned */
	uint16_t used_flags;  /* our copy of used->flags */
	uint16_t signalled;   /* used index at our last notify decision */
	bool signalled_valid;
	struct amp_diag diag; /* why the queue broke */
};

/**
 * virtqueue_init() - set up @vq over the ring at @cfg->ring
 * @vq:  storage for the queue, owned by the caller
 * @cfg: geometry, role and callbacks; copied, except @cfg->state and @cfg->name, kept by pointer
 *
 * The driver role zeroes the whole ring (it owns the ring's initial state, as Linux's remoteproc
 * does). The device role writes nothing: it reads used->idx once as its starting point, so that it
 * can join a ring whose driver pre-filled the used ring (RPMsg-Lite's master does).
 *
 * Context: any; portable core. No allocation.
 * Return: 0; -EINVAL for a num or align that is not a power of two in range, a ring that is not
 * 16-byte aligned or shorter than vring_size(), or a NULL ring or state.
 */
AMP_API int virtqueue_init(struct virtqueue *vq, const struct virtqueue_config *cfg);

/**
 * virtqueue_add_sgs() - post a chain of @out_num read-only then @in_num device-writable buffers
 * @vq:     a driver-role queue
 * @sg:     @out_num + @in_num entries; copied into the ring, the array is the caller's again
 * @out_num: buffers the device reads
 * @in_num:  buffers the device writes
 * @token:  the caller's cookie, handed back by virtqueue_get_buf(); not NULL
 *
 * The chain is published at once (avail->idx moves); call virtqueue_kick() to tell the device.
 *
 * Context: the queue's lock holder. Never blocks.
 * Return: 0; -ENOSPC when fewer than @out_num + @in_num descriptors are free; -EINVAL for a
 * NULL token, an empty chain, a device-role queue, or a chain whose lengths overflow 32 bits;
 * -EIO when the queue is broken.
 */
AMP_API int virtqueue_add_sgs(struct virtqueue *vq, const struct virtqueue_sg *sg,
			      unsigned int out_num, unsigned int in_num, void *token);

/**
 * virtqueue_add_outbuf() - post one read-only buffer; virtqueue_add_sgs() with one "out" entry.
 * Context and Return: as virtqueue_add_sgs().
 */
AMP_API int virtqueue_add_outbuf(struct virtqueue *vq, uint64_t addr, uint32_t len, void *token);

/**
 * virtqueue_add_inbuf() - post one device-writable buffer; virtqueue_add_sgs() with one "in".
 * Context and Return: as virtqueue_add_sgs().
 */
AMP_API int virtqueue_add_inbuf(struct virtqueue *vq, uint64_t addr, uint32_t len, void *token);

/**
 * virtqueue_add_inbuf_deferred() - as virtqueue_add_inbuf(), but the buffer is published only
 * by the next virtqueue_publish_avail(), virtqueue_add_sgs() (or its wrappers) or
 * virtqueue_kick*(): a driver reposting a batch moves avail->idx (a line the device reads)
 * once per batch. Context and Return: as virtqueue_add_sgs().
 */
AMP_API int virtqueue_add_inbuf_deferred(struct virtqueue *vq, uint64_t addr, uint32_t len,
					 void *token);

/**
 * virtqueue_publish_avail() - publish buffers added with the deferred variant (driver role):
 * one release store of avail->idx. Context: as virtqueue_add_sgs().
 */
AMP_API void virtqueue_publish_avail(struct virtqueue *vq);

/**
 * virtqueue_get_buf() - take the next buffer the device returned
 * @vq:    a driver-role queue
 * @token: set to the token given when the buffer was added
 * @len:   set to the bytes the device says it wrote, never more than the chain's device-writable
 *         bytes (a larger report within the chain's total is clamped: OpenAMP and RPMsg-Lite
 *         report a read-only buffer's whole length, which virtio says should be 0)
 *
 * Context: the queue's lock holder. Never blocks.
 * Return: 1 with @token and @len set; 0 when nothing is used; -EIO when the queue is broken,
 * including by this call (an id out of range or not in flight, a length past the chain, the used
 * index moving past what is in flight).
 */
AMP_API int virtqueue_get_buf(struct virtqueue *vq, void **token, uint32_t *len);

/**
 * virtqueue_detach_unused_buf() - reclaim a buffer the device never returned, for teardown
 * @vq: a driver-role queue whose device is stopped (or broken)
 *
 * Call repeatedly until it returns NULL; each chain is freed and its avail entry withdrawn.
 *
 * Context: the queue's lock holder, after the device has stopped touching the ring.
 * Return: the token of one chain still in flight, or NULL when none is left.
 */
AMP_API void *virtqueue_detach_unused_buf(struct virtqueue *vq);

/**
 * virtqueue_get_avail_buf() - take the next available chain and copy out its descriptors
 * @vq:   a device-role queue
 * @bufs: room for @max descriptors of the chain, in chain order
 * @max:  capacity of @bufs
 * @head: set to the chain's head, the id to return with virtqueue_add_used_buf()
 *
 * Context: the queue's lock holder. Never blocks.
 * Return: the number of descriptors (>= 1) copied into @bufs; 0 when nothing is available;
 * -EMSGSIZE when the chain is valid but longer than @max (it is taken anyway: return it with
 * virtqueue_add_used_buf(@head, 0)); -EIO when the queue is broken, including by this call (a
 * head or next out of range, a loop, a descriptor of a chain we hold, an indirect descriptor,
 * lengths that overflow, the avail index moving by more than the ring holds).
 */
AMP_API int virtqueue_get_avail_buf(struct virtqueue *vq, struct virtqueue_buf *bufs,
				    unsigned int max, uint16_t *head);

/**
 * virtqueue_add_used_buf() - return chain @head to the driver, @len bytes written into it
 * @vq:   a device-role queue
 * @head: a head from virtqueue_get_avail_buf() not returned yet
 * @len:  bytes written into the chain's device-writable buffers
 *
 * The entry is published at once (used->idx moves); call virtqueue_kick() to tell the driver.
 *
 * Context: the queue's lock holder. Never blocks.
 * Return: 0; -EINVAL when @head is not a chain we hold or the queue is driver-role; -EIO when
 * the queue is broken.
 */
AMP_API int virtqueue_add_used_buf(struct virtqueue *vq, uint16_t head, uint32_t len);

/**
 * virtqueue_add_used_buf_deferred() - as virtqueue_add_used_buf(), but the entry is published
 * only by the next virtqueue_publish_used(), virtqueue_add_used_buf() or virtqueue_kick*():
 * a device returning a batch moves used->idx (a line the driver reads) once per batch.
 * Context and Return: as virtqueue_add_used_buf().
 */
AMP_API int virtqueue_add_used_buf_deferred(struct virtqueue *vq, uint16_t head, uint32_t len);

/**
 * virtqueue_publish_used() - publish used entries added with the deferred variant (device
 * role): one release store of used->idx. Context: as virtqueue_add_used_buf().
 */
AMP_API void virtqueue_publish_used(struct virtqueue *vq);

/**
 * virtqueue_kick_prepare() - decide whether the other side wants to hear of what we published
 *
 * Driver role: the device's VRING_USED_F_NO_NOTIFY flag or, with EVENT_IDX, its avail_event.
 * Device role: the driver's VRING_AVAIL_F_NO_INTERRUPT flag or, with EVENT_IDX, its used_event;
 * and never when nothing was used since the last call.
 * A full fence orders our index store before the read of the other side's word.
 *
 * Context: the queue's lock holder. Never blocks.
 * Return: true when virtqueue_notify() should be called; false when suppressed or broken.
 */
AMP_API bool virtqueue_kick_prepare(struct virtqueue *vq);

/**
 * virtqueue_notify() - call the queue's notify hook (no-op without one)
 * Context: any thread; need not hold the queue's lock. May block only if the hook does.
 */
AMP_API void virtqueue_notify(struct virtqueue *vq);

/**
 * virtqueue_kick() - virtqueue_kick_prepare() and, when it says so, virtqueue_notify()
 * Context: the queue's lock holder.
 * Return: true when the other side was notified.
 */
AMP_API bool virtqueue_kick(struct virtqueue *vq);

/**
 * virtqueue_disable_cb() - ask the other side not to notify us (best effort: a notification
 * already on its way may still arrive)
 *
 * Driver role: VRING_AVAIL_F_NO_INTERRUPT, or used_event moved out of reach with EVENT_IDX.
 * Device role: VRING_USED_F_NO_NOTIFY (with EVENT_IDX avail_event is simply not advanced).
 *
 * Context: the queue's lock holder. Never blocks.
 */
AMP_API void virtqueue_disable_cb(struct virtqueue *vq);

/**
 * virtqueue_enable_cb() - ask to be notified of the next change, then check again
 *
 * Arms the notification (flag cleared, or event index set to our next entry), issues a full
 * fence, and re-reads the other side's index, so that a change landing between our last look and
 * the arming is never missed: if it returns true, the other side will notify us of anything new.
 *
 * Context: the queue's lock holder. Never blocks.
 * Return: true when nothing is pending (safe to sleep until notified); false when there is
 * already work (process it, then call again), or the queue is broken.
 */
AMP_API bool virtqueue_enable_cb(struct virtqueue *vq);

/**
 * virtqueue_enable_cb_delayed() - like virtqueue_enable_cb(), but with EVENT_IDX ask to be
 * notified only once about three quarters of the buffers in flight are used (driver role); the
 * same as virtqueue_enable_cb() otherwise. Suits reclaiming transmit buffers.
 *
 * Context: the queue's lock holder. Return: as virtqueue_enable_cb().
 */
AMP_API bool virtqueue_enable_cb_delayed(struct virtqueue *vq);

/**
 * virtqueue_has_work() - whether the other side has published something we have not consumed:
 * used entries (driver role) or available entries (device role). One acquire load, no side effect.
 * Context: the queue's lock holder. Return: false when broken.
 */
AMP_API bool virtqueue_has_work(const struct virtqueue *vq);

/**
 * virtqueue_num_free() - free descriptors (driver role) or chains we may still take before the
 * ring is exhausted (device role: num - held)
 * Context: the queue's lock holder.
 */
AMP_API unsigned int virtqueue_num_free(const struct virtqueue *vq);

/** virtqueue_get_vring_size() - the number of descriptors. Context: any. */
AMP_API unsigned int virtqueue_get_vring_size(const struct virtqueue *vq);

/** virtqueue_is_broken() - whether the queue saw an impossible value. Context: any thread. */
AMP_API bool virtqueue_is_broken(const struct virtqueue *vq);

/**
 * virtqueue_broken_diag() - what broke the queue: a constant message, the numbers, and the
 * descriptor or entry index. Context: any. Return: NULL when the queue is not broken.
 */
AMP_API const struct amp_diag *virtqueue_broken_diag(const struct virtqueue *vq);

/**
 * virtqueue_break() - mark the queue broken from outside (e.g. the remote was found writing where
 * it must not); later calls fail with -EIO. Context: the queue's lock holder.
 */
AMP_API void virtqueue_break(struct virtqueue *vq);

#endif /* AMP_VIRTQUEUE_H */
