/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The virtio split ring (VIRTIO 1.x section 2.7, Linux's include/uapi/linux/virtio_ring.h).
 * Wire format only; the code that reads and writes it is in virtqueue.c.
 *
 * Unlike the other wire structs these are not marked packed: every field is naturally aligned and
 * the asserts below prove there is no padding, and the ring indexes must stay naturally aligned so
 * that they can be accessed atomically by both processors.
 *
 * Who writes what: the driver (the host) writes the descriptor table, the available ring and
 * used_event; the device (the remote) writes the used ring and avail_event. Each side only reads
 * the other's part.
 */
#ifndef AMP_WIRE_VRING_H
#define AMP_WIRE_VRING_H

#include <stddef.h>
#include <stdint.h>

#include <amp/compiler.h>

#define VRING_DESC_F_NEXT 1     /* the chain continues at @next */
#define VRING_DESC_F_WRITE 2    /* device-writable (an "in" buffer) */
#define VRING_DESC_F_INDIRECT 4 /* the buffer holds a table of descriptors */

#define VRING_USED_F_NO_NOTIFY 1     /* device to driver: do not kick me */
#define VRING_AVAIL_F_NO_INTERRUPT 1 /* driver to device: do not interrupt me */

/* Transport feature bits. remoteproc exposes only the low 32 bits, so VERSION_1 cannot be
 * negotiated with it. */
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

/* Largest ring the split layout allows (16-bit indexes, power of two). */
#define VRING_MAX_NUM 32768u

/* struct vring_desc - one buffer: device address @addr, @len bytes, @flags, @next in the chain. */
struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* struct vring_avail - heads the driver offers; followed by a u16 used_event with EVENT_IDX. */
struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

/* struct vring_used_elem - a returned chain: head @id and the bytes the device wrote, @len. */
struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

/* struct vring_used - chains the device returns; followed by a u16 avail_event with EVENT_IDX. */
struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[];
};

/* struct vring - where the three parts of one ring lie in memory both sides see. */
struct vring {
	unsigned int num;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
};

AMP_STATIC_ASSERT(sizeof(struct vring_desc) == 16, "vring_desc is 16 bytes");
AMP_STATIC_ASSERT(offsetof(struct vring_desc, len) == 8, "vring_desc.len at 8");
AMP_STATIC_ASSERT(offsetof(struct vring_desc, flags) == 12, "vring_desc.flags at 12");
AMP_STATIC_ASSERT(offsetof(struct vring_desc, next) == 14, "vring_desc.next at 14");
AMP_STATIC_ASSERT(sizeof(struct vring_avail) == 4, "vring_avail header is 4 bytes");
AMP_STATIC_ASSERT(offsetof(struct vring_avail, idx) == 2, "vring_avail.idx at 2");
AMP_STATIC_ASSERT(offsetof(struct vring_avail, ring) == 4, "vring_avail.ring at 4");
AMP_STATIC_ASSERT(sizeof(struct vring_used_elem) == 8, "vring_used_elem is 8 bytes");
AMP_STATIC_ASSERT(offsetof(struct vring_used_elem, len) == 4, "vring_used_elem.len at 4");
AMP_STATIC_ASSERT(sizeof(struct vring_used) == 4, "vring_used header is 4 bytes");
AMP_STATIC_ASSERT(offsetof(struct vring_used, idx) == 2, "vring_used.idx at 2");
AMP_STATIC_ASSERT(offsetof(struct vring_used, ring) == 4, "vring_used.ring at 4");

/*
 * vring_size() - bytes one ring of @num descriptors occupies when its used ring is aligned to
 * @align (a power of two): ALIGN(16*num + 2*(3+num), align) + 6 + 8*num, as virtio defines it.
 * Both event-index words are included. Example: num 256, align 4096 gives 10246.
 */
static inline size_t vring_size(unsigned int num, unsigned long align)
{
	size_t avail_end = sizeof(struct vring_desc) * (size_t)num + sizeof(uint16_t) * (3 + (size_t)num);

	return ((avail_end + align - 1) & ~((size_t)align - 1)) + sizeof(uint16_t) * 3 +
	       sizeof(struct vring_used_elem) * (size_t)num;
}

/* vring_used_event() - the driver's used_event word, after the available ring. */
static inline uint16_t *vring_used_event(const struct vring *vr)
{
	return &vr->avail->ring[vr->num];
}

/* vring_avail_event() - the device's avail_event word, after the used ring. */
static inline uint16_t *vring_avail_event(const struct vring *vr)
{
	return (uint16_t *)(void *)&vr->used->ring[vr->num];
}

/*
 * vring_init() - lay out a ring of @num descriptors at @p with the used ring aligned to @align (a
 * power of two >= 4). The used ring's place is an offset from the ring's start, the same on both
 * sides: the host's mapping of a ring need not be aligned as the device address is.
 */
static inline void vring_init(struct vring *vr, unsigned int num, void *p, unsigned long align)
{
	size_t avail_end = sizeof(struct vring_desc) * (size_t)num + sizeof(uint16_t) * (3 + (size_t)num);
	size_t used_off = (avail_end + align - 1) & ~((size_t)align - 1);

	vr->num = num;
	vr->desc = (struct vring_desc *)p;
	vr->avail = (struct vring_avail *)(void *)((char *)p + sizeof(struct vring_desc) * (size_t)num);
	vr->used = (struct vring_used *)(void *)((char *)p + used_off);
}

/*
 * vring_need_event() - the event-index rule: with @event the index the other side asked to be
 * told about, and the index moving from @old to @new_idx, notify iff @event lies in [old, new).
 */
static inline int vring_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

#endif /* AMP_WIRE_VRING_H */
