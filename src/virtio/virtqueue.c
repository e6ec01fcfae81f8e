/* SPDX-License-Identifier: BSD-3-Clause */
/* Split virtqueue, driver and device roles. Portable: no OS, no allocation, no printf. */
#include <amp/errno.h>
#include <amp/virtqueue.h>
#include <amp/wire/byteorder.h>

#include "util/amp_util.h"

/*
 * Shared-memory access. Every access to the ring goes through these helpers, and no fence appears
 * anywhere else in the tree. Plain fields of the ring are read and written with relaxed atomics:
 * on the processors we target they are ordinary loads and stores, but the compiler must perform
 * each exactly once (a snapshot it cannot re-read behind our back after we checked it), and a
 * concurrent hostile writer is not undefined behaviour.
 */
static inline uint16_t vq_read16(const uint16_t *p)
{
	return amp_le16_to_cpu(__atomic_load_n(p, __ATOMIC_RELAXED));
}

static inline uint32_t vq_read32(const uint32_t *p)
{
	return amp_le32_to_cpu(__atomic_load_n(p, __ATOMIC_RELAXED));
}

static inline uint64_t vq_read64(const uint64_t *p)
{
	return amp_le64_to_cpu(__atomic_load_n(p, __ATOMIC_RELAXED));
}

static inline void vq_write16(uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, amp_cpu_to_le16(v), __ATOMIC_RELAXED);
}

static inline void vq_write32(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, amp_cpu_to_le32(v), __ATOMIC_RELAXED);
}

static inline void vq_write64(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, amp_cpu_to_le64(v), __ATOMIC_RELAXED);
}

/* An index the other side publishes: what it wrote before it is visible after this load. */
static inline uint16_t vq_load_acquire16(const uint16_t *p)
{
	return amp_le16_to_cpu(__atomic_load_n(p, __ATOMIC_ACQUIRE));
}

/* An index we publish: what we wrote before it is visible to whoever acquires it. */
static inline void vq_store_release16(uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, amp_cpu_to_le16(v), __ATOMIC_RELEASE);
}

/*
 * Store-load ordering between our index store and our read of the other side's suppression word
 * (flags or event index). Release/acquire cannot give it; without it both sides can decide not to
 * notify and both sleep. Linux uses virtio_mb() here for the same reason.
 *
 * A build whose fence instruction does not order its accesses against the other side names, in
 * AMP_VQ_MB_EXTRA, a function of its own that does: firmware on an emulated core whose
 * emulator drops the fence (QEMU before 8.1 does for a one-CPU machine; firmware/qemu-m4/).
 */
#ifdef AMP_VQ_MB_EXTRA
void AMP_VQ_MB_EXTRA(void);
#endif

static inline void vq_mb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#ifdef AMP_VQ_MB_EXTRA
	AMP_VQ_MB_EXTRA();
#endif
}

static bool vq_is_broken(const struct virtqueue *vq)
{
	return __atomic_load_n(&vq->broken, __ATOMIC_RELAXED);
}

/* Mark the queue broken with what was seen; returns -EIO for the caller to pass on. Only the
 * first cause is kept: later ones are consequences. */
static int vq_fail(struct virtqueue *vq, int32_t index, const char *fmt, uint64_t a, uint64_t b)
{
	if (!vq_is_broken(vq)) {
		AMP_DIAG2(&vq->diag, -AMP_EIO, index, fmt, a, b);
		__atomic_store_n(&vq->broken, true, __ATOMIC_RELAXED);
	}
	return -AMP_EIO;
}

