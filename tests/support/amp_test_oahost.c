/* SPDX-License-Identifier: BSD-3-Clause */
/* A test double of OpenAMP's host (the rpmsg virtio driver), at the ring level. Test layer. */
#include <string.h>

#include <amp/errno.h>

#include "amp_test.h"
#include "amp_test_oahost.h"

#define HDR_LEN ((uint32_t)sizeof(struct rpmsg_hdr))

static void *oah_va(struct oah *h, uint32_t da, uint32_t len)
{
	assert_true(da <= h->mem_len && len <= h->mem_len - da);
	return h->mem + da;
}

static uint32_t oah_pool_get(struct oah *h)
{
	uint32_t da;

	if (h->lay.pool_len - h->pool_used < h->lay.buf_size)
		return 0;
	da = h->lay.pool_da + h->pool_used;
	h->pool_used += h->lay.buf_size;
	return da;
}

/* One descriptor for @da, published at once (the avail index moves with each buffer). */
static void oah_add(struct oah *h, int q, uint32_t da, bool writable)
{
	uint16_t head = h->free_head[q];
	struct vring_desc *d = &h->vr[q].desc[head];

	assert_true(h->num_free[q] > 0);
	h->free_head[q] = h->next[q][head];
	h->num_free[q]--;
	h->buf_da[q][head] = da;
	d->addr = da;
	d->len = h->lay.buf_size;
	d->flags = writable ? VRING_DESC_F_WRITE : 0;
	d->next = 0;
	h->vr[q].avail->ring[h->avail_idx[q] % h->lay.num] = head;
	h->avail_idx[q]++;
	__atomic_store_n(&h->vr[q].avail->idx, h->avail_idx[q], __ATOMIC_RELEASE);
}

/* The next used entry of vring @q, its buffer freed: its address, or 0 when none. */
static uint32_t oah_get_used(struct oah *h, int q, uint32_t *len)
{
	struct vring_used_elem e;
	uint32_t da;

	if (__atomic_load_n(&h->vr[q].used->idx, __ATOMIC_ACQUIRE) == h->used_cons[q])
		return 0;
	e = h->vr[q].used->ring[h->used_cons[q] % h->lay.num];
	h->used_cons[q]++;
	assert_true(e.id < h->lay.num);
	da = h->buf_da[q][e.id];
	h->next[q][e.id] = h->free_head[q];
	h->free_head[q] = (uint16_t)e.id;
	h->num_free[q]++;
	*len = e.len;
	return da;
}

/* Flags only: OpenAMP's rings never read the avail_event word. */
static void oah_kick(struct oah *h, int q)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!(__atomic_load_n(&h->vr[q].used->flags, __ATOMIC_RELAXED) & VRING_USED_F_NO_NOTIFY))
		h->kicks[q]++;
}

void oah_init(struct oah *h, uint8_t *mem, size_t mem_len, struct fw_rsc_vdev *vdev,
	      const struct oah_layout *lay)
{
	unsigned int q, i;

	assert_true(lay->num <= OAH_MAX_NUM && lay->buf_size <= sizeof(h->last_data));
	memset(h, 0, sizeof(*h));
	h->mem = mem;
	h->mem_len = mem_len;
	h->vdev = vdev;
	h->lay = *lay;
	for (q = 0; q < 2; q++) {
		size_t len = vring_size(lay->num, lay->vring_align);

		memset(oah_va(h, lay->vring_da[q], (uint32_t)len), 0, len);
		vring_init(&h->vr[q], lay->num, h->mem + lay->vring_da[q], lay->vring_align);
		vdev->vring[q].da = lay->vring_da[q];
		vdev->vring[q].align = lay->vring_align;
		vdev->vring[q].num = lay->num;
		vdev->vring[q].notifyid = q;
		for (i = 0; i < lay->num; i++)
			h->next[q][i] = (uint16_t)(i + 1);
		h->num_free[q] = (uint16_t)lay->num;
	}
	/* Whatever the remote offers, taken as is. */
	vdev->gfeatures = vdev->dfeatures;
	/* "Suppress tx-complete interrupts": the sender reclaims as it goes. */
	h->vr[1].avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	for (i = 0; i < lay->num; i++) {
		uint32_t da = oah_pool_get(h);

		assert_true(da != 0);
		oah_add(h, 0, da, true);
	}
}

void oah_driver_ok(struct oah *h)
{
	__atomic_store_n(&h->vdev->status,
			 VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK,
			 __ATOMIC_RELEASE);
}

int oah_send(struct oah *h, uint32_t src, uint32_t dst, const void *data, uint32_t len)
{
	struct rpmsg_hdr hdr = {.src = src, .dst = dst, .len = (uint16_t)len};
	uint32_t used_len = 0, da;
	uint8_t *buf;

	/* A used buffer first; a fresh one only while descriptors are free. */
	da = oah_get_used(h, 1, &used_len);
	if (da) {
		h->last_used_len = used_len;
		h->last_capacity = (int32_t)(used_len - HDR_LEN);
	} else {
		if (!h->num_free[1] || !(da = oah_pool_get(h)))
			return -AMP_ENOMEM;
		h->last_used_len = 0;
		h->last_capacity = (int32_t)(h->lay.buf_size - HDR_LEN);
	}
	if ((int64_t)len > h->last_capacity) {
		/* Where OpenAMP would send a truncated message or a garbage header. The buffer is
		 * dropped: a test that gets here has failed anyway. */
		h->bad_capacity++;
		return -AMP_EMSGSIZE;
	}
	buf = oah_va(h, da, h->lay.buf_size);
	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + HDR_LEN, data, len);
	oah_add(h, 1, da, false);
	oah_kick(h, 1);
	return 0;
}

unsigned int oah_poll(struct oah *h)
{
	unsigned int n = 0;
	uint32_t len, da;

	while ((da = oah_get_used(h, 0, &len))) {
		const uint8_t *buf = oah_va(h, da, h->lay.buf_size);
		struct rpmsg_hdr hdr;

		memcpy(&hdr, buf, sizeof(hdr));
		if (len < HDR_LEN || len > h->lay.buf_size || hdr.len > len - HDR_LEN) {
			h->rx_bad++;
		} else if (hdr.dst == RPMSG_NS_ADDR && hdr.len == sizeof(h->last_ns)) {
			memcpy(&h->last_ns, buf + HDR_LEN, sizeof(h->last_ns));
			h->ns_msgs++;
		} else {
			h->last_src = hdr.src;
			h->last_dst = hdr.dst;
			h->last_len = hdr.len;
			memcpy(h->last_data, buf + HDR_LEN, hdr.len);
			if (h->rx_msgs < OAH_LOG)
				h->rx_log[h->rx_msgs] = hdr.len ? buf[HDR_LEN] : 0;
			h->rx_msgs++;
		}
		oah_add(h, 0, da, true);
		n++;
	}
	if (n)
		oah_kick(h, 0);
	return n;
}

void oah_remote_kick(struct oah *h, uint32_t notifyid)
{
	h->remote_kicks[notifyid & 1]++;
}