int virtqueue_init(struct virtqueue *vq, const struct virtqueue_config *cfg)
{
	unsigned int i;

	if (!vq || !cfg || !cfg->ring || !cfg->state)
		return -AMP_EINVAL;
	if (cfg->role != VIRTQUEUE_DRIVER && cfg->role != VIRTQUEUE_DEVICE)
		return -AMP_EINVAL;
	if (!amp_is_pow2(cfg->num) || cfg->num > VRING_MAX_NUM)
		return -AMP_EINVAL;
	if (!amp_is_pow2(cfg->align) || cfg->align < 4)
		return -AMP_EINVAL;
	if ((uintptr_t)cfg->ring & 15)
		return -AMP_EINVAL;
	if (cfg->ring_len < vring_size(cfg->num, cfg->align))
		return -AMP_EINVAL;

	amp_memset(vq, 0, sizeof(*vq));
	vq->priv = cfg->priv;
	vq->name = cfg->name;
	vq->index = cfg->index;
	vq->state = cfg->state;
	vq->notify = cfg->notify;
	vq->mask = (uint16_t)(cfg->num - 1);
	vq->role = (uint8_t)cfg->role;
	vq->event_idx = cfg->event_idx;
	vring_init(&vq->vr, cfg->num, cfg->ring, cfg->align);
	amp_memset(cfg->state, 0, sizeof(*cfg->state) * cfg->num);

	if (cfg->role == VIRTQUEUE_DRIVER) {
		/* The driver owns the ring's initial state. Nobody else looks at it yet. */
		amp_memset(cfg->ring, 0, vring_size(cfg->num, cfg->align));
		for (i = 0; i < cfg->num; i++)
			cfg->state[i].next = (uint16_t)(i + 1);
		vq->free_head = 0;
		vq->num_free = (uint16_t)cfg->num;
	} else {
		/* Join the ring where the driver left the used index. Any 16-bit value is valid. */
		vq->used_idx = vq_load_acquire16(&vq->vr.used->idx);
		vq->used_pub = vq->used_idx;
		vq->signalled = vq->used_idx;
	}
	return 0;
}

/* --- driver role ------------------------------------------------------------------------- */

/*
 * Stores to a line the other side reads take it away from that side's cache. A buffer reposted
 * where it was (the free list is LIFO) has the same descriptor, and often the same ring entry:
 * when the memory already holds the value, leave the line shared. What it holds is known from a
 * private shadow of our own last write, not by reading the line: a load of a line the other side
 * took waits for it to come back, where a store does not wait (the store buffer hides it); when
 * streaming, the values change every time, and reading first halved the rate. The other side
 * may scribble over what we wrote; skipping a write then leaves it its own scribble, and we never
 * read these fields back (the driver role trusts only its private copy of each chain).
 */
#define VQ_PUT(shadow, p, v, write)                                                            \
	do {                                                                                    \
		if ((shadow) != (v)) {                                                          \
			(shadow) = (v);                                                         \
			write((p), (v));                                                        \
		}                                                                               \
	} while (0)

static inline void vq_put_desc(struct virtqueue *vq, uint16_t i, uint64_t addr, uint32_t len,
			       uint16_t flags, uint16_t next)
{
	struct vring_desc *d = &vq->vr.desc[i];
	struct virtqueue_desc_state *st = &vq->state[i];

	VQ_PUT(st->shadow.drv.addr, &d->addr, addr, vq_write64);
	VQ_PUT(st->shadow.drv.len, &d->len, len, vq_write32);
	VQ_PUT(st->shadow.drv.flags, &d->flags, flags, vq_write16);
	VQ_PUT(st->shadow.drv.next, &d->next, next, vq_write16);
}

/* Account the chain at @head (its descriptors written and unlinked from the free list) as in
 * flight with @token, and put it in the next avail entry (published later). */
static inline void vq_post_head(struct virtqueue *vq, uint16_t head, uint16_t ndescs,
				uint32_t in_len, uint32_t total, void *token)
{
	vq->num_free = (uint16_t)(vq->num_free - ndescs);
	vq->state[head].token = token;
	vq->state[head].in_len = in_len;
	vq->state[head].total = total;
	vq->state[head].ndescs = ndescs;
	vq->in_flight++;

	VQ_PUT(vq->state[vq->avail_idx & vq->mask].shadow.drv.avail,
	       &vq->vr.avail->ring[vq->avail_idx & vq->mask], head, vq_write16);
	vq->avail_idx++;

	/* The event-index rule works on 16-bit distances: decide before they can wrap (the kick
	 * decision publishes what is pending first). */
	if (AMP_UNLIKELY(++vq->num_added == 0xffff))
		virtqueue_kick(vq);
}

static int vq_add_sgs(struct virtqueue *vq, const struct virtqueue_sg *sg, unsigned int out_num,
		      unsigned int in_num, void *token)
{
	unsigned int total = out_num + in_num;
	uint32_t in_len = 0, all_len = 0;
	uint16_t head, idx, prev = 0;
	unsigned int i;

	if (vq->role != VIRTQUEUE_DRIVER || !token || total == 0 || total < out_num)
		return -AMP_EINVAL;
	if (vq_is_broken(vq))
		return -AMP_EIO;
	if (total > vq->num_free)
		return -AMP_ENOSPC;
	for (i = 0; i < total; i++) {
		if (amp_add_overflow_u32(all_len, sg[i].len, &all_len))
			return -AMP_EINVAL;
		if (i >= out_num)
			in_len += sg[i].len;
	}

	head = idx = vq->free_head;
	for (i = 0; i < total; i++) {
		uint16_t flags = (uint16_t)(i < out_num ? 0 : VRING_DESC_F_WRITE);

		if (i + 1 < total)
			flags |= VRING_DESC_F_NEXT;
		/* The shared next mirrors our private link; we follow only the private one. */
		vq_put_desc(vq, idx, sg[i].addr, sg[i].len, flags, vq->state[idx].next);
		prev = idx;
		idx = vq->state[idx].next;
	}
	vq->free_head = vq->state[prev].next;
	vq_post_head(vq, head, (uint16_t)total, in_len, all_len, token);
	return 0;
}

/* The one-descriptor case of vq_add_sgs() (every rpmsg buffer): the same checks and stores,
 * without the loops over a scatter list. */
static int vq_add_one(struct virtqueue *vq, uint64_t addr, uint32_t len, uint16_t flags,
		      void *token)
{
	uint16_t head = vq->free_head;

	if (vq->role != VIRTQUEUE_DRIVER || !token)
		return -AMP_EINVAL;
	if (vq_is_broken(vq))
		return -AMP_EIO;
	if (!vq->num_free)
		return -AMP_ENOSPC;
	vq_put_desc(vq, head, addr, len, flags, vq->state[head].next);
	vq->free_head = vq->state[head].next;
	vq_post_head(vq, head, 1, flags & VRING_DESC_F_WRITE ? len : 0, len, token);
	return 0;
}

void virtqueue_publish_avail(struct virtqueue *vq)
{
	if (vq->role != VIRTQUEUE_DRIVER || vq_is_broken(vq))
		return;
	/* Release: the descriptors and ring entries written since the last publication are
	 * visible before avail->idx moves. Pairs with the acquire in virtqueue_get_avail_buf()
	 * on the device side. Skipped when nothing is new: the store would take the line the
	 * device keeps reading away from it. */
	if (vq->avail_pub != vq->avail_idx) {
		vq->avail_pub = vq->avail_idx;
		vq_store_release16(&vq->vr.avail->idx, vq->avail_idx);
	}
}

int virtqueue_add_sgs(struct virtqueue *vq, const struct virtqueue_sg *sg, unsigned int out_num,
		      unsigned int in_num, void *token)
{
	int ret = vq_add_sgs(vq, sg, out_num, in_num, token);

	if (!ret)
		virtqueue_publish_avail(vq);
	return ret;
}

int virtqueue_add_outbuf(struct virtqueue *vq, uint64_t addr, uint32_t len, void *token)
{
	int ret = vq_add_one(vq, addr, len, 0, token);

	if (!ret)
		virtqueue_publish_avail(vq);
	return ret;
}

int virtqueue_add_inbuf(struct virtqueue *vq, uint64_t addr, uint32_t len, void *token)
{
	int ret = vq_add_one(vq, addr, len, VRING_DESC_F_WRITE, token);

	if (!ret)
		virtqueue_publish_avail(vq);
	return ret;
}

int virtqueue_add_inbuf_deferred(struct virtqueue *vq, uint64_t addr, uint32_t len, void *token)
{
	return vq_add_one(vq, addr, len, VRING_DESC_F_WRITE, token);
}

/* Return the chain at @head to the free list, following our private links only. */
static void vq_free_chain(struct virtqueue *vq, uint16_t head)
{
	struct virtqueue_desc_state *st = vq->state;
	uint16_t idx = head;
	unsigned int i;

	for (i = 1; i < st[head].ndescs; i++)
		idx = st[idx].next;
	st[idx].next = vq->free_head;
	vq->free_head = head;
	vq->num_free = (uint16_t)(vq->num_free + st[head].ndescs);
	st[head].ndescs = 0;
	st[head].token = NULL;
	vq->in_flight--;
}

int virtqueue_get_buf(struct virtqueue *vq, void **token, uint32_t *len)
{
	struct vring_used_elem *e;
	uint16_t used_idx, pending;
	uint32_t id, ulen;
	struct virtqueue_desc_state *st;

	if (vq->role != VIRTQUEUE_DRIVER)
		return -AMP_EINVAL;
	if (vq_is_broken(vq))
		return -AMP_EIO;

	if (vq->last_used == vq->used_seen) {
		/* Acquire: the used entries below were written before used->idx moved. Pairs
		 * with the release in virtqueue_add_used_buf(). Entries up to the index seen are
		 * consumed without reading it again: the line it sits on is the one the device
		 * keeps writing. */
		used_idx = vq_load_acquire16(&vq->vr.used->idx);
		pending = (uint16_t)(used_idx - vq->last_used);
		if (pending == 0)
			return 0;
		if (pending > vq->in_flight)
			return vq_fail(vq, -1,
				       "used index moved by %llu with only %llu buffers in flight",
				       pending, vq->in_flight);
		vq->used_seen = used_idx;
	}

	e = &vq->vr.used->ring[vq->last_used & vq->mask];
	id = vq_read32(&e->id);
	ulen = vq_read32(&e->len);
	if (id > vq->mask)
		return vq_fail(vq, (int32_t)(vq->last_used & vq->mask),
			       "used id %llu out of range (ring of %llu)", id, vq->mask + 1u);
	st = &vq->state[id];
	if (!st->token)
		return vq_fail(vq, (int32_t)id, "used id %llu is not a buffer in flight (len %llu)", id,
			       ulen);

	if (ulen > st->in_len) {
		/* Past everything we posted is impossible. Within it, a read-only buffer reported
		 * whole is a known peer quirk (OpenAMP, RPMsg-Lite): clamp to what may be written. */
		if (ulen > st->total)
			return vq_fail(vq, (int32_t)id, "used length %llu exceeds the buffer (%llu)",
				       ulen, st->total);
		ulen = st->in_len;
	}

	*token = st->token;
	*len = ulen;
	vq_free_chain(vq, (uint16_t)id);
	vq->last_used++;
	/* Armed with EVENT_IDX: ask for the entry after this one, as Linux's
	 * virtqueue_get_buf_ctx_split() does. used_event was set to the entry we just took (by
	 * whoever armed); left there, the device kicks for no later entry, so a waiter that armed
	 * before another thread took that entry would sleep while buffers come back. Full fence:
	 * the store is visible before our next read of used->idx. Pairs with the fence in the
	 * device's kick_prepare(). */
	if (vq->event_idx && !(vq->avail_flags & VRING_AVAIL_F_NO_INTERRUPT)) {
		vq_write16(vring_used_event(&vq->vr), vq->last_used);
		vq_mb();
	}
	return 1;
}

void *virtqueue_detach_unused_buf(struct virtqueue *vq)
{
	unsigned int i;
	void *token;

	if (vq->role != VIRTQUEUE_DRIVER)
		return NULL;
	for (i = 0; i <= vq->mask; i++) {
		if (!vq->state[i].token)
			continue;
		token = vq->state[i].token;
		vq_free_chain(vq, (uint16_t)i);
		/* Withdraw one avail entry, as Linux does; the device no longer reads the ring. */
		vq->avail_idx--;
		vq->avail_pub = vq->avail_idx;
		vq_write16(&vq->vr.avail->idx, vq->avail_idx);
		return token;
	}
	return NULL;
}

/* --- device role ------------------------------------------------------------------------- */

/* Walk the chain at @head once, copying each descriptor out of the ring a field at a time and
 * checking it before use. Returns the chain's length or -EIO. */
static int vq_walk_chain(struct virtqueue *vq, uint16_t head, struct virtqueue_buf *bufs,
			 unsigned int max)
{
	struct virtqueue_desc_state *st = vq->state;
	unsigned int count = 0, num = vq->mask + 1u;
	uint32_t total = 0;
	bool seen_write = false;
	uint16_t idx = head;

	for (;;) {
		const struct vring_desc *d = &vq->vr.desc[idx];
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next;

		if (count == num)
			return vq_fail(vq, (int32_t)head, "chain at head %llu longer than the ring (%llu)",
				       head, num);
		if (st[idx].busy)
			return vq_fail(vq, (int32_t)idx,
				       "descriptor %llu loops or belongs to a chain we hold (head %llu)",
				       idx, head);
		addr = vq_read64(&d->addr);
		len = vq_read32(&d->len);
		flags = vq_read16(&d->flags);
		next = vq_read16(&d->next);

		if (flags & VRING_DESC_F_INDIRECT)
			return vq_fail(vq, (int32_t)idx,
				       "indirect descriptor %llu (flags 0x%llx) was not negotiated", idx,
				       flags);
		if (addr > UINT64_MAX - len)
			return vq_fail(vq, (int32_t)idx, "descriptor address 0x%llx + length %llu wraps",
				       addr, len);
		if (amp_add_overflow_u32(total, len, &total))
			return vq_fail(vq, (int32_t)head,
				       "chain at head %llu: lengths overflow 32 bits at descriptor %llu",
				       head, idx);
		if (flags & VRING_DESC_F_WRITE)
			seen_write = true;
		else if (seen_write)
			return vq_fail(vq, (int32_t)idx,
				       "read-only descriptor %llu after a writable one (head %llu)", idx,
				       head);
		if (count < max) {
			bufs[count].addr = addr;
			bufs[count].len = len;
			bufs[count].write = (flags & VRING_DESC_F_WRITE) != 0;
		}
		st[idx].busy = 1;
		st[idx].next = next;
		count++;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		if (next > vq->mask)
			return vq_fail(vq, (int32_t)idx, "descriptor %llu: next %llu out of range", idx,
				       next);
		idx = next;
	}
	st[head].ndescs = (uint16_t)count;
	return (int)count;
}

int virtqueue_get_avail_buf(struct virtqueue *vq, struct virtqueue_buf *bufs, unsigned int max,
			    uint16_t *head)
{
	unsigned int num = vq->mask + 1u;
	uint16_t avail_idx, pending, h;
	int count;

	if (vq->role != VIRTQUEUE_DEVICE)
		return -AMP_EINVAL;
	if (vq_is_broken(vq))
		return -AMP_EIO;

	if (vq->last_avail == vq->avail_seen) {
		/* Acquire: the descriptors and ring entry were written before avail->idx moved.
		 * Pairs with the release in virtqueue_add_sgs(). Entries up to the index seen
		 * are taken without reading it again. */
		avail_idx = vq_load_acquire16(&vq->vr.avail->idx);
		pending = (uint16_t)(avail_idx - vq->last_avail);
		if (pending == 0)
			return 0;
		if (pending > num - vq->held)
			return vq_fail(vq, -1,
				       "avail index moved by %llu with only %llu descriptors free",
				       pending, num - vq->held);
		vq->avail_seen = avail_idx;
	}

	h = vq_read16(&vq->vr.avail->ring[vq->last_avail & vq->mask]);
	if (h > vq->mask)
		return vq_fail(vq, (int32_t)(vq->last_avail & vq->mask),
			       "avail head %llu out of range (ring of %llu)", h, num);
	count = vq_walk_chain(vq, h, bufs, max);
	if (count < 0)
		return count;
	vq->last_avail++;
	vq->held = (uint16_t)(vq->held + count);
	*head = h;
	return (unsigned int)count > max ? -AMP_EMSGSIZE : count;
}

static int vq_add_used(struct virtqueue *vq, uint16_t head, uint32_t len);

int virtqueue_add_used_buf(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	int ret = vq_add_used(vq, head, len);

	if (!ret)
		virtqueue_publish_used(vq);
	return ret;
}

int virtqueue_add_used_buf_deferred(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	return vq_add_used(vq, head, len);
}

void virtqueue_publish_used(struct virtqueue *vq)
{
	if (vq->role != VIRTQUEUE_DEVICE || vq_is_broken(vq))
		return;
	/* Release: the used entries (and the data written into the buffers) are visible before
	 * used->idx moves. Pairs with the acquire in virtqueue_get_buf() on the driver side.
	 * Skipped when nothing is new, as for avail->idx: the store would take the line the
	 * driver spins on away from it (a polled remote publishes at the end of every poll). */
	if (vq->used_pub != vq->used_idx) {
		vq->used_pub = vq->used_idx;
		vq_store_release16(&vq->vr.used->idx, vq->used_idx);
	}
}

static int vq_add_used(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	struct virtqueue_desc_state *st = vq->state;
	struct vring_used_elem *e;
	uint16_t idx = head;
	unsigned int i, n;

	if (vq->role != VIRTQUEUE_DEVICE)
		return -AMP_EINVAL;
	if (vq_is_broken(vq))
		return -AMP_EIO;
	if (head > vq->mask || st[head].ndescs == 0)
		return -AMP_EINVAL;

	n = st[head].ndescs;
	for (i = 0; i < n; i++) {
		st[idx].busy = 0;
		idx = st[idx].next;
	}
	st[head].ndescs = 0;
	vq->held = (uint16_t)(vq->held - n);

	e = &vq->vr.used->ring[vq->used_idx & vq->mask];
	st = &vq->state[vq->used_idx & vq->mask];
	if (!st->used_known) {
		/* The driver may have left anything there (RPMsg-Lite's pre-fills the ring). */
		st->used_known = 1;
		st->shadow.used.id = head;
		st->shadow.used.len = len;
		vq_write32(&e->id, head);
		vq_write32(&e->len, len);
	} else {
		VQ_PUT(st->shadow.used.id, &e->id, (uint32_t)head, vq_write32);
		VQ_PUT(st->shadow.used.len, &e->len, len, vq_write32);
	}
	vq->used_idx++;
	return 0;
}

/* --- notifications, both roles ----------------------------------------------------------- */

bool virtqueue_kick_prepare(struct virtqueue *vq)
{
	uint16_t old, new_idx;
	bool valid;

	if (vq_is_broken(vq))
		return false;
	if (vq->role == VIRTQUEUE_DEVICE)
		virtqueue_publish_used(vq);
	else
		virtqueue_publish_avail(vq);
	/* Full fence: our index store above is ordered before the read of the other side's
	 * suppression word below. Pairs with the fence in the other side's enable_cb(). */
	vq_mb();
	if (vq->role == VIRTQUEUE_DRIVER) {
		new_idx = vq->avail_idx;
		old = (uint16_t)(new_idx - vq->num_added);
		vq->num_added = 0;
		if (vq->event_idx)
			return vring_need_event(vq_read16(vring_avail_event(&vq->vr)), new_idx, old);
		return !(vq_read16(&vq->vr.used->flags) & VRING_USED_F_NO_NOTIFY);
	}

	new_idx = vq->used_idx;
	old = vq->signalled;
	valid = vq->signalled_valid;
	vq->signalled = new_idx;
	vq->signalled_valid = true;
	if (vq->event_idx)
		return !valid ||
		       vring_need_event(vq_read16(vring_used_event(&vq->vr)), new_idx, old);
	/* Nothing used since the last decision: nothing to tell (a driver that armed since then
	 * looked at the used index after arming, and saw what there was). */
	if (valid && new_idx == old)
		return false;
	return !(vq_read16(&vq->vr.avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
}

void virtqueue_notify(struct virtqueue *vq)
{
	if (vq->notify)
		vq->notify(vq);
}

bool virtqueue_kick(struct virtqueue *vq)
{
	if (!virtqueue_kick_prepare(vq))
		return false;
	virtqueue_notify(vq);
	return true;
}

void virtqueue_disable_cb(struct virtqueue *vq)
{
	if (vq_is_broken(vq))
		return;
	if (vq->role == VIRTQUEUE_DRIVER) {
		vq->avail_flags |= VRING_AVAIL_F_NO_INTERRUPT;
		if (vq->event_idx)
			/* The device ignores the flag under EVENT_IDX: put used_event where the
			 * used index will not reach it for another 65535 entries. */
			vq_write16(vring_used_event(&vq->vr), (uint16_t)(vq->last_used - 1));
		else
			vq_write16(&vq->vr.avail->flags, vq->avail_flags);
		return;
	}
	vq->used_flags |= VRING_USED_F_NO_NOTIFY;
	if (!vq->event_idx)
		vq_write16(&vq->vr.used->flags, vq->used_flags);
	/* With EVENT_IDX avail_event simply stays behind: the driver kicks at most once more. */
}

/* Ask to be told once the other side's index passes @event, then look at that index again. */
static bool vq_arm(struct virtqueue *vq, uint16_t event)
{
	if (vq->role == VIRTQUEUE_DRIVER) {
		if (vq->avail_flags & VRING_AVAIL_F_NO_INTERRUPT) {
			vq->avail_flags &= (uint16_t)~VRING_AVAIL_F_NO_INTERRUPT;
			if (!vq->event_idx)
				vq_write16(&vq->vr.avail->flags, vq->avail_flags);
		}
		if (vq->event_idx)
			vq_write16(vring_used_event(&vq->vr), event);
		/* Full fence: the arming above is visible before we re-read used->idx, so the
		 * device either sees it or we see its entry. Pairs with the fence in the
		 * device's kick_prepare(). */
		vq_mb();
		return (uint16_t)(vq_read16(&vq->vr.used->idx) - vq->last_used) <=
		       (uint16_t)(event - vq->last_used);
	}
	if (vq->used_flags & VRING_USED_F_NO_NOTIFY) {
		vq->used_flags &= (uint16_t)~VRING_USED_F_NO_NOTIFY;
		if (!vq->event_idx)
			vq_write16(&vq->vr.used->flags, vq->used_flags);
	}
	if (vq->event_idx)
		vq_write16(vring_avail_event(&vq->vr), event);
	/* Full fence, as above. Pairs with the fence in the driver's kick_prepare(). */
	vq_mb();
	return vq_read16(&vq->vr.avail->idx) == vq->last_avail;
}

bool virtqueue_enable_cb(struct virtqueue *vq)
{
	if (vq_is_broken(vq))
		return false;
	return vq_arm(vq, vq->role == VIRTQUEUE_DRIVER ? vq->last_used : vq->last_avail);
}

bool virtqueue_enable_cb_delayed(struct virtqueue *vq)
{
	uint16_t bufs;

	if (vq_is_broken(vq))
		return false;
	if (vq->role != VIRTQUEUE_DRIVER || !vq->event_idx)
		return virtqueue_enable_cb(vq);
	/* Three quarters of what is outstanding, as Linux chooses for tx reclaim. */
	bufs = (uint16_t)((uint16_t)(vq->avail_idx - vq->last_used) * 3 / 4);
	return vq_arm(vq, (uint16_t)(vq->last_used + bufs));
}

bool virtqueue_has_work(const struct virtqueue *vq)
{
	if (vq_is_broken(vq))
		return false;
	if (vq->role == VIRTQUEUE_DRIVER)
		return vq->used_seen != vq->last_used ||
		       vq_load_acquire16(&vq->vr.used->idx) != vq->last_used;
	return vq->avail_seen != vq->last_avail ||
	       vq_load_acquire16(&vq->vr.avail->idx) != vq->last_avail;
}

unsigned int virtqueue_num_free(const struct virtqueue *vq)
{
	if (vq->role == VIRTQUEUE_DRIVER)
		return vq->num_free;
	return vq->mask + 1u - vq->held;
}

unsigned int virtqueue_get_vring_size(const struct virtqueue *vq)
{
	return vq->mask + 1u;
}

bool virtqueue_is_broken(const struct virtqueue *vq)
{
	return vq_is_broken(vq);
}

const struct amp_diag *virtqueue_broken_diag(const struct virtqueue *vq)
{
	return vq_is_broken(vq) ? &vq->diag : NULL;
}

void virtqueue_break(struct virtqueue *vq)
{
	vq_fail(vq, -1, "marked broken by its owner", 0, 0);
}
